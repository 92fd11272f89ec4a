package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strconv"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/revision"
	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/runner"
	"github.com/fanbench/fanbench/reports/benchout"
	"github.com/fanbench/fanbench/scenarios"
)

// CaseKey names a case as a unit of a sharded batch: scenario (the
// variant's name), strategy and limiter, as its record's path does.
func CaseKey(c runner.Case) string {
	return c.Name + "/" + c.Strategy.String() + "/" + c.Limiter
}

// Split returns the jobs of shard sh of jobs, in their order, and a
// description of the part, from tmpl (Kind, Scenarios, Version, Plan,
// Config) with the units, the part's units and the whole order filled in.
// The jobs whose cases have the same key (CaseKey: a case, with all its
// runs) make one unit, weighing their bytes uploaded. For the whole batch it
// returns jobs and nil.
func Split(jobs []runner.Job, sh Shard, tmpl result.Shard, key func(runner.Case) string) ([]runner.Job, *result.Shard, error) {
	if sh.Count == 0 {
		return jobs, nil, nil
	}
	weight := map[string]float64{}
	var units []Unit
	for _, j := range jobs {
		k := key(j.Case)
		if _, ok := weight[k]; !ok {
			units = append(units, Unit{Key: k})
		}
		weight[k] += float64(j.Case.Source.Size)
	}
	for i := range units {
		units[i].Weight = weight[units[i].Key]
	}
	owner, err := Assign(units, sh.Count)
	if err != nil {
		return nil, nil, err
	}
	info := tmpl
	info.Index, info.Count = sh.Index, sh.Count
	var mine []runner.Job
	for _, j := range jobs {
		info.Order = append(info.Order, j.RecordPath())
		if owner[key(j.Case)] == sh.Index {
			mine = append(mine, j)
		}
	}
	for _, u := range units {
		info.Units = append(info.Units, u.Key)
		if owner[u.Key] == sh.Index {
			info.Mine = append(info.Mine, u.Key)
		}
	}
	slices.Sort(info.Units)
	slices.Sort(info.Mine)
	return mine, &info, nil
}

// Digest identifies a batch by what it runs: the scenarios as they run
// (every setting spelled out, flags applied) and the jobs, without what
// differs between the machines that share it (the results directory, the
// spill cache's place). Two shards of one batch have the same digest.
func Digest(specs []*scenarios.Spec, jobs []runner.Job) string {
	h := sha256.New()
	for _, s := range specs {
		h.Write(s.Format())
	}
	enc := json.NewEncoder(h)
	for _, j := range jobs {
		j.Dir, j.Batch, j.Commit, j.Case.CacheRoot = "", "", "", ""
		enc.Encode(j) // a Job always encodes
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// BenchConfig is the file configuration of a batch of jobs that this
// fanbench's children run on this machine, known before any run, so that
// every shard of a batch writes the same one whatever its runs did: the
// children are this executable (its Go version, OS and architecture), on
// this machine's processor, pinned to the jobs' GOMAXPROCS and GOGC (each
// left out when the jobs differ) and allocator.
func BenchConfig(jobs []runner.Job) benchout.Config {
	c := benchout.Config{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, CPU: runner.HostCPU(), GoVersion: runtime.Version(), Version: revision.Release()}
	for i, j := range jobs {
		procs := j.GOMAXPROCS
		if procs <= 0 {
			procs = runtime.GOMAXPROCS(0) // what Spawn pins the child to
		}
		gogc := "off"
		if j.GOGC >= 0 {
			gogc = strconv.Itoa(j.GOGC)
		}
		a := j.Case.AllocatorPolicy()
		if i == 0 {
			c.GOMAXPROCS, c.GOGC, c.Allocator = procs, gogc, a
			continue
		}
		if c.GOMAXPROCS != procs {
			c.GOMAXPROCS = 0
		}
		if c.GOGC != gogc {
			c.GOGC = ""
		}
		if c.Allocator != a {
			c.Allocator = ""
		}
	}
	return c
}

// Part is the description of a part of a batch of kind that runs the
// scenarios specs (as they run, flags applied) with jobs, before Split fills
// in which part. The scenarios are named by their names, not by the
// paths they came from, which may differ between the machines of one
// batch.
func Part(kind string, specs []*scenarios.Spec, jobs []runner.Job, cfg benchout.Config, commit string) result.Shard {
	cfg.Version = revision.Release()
	lines, _ := cfg.Lines() // the configuration outputs.Bench writes; it checks it
	var names []string
	for _, s := range specs {
		names = append(names, s.Name)
	}
	return result.Shard{Kind: kind, Scenarios: names, Plan: Digest(specs, jobs), Version: revision.Release() + " " + commit, Config: lines}
}

// ShardNote says which part of its batch a part is, for the batch's first
// line: ", shard 2/3 (5 of 12 cases)"; "" for a whole batch.
func ShardNote(s *result.Shard) string {
	if s == nil {
		return ""
	}
	return fmt.Sprintf(", shard %d/%d (%d of %d cases)", s.Index, s.Count, len(s.Mine), len(s.Units))
}

// FinishShard notes in a part's description the units (cases) all of
// whose planned runs (jobs) ended, cancelled ones aside.
func FinishShard(s *result.Shard, jobs []runner.Job, recs []*result.Record) {
	if s == nil {
		return
	}
	left := map[string]int{}
	for _, j := range jobs {
		left[CaseKey(j.Case)]++
	}
	for _, r := range recs {
		if r.Status != result.Cancelled {
			left[r.Scenario+"/"+r.Strategy+"/"+r.Limiter]--
		}
	}
	s.Done = nil
	for _, u := range s.Mine {
		if left[u] == 0 {
			s.Done = append(s.Done, u)
		}
	}
}
