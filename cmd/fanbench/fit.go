package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/fit"
	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/limiter"
	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/runner"
	"github.com/fanbench/fanbench/harness/spill"
	"github.com/fanbench/fanbench/harness/upload/strategy"
	"github.com/fanbench/fanbench/reports/benchout"
	"github.com/fanbench/fanbench/reports/runs"
	"github.com/fanbench/fanbench/scenarios"
)

const fitUsage = `usage: fanbench fit -memlimit SIZE [flags] [SCENARIO]

Answers the inverse question: for each buffer strategy, the highest fixed
store cap and the highest in-flight byte budget whose upload of SCENARIO
(default seed-20mb; -size to change the upload) completes under the memory
limit, which judges the client's resident memory as -memlimit does for run.

The analytic model proposes the highest cap whose predicted peak of live
bytes is under the limit, then again with the first run's ratio of resident
to live memory; measured runs, one per setting (the verdicts are exact),
confirm the answer (it completes) and the next step up (it is killed),
galloping and halving from the proposal, usually in a handful of runs. The byte budget holds the AIMD limiter at its ceiling (64), the most
it can reach. Writes DIR/fit.json (one object per strategy and upload),
DIR/fit.svg (predicted and measured peaks against the cap, with the limit),
every run's record, results.bench, report.html and summary.md, and prints
the setting to put in the client's configuration.

Exits 1 when a run neither completed nor was killed at the limit (a crash,
a timeout, a failed upload), 2 on bad flags, 0 otherwise.

Examples:
  fanbench fit -memlimit 1536MiB -size 314572800 -modes shared-buffer
  fanbench fit -memlimit 4GiB -size 1GiB -o /tmp/fit
  fanbench fit vm4g-300mb
  fanbench fit -memlimit 3.5GB -shard 2/4 -o fit-2 sweep.yaml

Flags:
`

func cmdFit(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newCommandFlags("fit", fitUsage, stdout, stderr)
	memlimit := fs.String("memlimit", "", "the memory limit on the client's resident memory, e.g. 4GiB (default: the scenario's)")
	size := fs.String("size", "", "source size: bytes, or a number and a unit (20MiB, 1.5GiB, 300MB) (default: the scenario's)")
	modes := fs.String("modes", "", "comma-separated buffer strategies: "+strings.Join(strategy.Names(), ", ")+" (default: the scenario's)")
	out := fs.String("o", "results/fit", "results directory, taken by one batch at a time; an earlier batch's files are moved to its previous/")
	seed := fs.Uint64("seed", 0, "source seed (default: the scenario's)")
	transport := fs.Bool("transport", true, "model the transport's own copies (default: the scenario's)")
	pay := fs.String("payment", "", "payment mode: auto, single or merkle (default: the scenario's)")
	uploaderName := fs.String("uploader", "", uploaderUsage())
	allocator := fs.String("allocator", "", "allocator of the client's buffers (default: the scenario's, else glibc)")
	clientName := fs.String("client", "", "client profile to model: "+strings.Join(client.Names(), ", ")+" (default: the scenario's, else "+client.Default+")")
	timeout := fs.Duration("timeout", 0, "time limit of each run (default: the scenario's)")
	gogc := fs.Int("gogc", 100, "GOGC of each run (-1 for off)")
	cache := fs.Bool("cache", true, "reuse encrypted spills across runs (in the user cache directory)")
	var shards shardOpts
	shards.register(fs)
	var names []string
	for rest := args; ; {
		if err := fs.parse(rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		names = append(names, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if len(names) > 1 {
		return usageError{fmt.Errorf("fit: one scenario at a time, got %d", len(names))}
	}
	if len(names) == 0 {
		names = []string{"seed-20mb"}
	}
	var sizeBytes, memBytes int64
	var err error
	if set["size"] {
		if sizeBytes, err = scenarios.ParseBytes(*size); err != nil {
			return usageError{fmt.Errorf("-size: %w", err)}
		}
	}
	if set["memlimit"] {
		if memBytes, err = scenarios.ParseBytes(*memlimit); err == nil && memBytes == 0 {
			err = errors.New("must be > 0")
		}
		if err != nil {
			return usageError{fmt.Errorf("-memlimit: %w", err)}
		}
	}
	if err := checkFlags(set, *modes, "", sizeBytes, *pay, 1, *allocator, *clientName); err != nil {
		return usageError{err}
	}
	if err := checkUploader(set, *uploaderName); err != nil {
		return usageError{err}
	}
	shard, err := shards.resolve(stderr)
	if err != nil {
		return err
	}
	spec, err := scenarios.Lookup(names[0])
	if err != nil {
		return usageError{err}
	}
	if set["size"] || set["seed"] {
		spec.Name = fmt.Sprintf("%s-size-%d-seed-%d", spec.Name, or(sizeBytes, spec.Source.Size), or(*seed, spec.Source.Seed))
		spec.Source.Size, spec.Source.Sizes = or(sizeBytes, spec.Source.Size), nil
		spec.Source.Seed = or(*seed, spec.Source.Seed)
	}
	if set["modes"] {
		spec.Strategies = splitList(*modes)
	}
	if set["payment"] {
		spec.Payment = *pay
	}
	if set["transport"] {
		spec.Transport = *transport
	}
	if set["allocator"] {
		spec.Allocator = *allocator
	}
	if set["client"] {
		spec.Clients = []string{*clientName}
	}
	if set["uploader"] {
		spec.Uploader = *uploaderName
	}
	if set["timeout"] {
		spec.Timeout = *timeout
	}
	if set["memlimit"] {
		spec.MemoryLimit = memBytes
	}
	if spec.MemoryLimit == 0 {
		return usageError{fmt.Errorf("fit: %s has no memory limit: give -memlimit SIZE", names[0])}
	}
	// fit chooses the limiters; one run of each setting decides it.
	spec.Limiters, spec.Count, spec.Budgets, spec.Expect, spec.Baseline = []string{"fixed:1"}, 1, nil, nil, ""
	if err := spec.Validate(); err != nil {
		return usageError{fmt.Errorf("%s with the flags given: %w", names[0], err)}
	}
	cacheRoot := ""
	if *cache {
		cacheRoot = spill.DefaultBase()
	}
	cases, err := runner.CasesOf(spec, cacheRoot)
	if err != nil {
		return usageError{err}
	}
	tmpl := runner.DefaultJob(cases[0], 1, *out)
	tmpl.Timeout, tmpl.GOGC, tmpl.MemoryLimit, tmpl.Expect = spec.Timeout, *gogc, spec.MemoryLimit, result.OOM

	f := &fitter{stderr: stderr, out: *out, tmpl: tmpl, start: time.Now()}
	f.batch = result.Batch{Started: f.start, Baselines: map[string]string{spec.Name: baselineOf(spec)}}
	f.batch.ID, f.batch.Commit = result.NewBatchID(f.start), codeCommit(ctx)
	all := make([]runner.Job, len(cases))
	for i, c := range cases {
		all[i] = tmpl
		all[i].Case = c
	}
	benchCfg := benchConfig(all)
	mine, info, err := splitJobs(all, shard, partOf("fit", []*scenarios.Spec{spec}, all, benchCfg, f.batch.Commit), fitKey)
	if err != nil {
		return usageError{err}
	}
	if info != nil {
		info.Order = nil // a search's runs are not known before it runs
	}
	f.batch.Shard = info

	if parseOnly(ctx) {
		return nil
	}
	lock, err := result.LockDir(*out, f.batch.ID)
	if err != nil {
		return usageError{err}
	}
	defer lock.Unlock()
	if moved, err := lock.Retire(); err != nil {
		return usageError{err}
	} else if len(moved) > 0 {
		fmt.Fprintf(stderr, "fanbench: moved an earlier batch's %s to %s\n", strings.Join(moved, ", "), filepath.Join(*out, result.PreviousDir))
	}
	if err := result.WriteBatch(*out, &f.batch); err != nil {
		return usageError{err}
	}
	fmt.Fprintf(stderr, "fanbench fit: %s, %d search(es) under %s%s, results in %s (batch %s, code %s)\n", spec.Name, len(mine),
		runs.FormatBytes(spec.MemoryLimit), shardNote(info), *out, f.batch.ID, cmp.Or(f.batch.Commit, "of unknown commit"))

	var entries []fit.Entry
	var searchErr error
	for _, j := range mine {
		e, err := f.search(ctx, j.Case, spec)
		if err != nil {
			searchErr = err
			break
		}
		entries = append(entries, e)
		if info != nil {
			info.Done = append(info.Done, fitKey(j.Case))
		}
	}
	return f.finish(ctx, stdout, entries, benchCfg, searchErr)
}

// fitter runs the searches of one fit and keeps their records.
type fitter struct {
	stderr io.Writer
	out    string
	tmpl   runner.Job
	start  time.Time
	batch  result.Batch
	recs   []*result.Record
}

// fitKey names one search, a unit of a sharded fit: the upload (the
// variant's name) and the strategy.
func fitKey(c runner.Case) string { return c.Name + "/" + c.Strategy.String() }

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
func (f *fitter) search(ctx context.Context, c runner.Case, spec *scenarios.Spec) (fit.Entry, error) {
	e := fit.Entry{Strategy: c.Strategy.String(), Client: cmp.Or(c.Client, client.Default), Scenario: c.Name, Size: c.Source.Size, MemLimit: f.tmpl.MemoryLimit,
		Allocator: cmp.Or(c.Allocator, "glibc"), BudgetInner: budgetInner}
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
	model := fit.Proposer{Predicted: e.Predicted, Limit: f.tmpl.MemoryLimit, Baseline: c.Baseline()}
	e.ProposedCap = model.Propose(nil)
	fmt.Fprintf(f.stderr, "fit %s/%s: %d chunks, caps 1 to %d differ; the model proposes cap %d\n", c.Name, e.Strategy, len(sizes), bound, e.ProposedCap)
	probe := func(limiter func(int) string) fit.Probe {
		return func(ctx context.Context, step int) (fit.Outcome, error) { return f.probe(ctx, c, limiter(step), step) }
	}
	caps, err := fit.Search(ctx, probe(func(k int) string { return fmt.Sprintf("fixed:%d", k) }), model.Propose, bound)
	if err != nil {
		return e, err
	}
	var budgets *fit.Answer
	if caps.Max < bound {
		b, err := fit.Search(ctx, probe(func(k int) string { return scenarios.BudgetLimiter(budget(k), budgetInner) }), fit.Fixed(caps.Max), bound)
		if err != nil {
			return e, err
		}
		budgets = &b
	}
	e.Answer(caps, budgets, budget)
	e.Setting = fit.Setting(&e)
	return e, nil
}

// probe runs c under the limiter lim, the search's step, once, and says
// how it ended.
func (f *fitter) probe(ctx context.Context, c runner.Case, lim string, step int) (fit.Outcome, error) {
	j := f.tmpl
	j.Case, j.Case.Limiter = c, lim
	j.Batch, j.Commit = f.batch.ID, f.batch.Commit
	prog := newProgressLine(f.stderr)
	opts := runner.SpawnOptions{}
	if prog != nil {
		opts.Progress = prog.update
	}
	r := runner.Spawn(ctx, j, opts)
	if prog != nil {
		prog.clear()
	}
	if r.Status != result.Cancelled {
		f.recs = append(f.recs, r)
		f.batch.Finished++
	}
	f.batch.Planned++
	o := fit.Outcome{Setting: lim, Fits: r.Status == result.OK, Status: string(r.Status), PeakLive: r.Live.Peak,
		Resident: r.Memory.PeakResident, ModelPeak: r.ModelPeak, Stored: r.Stored, Total: r.Total, Record: j.RecordPath()}
	fmt.Fprintf(f.stderr, "  %s %s: %s, client resident %s, peak live %s (%s elapsed)\n", j.Name(), lim, r.Status,
		mib(r.Memory.PeakResident), mib(r.Live.Peak), time.Since(f.start).Round(time.Second))
	printWarnings(f.stderr, r)
	switch r.Status {
	case result.OK, result.OOM:
		return o, nil
	case result.Cancelled:
		return o, context.Cause(ctx)
	}
	return o, fmt.Errorf("fit: %s (%s) ended %s, neither completing nor killed at the limit, so the search cannot go on: %s", j.Name(), lim, r.Status, firstLines(r.Error, 3))
}

// finish writes what the searches found (fit.json, fit.svg, the records,
// results.bench and the reports) and prints the answers; searchErr, if
// any, decides the exit.
func (f *fitter) finish(ctx context.Context, stdout io.Writer, entries []fit.Entry, cfg benchout.Config, searchErr error) error {
	if sig := interruption(ctx); sig != nil {
		f.batch.Interrupted = signalName(sig.sig)
	}
	if searchErr != nil && f.batch.Interrupted == "" {
		f.batch.Unexpected = append(f.batch.Unexpected, searchErr.Error())
	}
	res := &result.Results{Batch: f.batch, Records: f.recs}
	if err := result.WriteResults(f.out, res); err != nil {
		return err
	}
	if _, err := writeBench(f.out, res, cfg); err != nil {
		return err
	}
	if len(f.recs) > 0 {
		if _, err := writeReports(f.out, res); err != nil {
			return err
		}
	}
	if err := writeFitFiles(f.out, entries); err != nil {
		return err
	}
	if len(entries) > 0 {
		if err := fit.WriteText(stdout, entries); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nanswers: %s\nchart: %s\nrecords: %s\n", filepath.Join(f.out, fit.File), filepath.Join(f.out, "fit.svg"), filepath.Join(f.out, result.ResultsFile))
	}
	switch {
	case f.batch.Interrupted != "":
		return fmt.Errorf("fit: interrupted; the answers so far are in %s: %w", f.out, interruption(ctx))
	case searchErr != nil:
		return exitError{exitFail, searchErr}
	}
	return nil
}

// writeFitFiles writes DIR/fit.json and, when there are answers, fit.svg.
func writeFitFiles(dir string, entries []fit.Entry) error {
	if err := fit.WriteFile(dir, entries); err != nil {
		return err
	}
	if len(entries) == 0 {
		return nil
	}
	var svg bytes.Buffer
	if err := fit.WriteChart(&svg, entries); err != nil {
		return err
	}
	return result.WriteFileAtomic(filepath.Join(dir, "fit.svg"), svg.Bytes())
}
