package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/plan"
	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/runner"
	"github.com/fanbench/fanbench/harness/spill"
	"github.com/fanbench/fanbench/reports/benchout"
	"github.com/fanbench/fanbench/reports/compare"
	"github.com/fanbench/fanbench/scenarios"
	"golang.org/x/perf/benchunit"
)

// The -base form of fanbench compare, in steps:
//  1. plan the runs with this fanbench's scenarios and job format;
//  2. resolve the two revisions in the git repository around the current
//     directory;
//  3. build fanbench for each side: a revision in a temporary detached
//     worktree, the working tree in place;
//  4. run every job of the plan once with each build, back to back
//     (interleave), one child at a time, each side's records in its own
//     results directory;
//  5. compare the two results.bench files as `fanbench compare OLD NEW` does.

// revCompare is the -base form's command line.
type revCompare struct {
	base, head      string // revisions as given; head "" is the working tree
	count           int
	out             string
	modes, limiters string
	cache           bool
	timeout         time.Duration
	gogc            int
	order           uint64
	profile         bool
	shards          shardOpts
	scenarios       []string
	set             map[string]bool // the flags given
}

// side is one of the two builds of a comparison.
type side int

const (
	sideBase side = iota
	sideHead
)

func (s side) String() string {
	if s == sideBase {
		return "base"
	}
	return "head"
}

// build is one side's fanbench: where it came from and its binary.
type build struct {
	side side
	// rev is the revision as given; "" for the working tree.
	rev string
	// commit is rev's full hash; for the working tree, HEAD's ("" in a
	// repository without commits).
	commit string
	// dirty is set when the working tree had uncommitted changes.
	dirty bool
	bin   string
}

// label names the build in one phrase, e.g. "main (9b1d861)" or "the
// working tree at 9b1d861, with uncommitted changes".
func (b *build) label() string {
	if b.rev != "" {
		return fmt.Sprintf("%s (%s)", b.rev, shortHash(b.commit))
	}
	s := "the working tree"
	if b.commit != "" {
		s += " at " + shortHash(b.commit)
	}
	if b.dirty {
		s += ", with uncommitted changes"
	}
	return s
}

// describe says what was measured, for the report's head lines.
func (b *build) describe() string {
	if b.rev != "" {
		return fmt.Sprintf("%s = %s, built in a temporary git worktree", b.rev, b.commit)
	}
	s := "the working tree, built in place"
	if b.commit != "" {
		s = fmt.Sprintf("the working tree at %s, built in place", b.commit)
	}
	if b.dirty {
		return s + ", with uncommitted changes (git status --porcelain is not empty)"
	}
	return s + ", clean"
}

func shortHash(h string) string { return h[:min(len(h), 12)] }

// commitName is the build's commit as records name the code under test:
// the hash's first 12 digits, "-dirty" for a working tree with changes.
func (b *build) commitName() string {
	c := shortHash(b.commit)
	if b.dirty {
		c += "-dirty"
	}
	return c
}

// compareRevs runs the -base form. Errors before any run (flags, scenarios,
// revisions, builds) exit 2; see compareUsage for the rest.
func compareRevs(ctx context.Context, stdout, stderr io.Writer, rc *revCompare, opts compare.Options) error {
	// Options out of range would otherwise be found after every run.
	var inputErr *compare.InputError
	if _, err := compare.Compare(strings.NewReader(""), strings.NewReader(""), "", "", opts); !errors.As(err, &inputErr) {
		return usageError{err}
	}
	// So would a unit that fanbench does not write.
	if err := checkBenchUnits(opts); err != nil {
		return usageError{err}
	}
	jobs, err := rc.plan()
	if err != nil {
		return usageError{err}
	}
	shard, err := rc.shards.resolve(stderr)
	if err != nil {
		return err
	}
	if parseOnly(ctx) {
		return nil
	}
	root, err := gitOutput(ctx, "", "rev-parse", "--show-toplevel")
	if err != nil {
		return usageError{fmt.Errorf("compare -base needs a git checkout of fanbench around the current directory: %w", err)}
	}
	builds := [2]*build{{side: sideBase, rev: rc.base}, {side: sideHead, rev: rc.head}}
	for _, b := range builds {
		if b.rev != "" {
			if b.commit, err = resolveRev(ctx, root, b.rev); err != nil {
				return usageError{fmt.Errorf("compare: -%s: %w", b.side, err)}
			}
			continue
		}
		b.commit, _ = gitOutput(ctx, root, "rev-parse", "--verify", "--quiet", "HEAD")
		st, err := gitOutput(ctx, root, "status", "--porcelain")
		if err != nil {
			return exitError{2, fmt.Errorf("compare: %w", err)}
		}
		b.dirty = st != ""
	}

	// A shard runs its cases on both sides, and leaves the verdict to
	// fanbench merge.
	all := jobs
	version := fmt.Sprintf("%s %s, base %s, head %s", releaseVersion(), codeCommit(ctx), builds[sideBase].commitName(), builds[sideHead].commitName())
	jobs, part, err := splitJobs(all, shard, result.Shard{Kind: "compare", Scenarios: rc.scenarioNames(), Plan: planDigest(nil, all), Version: version}, caseKey)
	if err != nil {
		return usageError{err}
	}

	// Each side's results directory is this comparison's from here on, and
	// an earlier one's files are moved aside, before anything is built.
	dirs := [2]string{filepath.Join(rc.out, "base"), filepath.Join(rc.out, "head")}
	var batches [2]result.Batch
	id := result.NewBatchID(time.Now())
	for s, dir := range dirs {
		lock, err := result.LockDir(dir, id)
		if err != nil {
			return usageError{err}
		}
		defer lock.Unlock()
		if moved, err := lock.Retire(); err != nil {
			return usageError{err}
		} else if len(moved) > 0 {
			fmt.Fprintf(stderr, "fanbench: moved an earlier comparison's %s to %s\n", strings.Join(moved, ", "), filepath.Join(dir, result.PreviousDir))
		}
		batches[s] = result.Batch{ID: id, Commit: builds[s].commitName(), Started: time.Now(), Shard: sidePart(part, side(s))}
	}
	for _, name := range []string{"summary.md", compareInfoFile} {
		if err := os.Remove(filepath.Join(rc.out, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return usageError{fmt.Errorf("results directory %s: %w", rc.out, err)}
		}
	}

	tmp, err := os.MkdirTemp("", "fanbench-compare-")
	if err != nil {
		return err
	}
	var worktrees []string
	// Removed also on error and on Ctrl-C: ctx is cancelled by then, so the
	// clean-up has its own.
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		for _, wt := range worktrees {
			if _, err := gitOutput(cctx, root, "worktree", "remove", "--force", wt); err != nil {
				fmt.Fprintf(stderr, "fanbench: %v (run git worktree prune to forget it)\n", err)
			}
		}
		os.RemoveAll(tmp)
	}()
	for _, b := range builds {
		dir := root
		if b.rev != "" {
			dir = filepath.Join(tmp, b.side.String())
			if _, err := gitOutput(ctx, root, "worktree", "add", "--detach", dir, b.commit); err != nil {
				return exitError{exitUsage, fmt.Errorf("compare: the %s %s: %w", b.side, b.label(), err)}
			}
			worktrees = append(worktrees, dir)
		}
		b.bin = filepath.Join(tmp, b.side.String()+".bin")
		fmt.Fprintf(stderr, "fanbench: building the %s: %s\n", b.side, b.label())
		if err := goBuild(ctx, dir, b.bin, stderr); err != nil {
			if i := interruption(ctx); i != nil {
				return fmt.Errorf("compare: interrupted while building the %s: %w", b.side, i)
			}
			return exitError{exitUsage, fmt.Errorf("compare: the build of the %s, %s, failed: %w", b.side, b.label(), err)}
		}
	}

	var cfgs [2]benchout.Config
	for s, b := range builds {
		cfgs[s] = sideConfig(all, b.bin)
		if p := batches[s].Shard; p != nil {
			cfg := cfgs[s]
			cfg.Version = releaseVersion()
			p.Config, _ = cfg.Lines()
		}
	}
	steps := interleave(jobs)
	fmt.Fprintf(stderr, "fanbench: %s: %d runs in child processes, base and head interleaved; results in %s and %s (batch %s)\n",
		strings.Join(rc.scenarioNames(), ", "), len(steps), dirs[sideBase], dirs[sideHead], id)
	var recs [2][]*result.Record
	start := time.Now()
	weights := make([]float64, len(steps))
	for i, st := range steps {
		weights[i] = float64(st.job.Case.Source.Size)
	}
	est, last := plan.NewEstimate(weights), start
	for s := range batches {
		batches[s].Planned = len(steps) / 2
		if err := result.WriteBatch(dirs[s], &batches[s]); err != nil {
			return err
		}
	}
	for i, st := range steps {
		if ctx.Err() != nil {
			break
		}
		b, job := builds[st.side], st.job
		job.Dir, job.Batch, job.Commit = dirs[st.side], id, batches[st.side].Commit
		// A fanbench binary calls runner.MaybeChild before it looks at its
		// arguments; no arguments also keeps a base too old to have
		// MaybeChild from running anything (it prints its usage).
		rec := runner.Spawn(ctx, job, runner.SpawnOptions{Path: b.bin, Args: []string{}})
		recs[st.side] = append(recs[st.side], rec)
		if rec.Status == result.Cancelled {
			break // killed by the interruption: it measured nothing
		}
		batches[st.side].Finished++
		now := time.Now()
		est.Done(weights[i], now.Sub(last))
		last = now
		left := ""
		if d, ok := est.Left(); ok && i+1 < len(steps) {
			left = fmt.Sprintf(", about %s left", d.Round(time.Second))
		}
		fmt.Fprintf(stderr, "[%d/%d] %s %s %s: %s, peak live %s (%s elapsed%s)\n", i+1, len(steps), st.side, job.Name(), job.Case.Limiter,
			rec.Status, mib(rec.Live.Peak), now.Sub(start).Round(time.Second), left)
		if why := jobUnreadable(rec, &job); why != "" {
			return exitError{exitUsage, fmt.Errorf("the %s commit's fanbench, %s, cannot read this job; choose a newer %s (%s)", st.side, b.label(), st.side, why)}
		}
		if rec.Status == result.Crash {
			fmt.Fprintf(stderr, "%s %s crashed: %s\n", st.side, job.Name(), firstLines(rec.Error, 6))
		}
	}
	var interrupted error
	if ctx.Err() != nil {
		interrupted = context.Cause(ctx)
		if i := interruption(ctx); i != nil {
			interrupted = i
			batches[0].Interrupted, batches[1].Interrupted = signalName(i.sig), signalName(i.sig)
		} else {
			batches[0].Interrupted, batches[1].Interrupted = interrupted.Error(), interrupted.Error()
		}
	}
	for s, dir := range dirs {
		finishShard(batches[s].Shard, jobs, recs[s])
		res := &result.Results{Batch: batches[s], Records: recs[s]}
		if err := result.WriteResults(dir, res); err != nil {
			return err
		}
		if _, err := writeBench(dir, res, cfgs[s]); err != nil {
			return err
		}
	}
	info := compareInfo{Base: builds[sideBase].describe(), Head: builds[sideHead].describe(), Options: opts}
	if err := writeCompareInfo(rc.out, &info); err != nil {
		return err
	}
	if interrupted != nil {
		done := batches[0].Finished + batches[1].Finished
		return fmt.Errorf("compare: interrupted after %d of %d runs (%s); the finished runs are in %s and %s: %w",
			done, len(steps), batches[0].Interrupted, dirs[sideBase], dirs[sideHead], interrupted)
	}

	if part != nil {
		_, _, crashes := unfinished(recs)
		fmt.Fprintf(stdout, "shard %d/%d: %d of %d cases run on both sides, in %s and %s; the verdict comes from fanbench merge of every shard\n",
			part.Index, part.Count, len(part.Mine), len(part.Units), dirs[sideBase], dirs[sideHead])
		if crashes > 0 {
			return exitError{exitUsage, fmt.Errorf("%d run(s) crashed; the comparison is incomplete", crashes)}
		}
		return nil
	}
	return judgeComparison(stdout, rc.out, &info, recs, batches[sideHead])
}

// checkBenchUnits rejects a gating or tolerance unit of opts that
// fanbench's results.bench does not hold.
func checkBenchUnits(opts compare.Options) error {
	units := benchout.Units()
	var tidied []string
	for _, u := range units {
		_, t := benchunit.Tidy(1, u)
		tidied = append(tidied, t)
	}
	check := func(flag, u string) error {
		_, t := benchunit.Tidy(1, u)
		if slices.Contains(tidied, t) {
			return nil
		}
		return fmt.Errorf("-%s: fanbench writes no unit %q (its units: %s)", flag, u, strings.Join(units, ", "))
	}
	for _, u := range opts.Metrics {
		if err := check("metrics", u); err != nil {
			return err
		}
	}
	for _, u := range slices.Sorted(maps.Keys(opts.Tolerance)) {
		if err := check("tolerance", u); err != nil {
			return err
		}
	}
	return nil
}

func (rc *revCompare) scenarioNames() []string {
	if len(rc.scenarios) == 0 {
		return []string{"smoke"}
	}
	return rc.scenarios
}

// plan returns the jobs of the comparison, as `fanbench run` would plan
// them with the same flags: -count runs of each case, then (with -profile)
// one profiling run of each, whose peak profiles fanbench pprof sets
// against each other, and no budgets.
func (rc *revCompare) plan() ([]runner.Job, error) {
	if err := checkFlags(rc.set, rc.modes, rc.limiters, 0, "", rc.count, "", ""); err != nil {
		return nil, err
	}
	if rc.count < 1 {
		return nil, fmt.Errorf("-count: must be ≥ 1 (got %d)", rc.count)
	}
	cacheRoot := ""
	if rc.cache {
		cacheRoot = spill.DefaultBase()
	}
	var jobs []runner.Job
	for _, name := range rc.scenarioNames() {
		spec, err := scenarios.Lookup(name)
		if err != nil {
			return nil, err
		}
		if rc.set["modes"] {
			spec.Strategies = splitList(rc.modes)
		}
		if rc.set["limiter"] {
			spec.Limiters = splitList(rc.limiters)
		}
		if rc.set["timeout"] {
			spec.Timeout = rc.timeout
		}
		spec.Count, spec.Budgets = rc.count, nil
		if err := spec.Validate(); err != nil {
			return nil, fmt.Errorf("%s with the flags given: %w", name, err)
		}
		cases, err := runner.CasesOf(spec, cacheRoot)
		if err != nil {
			return nil, err
		}
		tmpl := runner.DefaultJob(cases[0], 1, rc.out)
		tmpl.Timeout, tmpl.GOGC, tmpl.MemoryLimit = spec.Timeout, rc.gogc, spec.MemoryLimit
		js, err := planJobs(spec, cases, tmpl, rc.order, rc.profile)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, js...)
	}
	return jobs, nil
}

// step is one run of a comparison: a job of the plan and the side whose
// build runs it.
type step struct {
	side side
	job  runner.Job
}

// interleave lays out a comparison's runs: each job of the plan once with
// each build, back to back, so that both see the machine in the same state.
// The base goes first in odd rounds (Job.Rep) and the head in even ones, so
// that neither side is always the one that runs after the other (on a page
// cache the other warmed, or later in a spell of thermal throttling); with
// an even count, each case runs first on each side equally often.
func interleave(jobs []runner.Job) []step {
	steps := make([]step, 0, 2*len(jobs))
	for _, j := range jobs {
		first, second := sideBase, sideHead
		if j.Rep%2 == 0 {
			first, second = sideHead, sideBase
		}
		steps = append(steps, step{first, j}, step{second, j})
	}
	return steps
}

// jobUnreadable says how rec shows that the fanbench which ran job could
// not run it, or returns "": its child could not decode the job (a Job type
// of another shape; the message runner's children have written since they
// exist), exited 0 without a record or printed its usage (a fanbench older
// than child processes), or ran another case than the job's (a job format
// that decoded but meant something else).
func jobUnreadable(rec *result.Record, job *runner.Job) string {
	if rec.Status == result.Crash {
		for line := range strings.Lines(rec.Error) {
			if strings.Contains(line, "fanbench child: read job") {
				return strings.TrimSpace(line)
			}
		}
		switch {
		case strings.Contains(rec.Error, "without a readable record"):
			return "its child exited 0 without a record"
		case strings.Contains(rec.Error, "usage: fanbench"):
			return "it does not run jobs in child processes: it printed its usage"
		}
		return ""
	}
	want := fmt.Sprintf("%s/%s %s rep %d", job.Case.Name, job.Case.Strategy, job.Case.Limiter, job.Rep)
	got := fmt.Sprintf("%s/%s %s rep %d", rec.Scenario, rec.Strategy, rec.Limiter, rec.Rep)
	if got != want {
		return fmt.Sprintf("given %s, it ran %s", want, got)
	}
	return ""
}

// unfinished returns one line per case in which some run did not finish
// (oom, timeout, crash, error) on either side, whether the head failed
// more runs than the base in some case, and how many runs crashed.
func unfinished(recs [2][]*result.Record) (lines []string, headWorse bool, crashes int) {
	type key struct{ scenario, strategy, limiter string }
	type tally struct {
		runs, failed [2]int
		how          [2][]string
	}
	var keys []key
	tallies := map[key]*tally{}
	for s := range recs {
		for _, r := range recs[s] {
			if r.Status == result.Crash {
				crashes++
			}
			if r.Status == result.Cancelled || r.Profile {
				continue // measured nothing, or apart from the measured runs
			}
			k := key{r.Scenario, r.Strategy, r.Limiter}
			t := tallies[k]
			if t == nil {
				t = &tally{}
				tallies[k] = t
				keys = append(keys, k)
			}
			t.runs[s]++
			if r.Status != result.OK {
				t.failed[s]++
				if !slices.Contains(t.how[s], string(r.Status)) {
					t.how[s] = append(t.how[s], string(r.Status))
				}
			}
		}
	}
	for _, k := range keys {
		t := tallies[k]
		if t.failed[sideBase] == 0 && t.failed[sideHead] == 0 {
			continue
		}
		side := func(s side) string {
			if t.failed[s] == 0 {
				return fmt.Sprintf("%s 0 of %d", s, t.runs[s])
			}
			return fmt.Sprintf("%s %d of %d (%s)", s, t.failed[s], t.runs[s], strings.Join(t.how[s], ", "))
		}
		worse := t.failed[sideHead] > t.failed[sideBase]
		headWorse = headWorse || worse
		mark := ""
		if worse {
			mark = "FAIL: "
		}
		lines = append(lines, fmt.Sprintf("%sruns that did not finish in %s/%s %s: %s, %s", mark, k.scenario, k.strategy, k.limiter, side(sideBase), side(sideHead)))
	}
	return lines, headWorse, crashes
}

// resolveRev returns the full hash of the commit rev names in the
// repository at root, or an error naming rev.
func resolveRev(ctx context.Context, root, rev string) (string, error) {
	if strings.HasPrefix(rev, "-") {
		return "", fmt.Errorf("%q is not a revision", rev)
	}
	cmd := exec.CommandContext(ctx, "git", "rev-parse", "--verify", "--quiet", rev+"^{commit}")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit) && ctx.Err() == nil:
		return "", fmt.Errorf("%q is not a commit in %s (git rev-parse --verify %q: none)", rev, root, rev+"^{commit}")
	case err != nil:
		return "", fmt.Errorf("git rev-parse %q: %v %s", rev, err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// gitOutput runs git in dir ("" for the current directory) and returns
// its standard output, trimmed, or an error holding its standard error.
func gitOutput(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("git %s: %s", strings.Join(args, " "), msg)
	}
	return strings.TrimSpace(stdout.String()), nil
}

// goBuild builds fanbench from the module at dir into bin, streaming the go
// command's output to w. -trimpath keeps the worktree's path out of every
// package's build, so the build cache serves both sides the packages they
// share (and a second build of the same commit entirely).
func goBuild(ctx context.Context, dir, bin string, w io.Writer) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin, "./cmd/fanbench")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = w, w
	return cmd.Run()
}

// firstLines returns s's first n lines, and a note of how many it left out.
func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) <= n {
		return strings.Join(lines, "\n")
	}
	return fmt.Sprintf("%s\n[... %d more lines in the record ...]", strings.Join(lines[:n], "\n"), len(lines)-n)
}
