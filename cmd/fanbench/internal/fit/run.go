package fit

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/exit"
	"github.com/fanbench/fanbench/cmd/fanbench/internal/merge"
	"github.com/fanbench/fanbench/cmd/fanbench/internal/outputs"
	"github.com/fanbench/fanbench/cmd/fanbench/internal/plan"
	"github.com/fanbench/fanbench/cmd/fanbench/internal/progress"
	"github.com/fanbench/fanbench/cmd/fanbench/internal/revision"
	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/limiter"
	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/runner"
	"github.com/fanbench/fanbench/reports/benchout"
	"github.com/fanbench/fanbench/reports/runs"
	"github.com/fanbench/fanbench/scenarios"
)

// ChartFile is the chart of the answers in a results directory.
const ChartFile = "fit.svg"

// Fit is fanbench fit's batch, planned: one search per case (an upload and
// a strategy) of a scenario, each run measured under the memory limit. Its
// methods are not safe for concurrent use.
type Fit struct {
	spec   *scenarios.Spec
	mine   []runner.Job // a job per search of this shard
	cfg    benchout.Config
	stderr io.Writer
	out    string
	child  string // the program that runs each job (plan.Options.Child)
	tmpl   runner.Job
	start  time.Time
	batch  result.Batch
	recs   []*result.Record
}

// Plan plans the fit of the scenario name with the flags f (a memory limit
// is required, from -memlimit or the scenario) and the options o, for
// shard sh; commit names the code under test. Every error is bad input
// (exit.Usage).
func Plan(name string, f *plan.Flags, o plan.Options, sh plan.Shard, commit string) (*Fit, error) {
	spec, _, err := f.Load(name)
	if err != nil {
		return nil, err
	}
	if spec.MemoryLimit == 0 {
		return nil, exit.UsageError(fmt.Errorf("fit: %s has no memory limit: give -memlimit SIZE", name))
	}
	// fit chooses the limiters; one run of each setting decides it.
	spec.Limiters, spec.Count, spec.Budgets, spec.Expect, spec.Baseline = []string{"fixed:1"}, 1, nil, nil, ""
	if err := spec.Validate(); err != nil {
		return nil, exit.UsageError(fmt.Errorf("%s with the flags given: %w", name, err))
	}
	cases, err := runner.CasesOf(spec, o.CacheRoot())
	if err != nil {
		return nil, exit.UsageError(err)
	}
	tmpl := o.Template(spec, cases)
	tmpl.Expect = result.OOM
	start := time.Now()
	ft := &Fit{spec: spec, out: o.Out, child: o.Child, tmpl: tmpl, start: start}
	ft.batch = result.Batch{Started: start, Baselines: map[string]string{spec.Name: plan.Baseline(spec)}}
	ft.batch.ID, ft.batch.Commit = result.NewBatchID(start), commit
	all := make([]runner.Job, len(cases))
	for i, c := range cases {
		all[i] = tmpl
		all[i].Case = c
	}
	ft.cfg = plan.BenchConfig(all)
	mine, info, err := plan.Split(all, sh, plan.Part("fit", []*scenarios.Spec{spec}, all, ft.cfg, commit), key)
	if err != nil {
		return nil, exit.UsageError(err)
	}
	if info != nil {
		info.Order = nil // a search's runs are not known before it runs
	}
	ft.mine, ft.batch.Shard = mine, info
	return ft, nil
}

// key names one search, a unit of a sharded fit: the upload (the variant's
// name) and the strategy.
func key(c runner.Case) string { return c.Name + "/" + c.Strategy.String() }

// Run runs the searches, writes what they found (fit.json, fit.svg, the
// records, results.bench and the reports) and prints the answers on
// stdout, the runs on stderr.
func (f *Fit) Run(ctx context.Context, stdout, stderr io.Writer) error {
	f.stderr = stderr
	lock, err := outputs.Take(f.out, f.batch.ID, "batch", stderr)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	if err := result.WriteBatch(f.out, &f.batch); err != nil {
		return exit.UsageError(err)
	}
	info := f.batch.Shard
	fmt.Fprintf(stderr, "fanbench fit: %s, %d search(es) under %s%s, results in %s (batch %s, code %s)\n", f.spec.Name, len(f.mine),
		runs.FormatBytes(f.spec.MemoryLimit), plan.ShardNote(info), f.out, f.batch.ID, cmp.Or(f.batch.Commit, "of unknown commit"))
	var entries []Entry
	var searchErr error
	for _, j := range f.mine {
		e, err := f.search(ctx, j.Case)
		if err != nil {
			searchErr = err
			break
		}
		entries = append(entries, e)
		if info != nil {
			info.Done = append(info.Done, key(j.Case))
		}
	}
	return f.finish(ctx, stdout, entries, searchErr)
}

// budgetInner is the policy a byte budget holds in fit's searches: the AIMD
// limiter's ceiling, the highest cap it reaches (a warm start from a saved
// cap of 64 starts there), as a fixed cap so that the budget alone bounds
// the runs.
var budgetInner = fmt.Sprintf("fixed:%d", limiter.DefaultStore.Max)

// budgetFor returns, for an upload whose largest chunk is largest bytes,
// the highest byte budget that allows cap stores at once: one byte less
// than cap+1 of its largest chunks, as the client divides the budget by
// the largest record of the wave (ant-client client_engine.rs
// store_byte_bound; limiter.BudgetBound).
func budgetFor(largest int64) func(cap int) int64 {
	return func(cap int) int64 { return int64(cap+1)*largest - 1 }
}

// search answers one case (an upload and a strategy): the model's
// predictions, the cap search, then the byte budget search from the cap's
// answer.
func (f *Fit) search(ctx context.Context, c runner.Case) (Entry, error) {
	e := Entry{Strategy: c.Strategy.String(), Client: cmp.Or(c.Client, client.Default), Scenario: c.Name, Size: c.Source.Size, MemLimit: f.tmpl.MemoryLimit,
		Allocator: c.AllocatorPolicy(), BudgetInner: budgetInner}
	up, err := runner.NewUpload(ctx, c)
	if err != nil {
		return e, fmt.Errorf("fit: %s: the upload's chunks: %w", c.Name, err)
	}
	defer up.Close()
	sizes := up.Sizes
	e.LargestChunk = int64(slices.Max(sizes))
	budget := budgetFor(e.LargestChunk)
	bound := runner.CapBound(len(sizes))
	for k := 1; k <= bound; k++ {
		e.Predicted = append(e.Predicted, up.PredictAtCap(k))
	}
	model := Proposer{Predicted: e.Predicted, Limit: f.tmpl.MemoryLimit, Baseline: c.Baseline()}
	e.ProposedCap = model.Propose(nil)
	fmt.Fprintf(f.stderr, "fit %s/%s: %d chunks, caps 1 to %d differ; the model proposes cap %d\n", c.Name, e.Strategy, len(sizes), bound, e.ProposedCap)
	probe := func(limiter func(int) string) Probe {
		return func(ctx context.Context, step int) (Outcome, error) { return f.probe(ctx, c, limiter(step)) }
	}
	caps, err := Search(ctx, probe(func(k int) string { return fmt.Sprintf("fixed:%d", k) }), model.Propose, bound)
	if err != nil {
		return e, err
	}
	var budgets *Answer
	if caps.Max < bound {
		b, err := Search(ctx, probe(func(k int) string { return scenarios.BudgetLimiter(budget(k), budgetInner) }), Fixed(caps.Max), bound)
		if err != nil {
			return e, err
		}
		budgets = &b
	}
	e.Answer(caps, budgets, budget)
	e.Setting = Setting(&e)
	return e, nil
}

// probe runs c under the limiter lim, a step of the search, once, and says
// how it ended.
func (f *Fit) probe(ctx context.Context, c runner.Case, lim string) (Outcome, error) {
	j := f.tmpl
	j.Case, j.Case.Limiter = c, lim
	j.Batch, j.Commit = f.batch.ID, f.batch.Commit
	prog := progress.NewLine(f.stderr)
	opts := runner.SpawnOptions{Path: f.child}
	if prog != nil {
		opts.Progress = prog.Update
	}
	r := runner.Spawn(ctx, j, opts)
	if prog != nil {
		prog.Clear()
	}
	if r.Status != result.Cancelled {
		f.recs = append(f.recs, r)
		f.batch.Finished++
	}
	f.batch.Planned++
	o := Outcome{Setting: lim, Fits: r.Status == result.OK, Status: string(r.Status), PeakLive: r.Live.Peak,
		Resident: r.Memory.PeakResident, ModelPeak: r.ModelPeak, Stored: r.Stored, Total: r.Total, Record: j.RecordPath()}
	fmt.Fprintf(f.stderr, "  %s %s: %s, client resident %s, peak live %s (%s elapsed)\n", j.Name(), lim, r.Status,
		progress.MiB(r.Memory.PeakResident), progress.MiB(r.Live.Peak), time.Since(f.start).Round(time.Second))
	progress.Warnings(f.stderr, r)
	switch r.Status {
	case result.OK, result.OOM:
		return o, nil
	case result.Cancelled:
		return o, context.Cause(ctx)
	}
	return o, fmt.Errorf("fit: %s (%s) ended %s, neither completing nor killed at the limit, so the search cannot go on: %s", j.Name(), lim, r.Status, progress.FirstLines(r.Error, 3))
}

// finish writes what the searches found (fit.json, fit.svg, the records,
// results.bench and the reports) and prints the answers; searchErr, if
// any, decides the exit.
func (f *Fit) finish(ctx context.Context, stdout io.Writer, entries []Entry, searchErr error) error {
	if sig := exit.Interruption(ctx); sig != nil {
		f.batch.Interrupted = exit.SignalName(sig.Sig)
	}
	if searchErr != nil && f.batch.Interrupted == "" {
		f.batch.Unexpected = append(f.batch.Unexpected, searchErr.Error())
	}
	res := &result.Results{Batch: f.batch, Records: f.recs}
	if err := result.WriteResults(f.out, res); err != nil {
		return err
	}
	if _, err := outputs.Bench(f.out, res, f.cfg); err != nil {
		return err
	}
	if len(f.recs) > 0 {
		if _, err := outputs.Reports(f.out, res); err != nil {
			return err
		}
	}
	if err := writeFiles(f.out, entries); err != nil {
		return err
	}
	if len(entries) > 0 {
		if err := WriteText(stdout, entries); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nanswers: %s\nchart: %s\nrecords: %s\n", filepath.Join(f.out, File), filepath.Join(f.out, ChartFile), filepath.Join(f.out, result.ResultsFile))
	}
	switch {
	case f.batch.Interrupted != "":
		return fmt.Errorf("fit: interrupted; the answers so far are in %s: %w", f.out, exit.Interruption(ctx))
	case searchErr != nil:
		return exit.With(exit.Fail, searchErr)
	}
	return nil
}

// writeFiles writes DIR/fit.json and, when there are answers, fit.svg.
func writeFiles(dir string, entries []Entry) error {
	if err := WriteFile(dir, entries); err != nil {
		return err
	}
	if len(entries) == 0 {
		return nil
	}
	var svg bytes.Buffer
	if err := WriteChart(&svg, entries); err != nil {
		return err
	}
	return result.WriteFileAtomic(filepath.Join(dir, ChartFile), svg.Bytes())
}

// Merge writes a joined fit into out: the runs and reports as merge writes
// a joined run, and every shard's answers in one fit.json and fit.svg, by
// upload size and strategy; it prints the answers on stdout.
func Merge(stdout, stderr io.Writer, out string, j *merge.Joined) error {
	var entries []Entry
	for _, p := range j.Parts {
		es, err := ReadFile(p.Dir)
		if err != nil {
			return exit.UsageError(fmt.Errorf("merge: shard %d/%d: %w", p.Batch.Shard.Index, p.Batch.Shard.Count, err))
		}
		entries = append(entries, es...)
	}
	slices.SortStableFunc(entries, func(a, b Entry) int {
		return cmp.Or(cmp.Compare(a.Size, b.Size), strings.Compare(a.Scenario, b.Scenario), runs.CompareStrategies(a.Strategy, b.Strategy))
	})
	if err := j.Write(out, true); err != nil {
		return err
	}
	if err := writeFiles(out, entries); err != nil {
		return err
	}
	if len(entries) > 0 {
		if err := WriteText(stdout, entries); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "\nmerged %d shards\nanswers: %s\nchart: %s\nrecords: %s\n", len(j.Parts), filepath.Join(out, File), filepath.Join(out, ChartFile), filepath.Join(out, result.ResultsFile))
	if u := j.Results.Batch.Unexpected; len(u) > 0 {
		fmt.Fprintln(stderr, strings.Join(u, "\n"))
		return exit.With(exit.Fail, fmt.Errorf("%d search(es) could not conclude", len(u)))
	}
	return nil
}

// Command is fanbench fit of the scenario names (one at most; none means
// seed-20mb) with the flags f and the options o: it checks the command
// line, plans the fit for this process's shard and, unless parseOnly, runs
// it.
func Command(ctx context.Context, stdout, stderr io.Writer, names []string, f *plan.Flags, o plan.Options, shards *plan.ShardFlags, parseOnly bool) error {
	if len(names) > 1 {
		return exit.UsageError(fmt.Errorf("fit: one scenario at a time, got %d", len(names)))
	}
	if len(names) == 0 {
		names = []string{"seed-20mb"}
	}
	if err := f.Check(); err != nil {
		return exit.UsageError(err)
	}
	shard, err := shards.Resolve(stderr)
	if err != nil {
		return err
	}
	ft, err := Plan(names[0], f, o, shard, revision.Commit(ctx))
	if err != nil || parseOnly {
		return err
	}
	return ft.Run(ctx, stdout, stderr)
}
