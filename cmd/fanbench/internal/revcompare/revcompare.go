// Package revcompare is fanbench compare -base: it compares two revisions
// of fanbench's own code by building each and running the same plan with
// both, interleaved.
//
// In steps:
//  1. plan the runs with this fanbench's scenarios and job format;
//  2. resolve the two revisions in the git repository around the current
//     directory;
//  3. build fanbench for each side: a revision in a temporary detached
//     worktree, the working tree in place;
//  4. run every job of the plan once with each build, back to back
//     (interleave), one child at a time, each side's records in its own
//     results directory;
//  5. compare the two results.bench files as `fanbench compare OLD NEW` does.
package revcompare

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/perf/benchunit"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/exit"
	"github.com/fanbench/fanbench/cmd/fanbench/internal/outputs"
	"github.com/fanbench/fanbench/cmd/fanbench/internal/plan"
	"github.com/fanbench/fanbench/cmd/fanbench/internal/progress"
	"github.com/fanbench/fanbench/cmd/fanbench/internal/revision"
	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/runner"
	"github.com/fanbench/fanbench/reports/benchout"
	"github.com/fanbench/fanbench/reports/compare"
)

// Options are the -base form's command line.
type Options struct {
	// Base and Head are the revisions as given; Head "" is the working
	// tree.
	Base, Head string
	// Flags are the scenario settings given (-strategies, -limiter,
	// -timeout, -count); Flags.Count is the runs per side of each case.
	Flags plan.Flags
	// Run says how the runs run; Run.Out is the results directory, one
	// subdirectory per side.
	Run plan.Options
	// Scenarios are the scenarios as given; none means smoke.
	Scenarios []string
	// Compare judges the two sides' results.
	Compare compare.Options
}

// Comparison is a planned comparison of two revisions.
type Comparison struct {
	o    Options
	jobs []runner.Job
}

// Command is fanbench compare -base with the options o: it checks them,
// plans the runs, resolves this process's shard (shards) and, unless
// parseOnly, runs the comparison.
func Command(ctx context.Context, stdout, stderr io.Writer, o Options, shards *plan.ShardFlags, parseOnly bool) error {
	if o.Base == "" {
		return exit.UsageError(errors.New("compare: -base: empty revision"))
	}
	c, err := Plan(o)
	if err != nil {
		return err
	}
	shard, err := shards.Resolve(stderr)
	if err != nil || parseOnly {
		return err
	}
	return c.Run(ctx, stdout, stderr, shard)
}

// Plan checks the comparison's options and lays out its runs. Every error
// is bad input (exit.Usage).
func Plan(o Options) (*Comparison, error) {
	// Options out of range would otherwise be found after every run.
	var inputErr *compare.InputError
	if _, err := compare.Compare(strings.NewReader(""), strings.NewReader(""), "", "", o.Compare); !errors.As(err, &inputErr) {
		return nil, exit.UsageError(err)
	}
	// So would a unit that fanbench does not write.
	if err := checkBenchUnits(o.Compare); err != nil {
		return nil, exit.UsageError(err)
	}
	c := &Comparison{o: o}
	jobs, err := c.plan()
	if err != nil {
		return nil, exit.UsageError(err)
	}
	c.jobs = jobs
	return c, nil
}

// Run runs the comparison's share of shard sh and, for the whole batch,
// gives the verdict. Errors before any run (revisions, builds) exit 2; see
// fanbench compare's usage for the rest.
func (c *Comparison) Run(ctx context.Context, stdout, stderr io.Writer, shard plan.Shard) error {
	rc, jobs, opts := &c.o, c.jobs, c.o.Compare
	root, err := revision.Git(ctx, "", "rev-parse", "--show-toplevel")
	if err != nil {
		return exit.UsageError(fmt.Errorf("compare -base needs a git checkout of fanbench around the current directory: %w", err))
	}
	builds := [2]*build{{side: sideBase, rev: rc.Base}, {side: sideHead, rev: rc.Head}}
	for _, b := range builds {
		if b.rev != "" {
			if b.commit, err = revision.Resolve(ctx, root, b.rev); err != nil {
				return exit.UsageError(fmt.Errorf("compare: -%s: %w", b.side, err))
			}
			continue
		}
		b.commit, _ = revision.Git(ctx, root, "rev-parse", "--verify", "--quiet", "HEAD")
		st, err := revision.Git(ctx, root, "status", "--porcelain")
		if err != nil {
			return exit.UsageError(fmt.Errorf("compare: %w", err))
		}
		b.dirty = st != ""
	}

	// A shard runs its cases on both sides, and leaves the verdict to
	// fanbench merge.
	all := jobs
	version := fmt.Sprintf("%s %s, base %s, head %s", revision.Release(), revision.Commit(ctx), builds[sideBase].commitName(), builds[sideHead].commitName())
	jobs, part, err := plan.Split(all, shard, result.Shard{Kind: "compare", Scenarios: rc.scenarioNames(), Plan: plan.Digest(nil, all), Version: version}, plan.CaseKey)
	if err != nil {
		return exit.UsageError(err)
	}

	// Each side's results directory is this comparison's from here on, and
	// an earlier one's files are moved aside, before anything is built.
	dirs := [2]string{filepath.Join(rc.Run.Out, "base"), filepath.Join(rc.Run.Out, "head")}
	var batches [2]result.Batch
	id := result.NewBatchID(time.Now())
	for s, dir := range dirs {
		lock, err := outputs.Take(dir, id, "comparison", stderr)
		if err != nil {
			return err
		}
		defer lock.Unlock()
		batches[s] = result.Batch{ID: id, Commit: builds[s].commitName(), Started: time.Now(), Shard: sidePart(part, side(s))}
	}
	for _, name := range []string{"summary.md", InfoFile} {
		if err := os.Remove(filepath.Join(rc.Run.Out, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return exit.UsageError(fmt.Errorf("results directory %s: %w", rc.Run.Out, err))
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
			if _, err := revision.Git(cctx, root, "worktree", "remove", "--force", wt); err != nil {
				fmt.Fprintf(stderr, "fanbench: %v (run git worktree prune to forget it)\n", err)
			}
		}
		os.RemoveAll(tmp)
	}()
	for _, b := range builds {
		dir := root
		if b.rev != "" {
			dir = filepath.Join(tmp, b.side.String())
			if _, err := revision.Git(ctx, root, "worktree", "add", "--detach", dir, b.commit); err != nil {
				return exit.With(exit.Usage, fmt.Errorf("compare: the %s %s: %w", b.side, b.label(), err))
			}
			worktrees = append(worktrees, dir)
		}
		b.bin = filepath.Join(tmp, b.side.String()+".bin")
		fmt.Fprintf(stderr, "fanbench: building the %s: %s\n", b.side, b.label())
		if err := revision.Build(ctx, dir, b.bin, stderr); err != nil {
			if i := exit.Interruption(ctx); i != nil {
				return fmt.Errorf("compare: interrupted while building the %s: %w", b.side, i)
			}
			return exit.With(exit.Usage, fmt.Errorf("compare: the build of the %s, %s, failed: %w", b.side, b.label(), err))
		}
	}

	var cfgs [2]benchout.Config
	for s, b := range builds {
		cfgs[s] = sideConfig(all, b.bin)
		if p := batches[s].Shard; p != nil {
			cfg := cfgs[s]
			cfg.Version = revision.Release()
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
			rec.Status, progress.MiB(rec.Live.Peak), now.Sub(start).Round(time.Second), left)
		if why := jobUnreadable(rec, &job); why != "" {
			return exit.With(exit.Usage, fmt.Errorf("the %s commit's fanbench, %s, cannot read this job; choose a newer %s (%s)", st.side, b.label(), st.side, why))
		}
		if rec.Status == result.Crash {
			fmt.Fprintf(stderr, "%s %s crashed: %s\n", st.side, job.Name(), progress.FirstLines(rec.Error, 6))
		}
	}
	var interrupted error
	if ctx.Err() != nil {
		interrupted = context.Cause(ctx)
		if i := exit.Interruption(ctx); i != nil {
			interrupted = i
			batches[0].Interrupted, batches[1].Interrupted = exit.SignalName(i.Sig), exit.SignalName(i.Sig)
		} else {
			batches[0].Interrupted, batches[1].Interrupted = interrupted.Error(), interrupted.Error()
		}
	}
	for s, dir := range dirs {
		plan.FinishShard(batches[s].Shard, jobs, recs[s])
		res := &result.Results{Batch: batches[s], Records: recs[s]}
		if err := result.WriteResults(dir, res); err != nil {
			return err
		}
		if _, err := outputs.Bench(dir, res, cfgs[s]); err != nil {
			return err
		}
	}
	info := Info{Base: builds[sideBase].describe(), Head: builds[sideHead].describe(), Options: opts}
	if err := WriteInfo(rc.Run.Out, &info); err != nil {
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
			return exit.With(exit.Usage, fmt.Errorf("%d run(s) crashed; the comparison is incomplete", crashes))
		}
		return nil
	}
	return judge(stdout, rc.Run.Out, &info, recs, batches[sideHead])
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

func (o *Options) scenarioNames() []string {
	if len(o.Scenarios) == 0 {
		return []string{"smoke"}
	}
	return o.Scenarios
}

// plan returns the jobs of the comparison, as fanbench run would plan
// them with the same flags: Flags.Count runs of each case, then (with
// Run.Profile) one profiling run of each, whose peak profiles fanbench
// pprof sets against each other, and no budgets.
func (c *Comparison) plan() ([]runner.Job, error) {
	f := c.o.Flags
	f.Given = maps.Clone(f.Given)
	f.Given["count"] = true
	var jobs []runner.Job
	for _, name := range c.o.scenarioNames() {
		spec, _, err := f.Load(name)
		if err != nil {
			return nil, err
		}
		spec.Budgets = nil
		o := c.o.Run
		o.Trace = false
		sc, err := plan.Runs(spec, o)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, sc.Jobs...)
	}
	return jobs, nil
}
