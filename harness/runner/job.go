package runner

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/trace"
)

// Job is one isolated run: a Case, its repetition and the settings the
// child process is pinned to. A Job travels to the child as JSON.
type Job struct {
	Case Case `json:"case"`
	// Rep is the 1-based repetition.
	Rep int `json:"rep"`
	// Dir is the results directory; the record and profiles go under it.
	Dir string `json:"dir"`
	// Timeout bounds the child's whole life (setup included); 0 means none.
	Timeout time.Duration `json:"timeout"`
	// MemoryLimit emulates a machine with this much memory (bytes): the
	// child is killed when its RSS passes it. 0 means none.
	MemoryLimit int64 `json:"memory_limit"`
	// Pinned runtime settings of the child: GOGC percent (-1 off),
	// GOMEMLIMIT bytes (0: HarnessMemLimit, or none under the go allocator,
	// see goMemLimit; negative: none), GOMAXPROCS (0: the parent's), the
	// heap profile rate in bytes (0: the runtime's default, 512 KiB).
	GOGC           int   `json:"gogc"`
	GOMEMLIMIT     int64 `json:"gomemlimit"`
	GOMAXPROCS     int   `json:"gomaxprocs"`
	MemProfileRate int   `json:"mem_profile_rate"`
	// SampleInterval is the runtime sampler's period (1-5 ms).
	SampleInterval time.Duration `json:"sample_interval"`
	// Profile makes this the case's profiling run: heap profiles are taken
	// at the peak, each after a forced GC, which lowers the run's Go heap
	// and RSS peaks; so a profiling run is apart from the measured
	// repetitions, and its heap and RSS figures are not theirs.
	Profile bool `json:"profile,omitempty"`
	// Trace writes the client's buffer events (package trace) to
	// TracePath() under Dir, for a replay by a real process (fanbench
	// calibrate).
	Trace bool `json:"trace,omitempty"`
	// Bare turns measurement off: no live meter, sampler or profiles, only
	// the upload's wall time and the bytes allocated during it. It exists
	// to measure what measuring costs.
	Bare bool `json:"bare,omitempty"`
	// Batch, Commit and Expect are copied into the job's record by the
	// parent (result.Record's Batch, Commit and Expected): the batch's ID,
	// the code under test, the outcome other than OK the scenario expects.
	Batch  string        `json:"batch,omitempty"`
	Commit string        `json:"commit,omitempty"`
	Expect result.Status `json:"expect,omitempty"`
}

// HarnessMemLimit is the child's default GOMEMLIMIT, in bytes. It bounds
// the harness's own Go heap (the simulated peers, the ledger, the
// scheduler), which the client's buffers are not part of: they are mapped
// by harness/alloc outside the Go heap, so the limit never counts them and
// never decides an oom (that is MemoryLimit, on the client's resident
// memory). Without it the harness's garbage would grow with GOGC and show
// in the child's VmHWM. The harness's heap peaks at about 60 MB at 1 GiB
// (peak-heap-B, README); the limit leaves several times that before the
// collector works harder, and it is soft: a larger heap is slower, never
// killed.
const HarnessMemLimit = 512 << 20

// goMemLimit returns the child's GOMEMLIMIT in bytes, 0 for none: the
// job's, or by default HarnessMemLimit, except under the go allocator,
// where the client's buffers are the Go heap and a limit on it would
// throttle the client being measured.
func (j *Job) goMemLimit() int64 {
	switch {
	case j.GOMEMLIMIT > 0:
		return j.GOMEMLIMIT
	case j.GOMEMLIMIT < 0 || j.Case.AllocatorPolicy() == "go":
		return 0
	}
	return HarnessMemLimit
}

// DefaultJob returns a job for c with the pinned defaults: GOGC 100, the
// default GOMEMLIMIT (goMemLimit), the parent's GOMAXPROCS, the default
// profile rate, a 2 ms sampler and a 10 minute time limit.
func DefaultJob(c Case, rep int, dir string) Job {
	return Job{Case: c, Rep: rep, Dir: dir, Timeout: 10 * time.Minute, GOGC: 100, SampleInterval: 2 * time.Millisecond}
}

// Name is the job's scenario/strategy-rep label, e.g.
// "seed-20mb/copy-per-peer-1", or "…-profile" for a profiling run.
func (j *Job) Name() string {
	return fmt.Sprintf("%s/%s-%s", j.Case.Name, j.Case.Strategy, j.rep())
}

func (j *Job) rep() string {
	if j.Profile {
		return "profile"
	}
	return fmt.Sprint(j.Rep)
}

// base is the path, relative to Dir, that the job's files share.
func (j *Job) base() string {
	return filepath.Join(j.Case.Name, fmt.Sprintf("%s-%s-%s", j.Case.Strategy, sanitize(j.Case.Limiter), j.rep()))
}

// RecordPath is where the job's record goes, relative to Dir:
// runs/<scenario>/<strategy>-<limiter>-<rep>.json (rep "profile" for a
// profiling run).
func (j *Job) RecordPath() string { return filepath.Join("runs", j.base()+".json") }

// TracePath is where the job's allocation trace goes, relative to Dir:
// traces/<scenario>/<strategy>-<limiter>-<rep>.trace, beside its record.
func (j *Job) TracePath() string { return trace.PathFor(j.RecordPath()) }

// ProfilePaths are where the heap profiles go, relative to Dir:
// profiles/<scenario>/<strategy>-<limiter>-<rep>.peak.pb.gz and .end.pb.gz.
func (j *Job) ProfilePaths() (peak, end string) {
	b := filepath.Join("profiles", j.base())
	return b + ".peak.pb.gz", b + ".end.pb.gz"
}

func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == ':' || c == '/' || c == ' ' {
			b[i] = '_'
		}
	}
	return string(b)
}
