// Package batch is fanbench run's batch: planned from scenarios and flags,
// run one child process at a time, judged, and written out.
//
// In steps:
//  1. Plan loads each scenario with the flags applied (plan.Flags.Load),
//     lays out its runs (plan.Runs) and keeps this shard's part.
//  2. Run takes the results directory (outputs.Take), runs the jobs
//     (runner.RunBatch) with a line per run that ends, judges the budgets
//     (reports/budget) and the outcomes the scenarios expect, and writes
//     results.json, results.bench, report.html and summary.md.
package batch

import (
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
	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/runner"
	"github.com/fanbench/fanbench/reports/benchout"
	"github.com/fanbench/fanbench/reports/budget"
	"github.com/fanbench/fanbench/reports/runs"
	"github.com/fanbench/fanbench/reports/table"
	"github.com/fanbench/fanbench/scenarios"
)

// Batch is a planned batch of fanbench run.
type Batch struct {
	// Scenarios are the scenarios as the flags left them, with their runs.
	Scenarios []*plan.Scenario
	// Jobs are this shard's runs, in order.
	Jobs []runner.Job
	// Record is the batch as batch.json records it.
	Record result.Batch
	// Config is results.bench's file configuration, the whole batch's.
	Config benchout.Config
	// Out is the results directory; Child the program that runs each job
	// (plan.Options.Child).
	Out, Child string
}

// Plan plans the batch that runs the scenarios names with the flags f and
// the options o, shard sh of it; commit names the code under test. Every
// error is bad input (exit.Usage).
func Plan(names []string, f *plan.Flags, o plan.Options, sh plan.Shard, commit string) (*Batch, error) {
	start := time.Now()
	b := &Batch{Out: o.Out, Child: o.Child, Record: result.Batch{Started: start, Baselines: map[string]string{}}}
	var jobs []runner.Job
	var specs []*scenarios.Spec
	for _, name := range names {
		spec, notes, err := f.Load(name)
		if err != nil {
			return nil, err
		}
		b.Record.Notes = append(b.Record.Notes, notes...)
		sc, err := plan.Runs(spec, o)
		if err != nil {
			return nil, exit.UsageError(err)
		}
		jobs = append(jobs, sc.Jobs...)
		specs = append(specs, spec)
		b.Scenarios = append(b.Scenarios, sc)
		b.Record.Baselines[spec.Name] = plan.Baseline(spec)
	}
	// A shard runs its part of the cases; every shard writes the same
	// benchfmt configuration, the whole batch's.
	b.Record.ID, b.Record.Commit = result.NewBatchID(start), commit
	b.Config = plan.BenchConfig(jobs)
	var err error
	b.Jobs, b.Record.Shard, err = plan.Split(jobs, sh, plan.Part("run", specs, jobs, b.Config, commit), plan.CaseKey)
	if err != nil {
		return nil, exit.UsageError(err)
	}
	b.Record.Planned = len(b.Jobs)
	return b, nil
}

// Results are what a batch leaves: its record and runs, results.bench's
// bytes, the reports' paths, and the notes on runs that finished where the
// scenario expected them not to.
type Results struct {
	*result.Results
	Bench   []byte
	Reports []string
	Notes   []string
}

// Run runs the batch, saying on w what it does, and writes what it found.
// An interruption (ctx) stops the run in flight; the finished runs are
// judged and written all the same.
func (b *Batch) Run(ctx context.Context, w io.Writer) (*Results, error) {
	// The results directory is this batch's from here on: a second batch
	// is refused, and an earlier one's files are moved aside, before any
	// run.
	lock, err := outputs.Take(b.Out, b.Record.ID, "batch", w)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	for i := range b.Jobs {
		b.Jobs[i].Batch, b.Jobs[i].Commit = b.Record.ID, b.Record.Commit
	}
	// Written now, so that a batch killed before its end still says what it
	// planned; written again at the end.
	if err := result.WriteBatch(b.Out, &b.Record); err != nil {
		return nil, exit.UsageError(err)
	}
	for _, n := range b.Record.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	fmt.Fprintf(w, "fanbench: %s: %d runs in child processes%s, results in %s (batch %s, code %s)\n",
		strings.Join(b.names(), ", "), len(b.Jobs), plan.ShardNote(b.Record.Shard), b.Out, b.Record.ID, cmp.Or(b.Record.Commit, "of unknown commit"))
	opts := runner.SpawnOptions{Path: b.Child}
	prog := progress.NewLine(w) // nil unless w is a terminal
	if prog != nil {
		opts.Progress = prog.Update
	}
	opts.OnRecord = progress.Batch(w, b.Jobs, prog, time.Now)
	recs := runner.RunBatch(ctx, b.Jobs, opts)
	rec := b.Record
	for _, r := range recs {
		if r.Status != result.Cancelled {
			rec.Finished++
		}
	}
	rec.Interrupted = exit.Name(ctx)

	// Budgets and expectations are judged over the runs that ended; an
	// interrupted batch's cancelled run is neither a sample nor a failure.
	for _, sc := range b.Scenarios {
		rec.Budgets = rec.Budgets || len(sc.Spec.Budgets) > 0
		rec.Breaches = append(rec.Breaches, budget.Check(sc.Spec, recs, b.Out)...)
	}
	var finishedAnyway []string
	rec.Unexpected, finishedAnyway = Outcomes(recs)
	rec.Notes = append(rec.Notes, finishedAnyway...)

	plan.FinishShard(rec.Shard, b.Jobs, recs)
	res := &Results{Results: &result.Results{Batch: rec, Records: recs}, Notes: finishedAnyway}
	res.Bench, res.Reports, err = outputs.Write(b.Out, res.Results, b.Config)
	return res, err
}

// names names the batch's scenarios, each with its client profiles.
func (b *Batch) names() []string {
	var names []string
	for _, sc := range b.Scenarios {
		clients := sc.Spec.Clients
		if len(clients) == 0 {
			clients = []string{client.Default}
		}
		names = append(names, fmt.Sprintf("%s (client %s)", sc.Spec.Name, strings.Join(clients, ", ")))
	}
	return names
}

// Outcomes returns one line per run that ended in a way its scenario does
// not expect (Record.Expected): a crash or timeout always, an oom or an
// error unless expected; and one note per case some of whose runs
// finished where the scenario expected them not to, which is no failure.
// Cancelled runs (an interrupted batch) are neither.
func Outcomes(recs []*result.Record) (unexpected, notes []string) {
	finishedAnyway := map[string]int{}
	var cases []string
	for _, r := range recs {
		switch {
		case r.Status == result.Cancelled:
		case r.Status == result.OK && r.Expected != "":
			c := fmt.Sprintf("%s/%s (%s) finished where %s was expected", r.Scenario, r.Strategy, r.Limiter, r.Expected)
			if finishedAnyway[c] == 0 {
				cases = append(cases, c)
			}
			finishedAnyway[c]++
		case r.Status == result.OK, r.Status == r.Expected:
		default:
			want := "to finish"
			if r.Expected != "" {
				want = "ok or " + string(r.Expected)
			}
			unexpected = append(unexpected, fmt.Sprintf("%s: %s, expected %s: %s", progress.RunName(r), r.Status, want, progress.FirstLines(r.Error, 3)))
		}
	}
	for _, c := range cases {
		notes = append(notes, fmt.Sprintf("%s (%d run(s))", c, finishedAnyway[c]))
	}
	return unexpected, notes
}

// BenchstatHint is the benchstat command that compares the strategies of
// the results.bench at path in the README's order, copy-per-peer (before
// PR #82) first as the base: with a bare -col /mode, benchstat would take
// whichever ran first.
func BenchstatHint(recs []*result.Record, path string) string {
	var strategies []string
	for _, g := range runs.Groups(recs) {
		if !slices.Contains(strategies, g.Strategy) {
			strategies = append(strategies, g.Strategy)
		}
	}
	slices.SortStableFunc(strategies, runs.CompareStrategies)
	if len(strategies) < 2 {
		return "benchstat " + path
	}
	return fmt.Sprintf("benchstat -col '/mode@(%s)' %s", strings.Join(strategies, " "), path)
}

// Request is fanbench run's command line, parsed.
type Request struct {
	// Names are the scenarios; none means seed-20mb.
	Names   []string
	Flags   *plan.Flags
	Options plan.Options
	Shards  *plan.ShardFlags
	// Format is what stdout gets: table (the medians) or bench (benchfmt).
	Format string
	// ParseOnly checks the command line and plans, and runs nothing.
	ParseOnly bool
}

// Command is fanbench run: it plans the batch, runs it, prints the table
// (or benchfmt) on stdout and what it wrote where, and returns the exit
// the outcome calls for (Verdict), or the interruption.
func Command(ctx context.Context, stdout, stderr io.Writer, r Request) error {
	if r.Format != "table" && r.Format != "bench" {
		return exit.UsageError(fmt.Errorf("-format: %q is neither table nor bench", r.Format))
	}
	if err := r.Flags.Check(); err != nil {
		return exit.UsageError(err)
	}
	shard, err := r.Shards.Resolve(stderr)
	if err != nil {
		return err
	}
	if len(r.Names) == 0 {
		r.Names = []string{"seed-20mb"}
	}
	b, err := Plan(r.Names, r.Flags, r.Options, shard, revision.Commit(ctx))
	if err != nil || r.ParseOnly {
		return err
	}
	res, err := b.Run(ctx, stderr)
	if err != nil {
		return err
	}
	out, paths := b.Out, stdout
	if r.Format == "bench" {
		if _, err := stdout.Write(res.Bench); err != nil {
			return err
		}
		paths = stderr
	} else if err := table.Write(stdout, res.Records); err != nil {
		return err
	}
	bench := filepath.Join(out, outputs.BenchFile)
	fmt.Fprintf(paths, "\nrecords: %s\nbenchstat input: %s (%s)\nreport: %s\nsummary: %s\n",
		filepath.Join(out, result.ResultsFile), bench, BenchstatHint(res.Records, bench), res.Reports[0], res.Reports[1])
	for _, r := range res.Records {
		if r.PeakProfile != "" {
			fmt.Fprintf(paths, "peak profiles: %s/*.peak.pb.gz, e.g. go tool pprof -top %s\n",
				filepath.Dir(filepath.Join(out, r.PeakProfile)), filepath.Join(out, r.PeakProfile))
			break
		}
	}
	for _, n := range res.Notes {
		fmt.Fprintln(stderr, "note:", n)
	}
	// Breaches are printed whatever else went wrong; an interruption
	// decides the exit code (128 + the signal), then a run that ended
	// unexpectedly (1), then a breach (3).
	verdict := Verdict(stderr, res.Batch)
	if ctx.Err() != nil {
		return fmt.Errorf("%s; the finished runs are in %s: %w", res.Batch.InterruptedLine(), out, exit.Cause(ctx))
	}
	return verdict
}

// BudgetError is a batch's broken budgets: exit code 3 (exit.Budget).
type BudgetError struct{ Breaches []result.Breach }

func (b BudgetError) Error() string {
	lines := make([]string, len(b.Breaches))
	for i, br := range b.Breaches {
		lines[i] = br.String()
	}
	return fmt.Sprintf("%d budget(s) broken:\n%s", len(lines), strings.Join(lines, "\n"))
}

// Verdict prints a batch's broken budgets and the runs that ended in a way
// their scenario does not expect, and returns the exit they call for:
// exit.Fail for such a run, else exit.Budget for a breach.
func Verdict(w io.Writer, b result.Batch) error {
	for _, br := range b.Breaches {
		fmt.Fprintln(w, br)
	}
	if len(b.Unexpected) > 0 {
		fmt.Fprintf(w, "%d run(s) ended in a way their scenario does not expect:\n%s\n", len(b.Unexpected), strings.Join(b.Unexpected, "\n"))
		return exit.With(exit.Fail, fmt.Errorf("%d run(s) ended in a way their scenario does not expect", len(b.Unexpected)))
	}
	if len(b.Breaches) > 0 {
		return exit.With(exit.Budget, BudgetError{b.Breaches})
	}
	return nil
}

// Merged writes the batch joined from the shards in dirs into out as run
// writes one, prints its table and what it wrote where, and returns the
// exit its runs and budgets call for (Verdict).
func Merged(stdout, stderr io.Writer, out string, dirs []string, j *merge.Joined) error {
	if err := j.Write(out, true); err != nil {
		return err
	}
	if err := table.Write(stdout, j.Results.Records); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nmerged %d shards: %s\nrecords: %s\nbenchstat input: %s\nreport: %s\nsummary: %s\n", len(j.Parts), strings.Join(dirs, ", "),
		filepath.Join(out, result.ResultsFile), filepath.Join(out, outputs.BenchFile), filepath.Join(out, "report.html"), filepath.Join(out, "summary.md"))
	return Verdict(stderr, j.Results.Batch)
}
