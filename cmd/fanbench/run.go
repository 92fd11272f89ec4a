package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fanbench/fanbench/harness/alloc"
	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/runner"
	"github.com/fanbench/fanbench/harness/source"
	"github.com/fanbench/fanbench/harness/spill"
	"github.com/fanbench/fanbench/harness/upload"
	"github.com/fanbench/fanbench/reports/benchout"
	"github.com/fanbench/fanbench/reports/budget"
	"github.com/fanbench/fanbench/reports/runs"
	"github.com/fanbench/fanbench/reports/table"
	"github.com/fanbench/fanbench/scenarios"
)

const runUsage = `usage: fanbench run [flags] [SCENARIO...]

Runs scenarios (built-in names or YAML files; default seed-20mb, the 20 MB
upload of ant-client PR #82's heaptrack capture) for each of their buffer
strategies and store limiters, each run in a fresh child process, and prints
the medians: the exact peak of live tracked bytes beside the analytic model's
prediction, the Go heap's peak and the peak RSS. Records (JSON), benchfmt
(results.bench) and heap profiles go under the results directory.

Exits 1 when a run ended in a way its scenario does not expect (a crash or
a timeout always; an oom or an error unless the scenario's expect: says
so), 3 when a scenario's budget is broken (one line per breach), 2 on bad
flags or scenarios, 0 otherwise.

Flags override the scenario's settings when given.

Examples:
  fanbench run
  fanbench run -count 6 -o /tmp/seed
  fanbench run smoke vm4g-300mb
  fanbench run -modes copy-per-peer,shared-buffer -limiter fixed:64
  fanbench run -size 1073741824 -limiter warm:64 -memlimit 4GiB
  fanbench run -client newest -limiter budget
  fanbench run -format bench -count 6 | tee new.txt
  fanbench run docs/sweep.yaml                  # sizes × caps, one case each
  fanbench run -shard 2/4 -o shard-2 cap-sweep-1gb   # then fanbench merge

Flags:
`

// budgetError is a broken budget: exit code 3.
type budgetError struct{ breaches []result.Breach }

func (b budgetError) Error() string {
	lines := make([]string, len(b.breaches))
	for i, br := range b.breaches {
		lines[i] = br.String()
	}
	return fmt.Sprintf("%d budget(s) broken:\n%s", len(lines), strings.Join(lines, "\n"))
}

func cmdRun(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newCommandFlags("run", runUsage, stdout, stderr)
	modes := fs.String("modes", "", "comma-separated buffer strategies (default: the scenario's)")
	lims := fs.String("limiter", "", "comma-separated store concurrency policies: aimd, warm:N, fixed:N, budget, budget:SIZE, budget:SIZE@INNER (default: the scenario's)")
	count := fs.Int("count", 0, "repetitions of each case, interleaved (default: the scenario's)")
	out := fs.String("o", "results", "results directory, taken by one batch at a time; an earlier batch's files are moved to its previous/")
	timeout := fs.Duration("timeout", 0, "time limit of each run (default: the scenario's)")
	gogc := fs.Int("gogc", 100, "GOGC of each run (-1 for off)")
	memlimit := fs.String("memlimit", "", "emulated machine memory, e.g. 4GiB: a run whose client's resident memory reaches it is killed (oom) (default: the scenario's)")
	clientName := fs.String("client", "", "comma-separated client profiles to model, one variant each: "+strings.Join(client.Names(), ", ")+" (default: the scenario's, else "+client.Default+"; fanbench clients lists them)")
	allocator := fs.String("allocator", "", "allocator of the client's buffers: "+strings.Join(alloc.Policies(), ", ")+" (default: the scenario's, else the client's own: glibc)")
	size := fs.String("size", "", "source size: bytes, or a number and a unit as in scenario files (20MiB, 1.5GiB, 300MB) (default: the scenario's)")
	seed := fs.Uint64("seed", 0, "source seed (default: the scenario's)")
	transport := fs.Bool("transport", true, "model the transport's own copies (default: the scenario's)")
	pay := fs.String("payment", "", "payment mode: auto, single or merkle (default: the scenario's)")
	cache := fs.Bool("cache", true, "reuse encrypted spills across runs (in the user cache directory)")
	order := fs.Uint64("order", 1, "seed of the shuffled run order within each round")
	format := fs.String("format", "table", "what to print on stdout: table (medians), or bench (benchfmt, for benchstat; progress and paths go to stderr)")
	traced := fs.Bool("trace", false, "write each run's client buffer events to traces/ for fanbench calibrate (a replay by a real Rust process)")
	profile := fs.Bool("profile", true, "add one run per case that writes the exact profile of the client's buffers at the peak (kept apart from the medians)")
	var shards shardOpts
	shards.register(fs)
	// Flags may come before, between or after the scenario names.
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
	if *format != "table" && *format != "bench" {
		return usageError{fmt.Errorf("-format: %q is neither table nor bench", *format)}
	}
	var sizeBytes, memBytes int64
	if set["size"] {
		var err error
		if sizeBytes, err = scenarios.ParseBytes(*size); err != nil {
			return usageError{fmt.Errorf("-size: %w", err)}
		}
	}
	if set["memlimit"] {
		var err error
		if memBytes, err = scenarios.ParseBytes(*memlimit); err == nil && memBytes == 0 {
			err = errors.New("must be > 0")
		}
		if err != nil {
			return usageError{fmt.Errorf("-memlimit: %w", err)}
		}
	}
	if err := checkFlags(set, *modes, *lims, sizeBytes, *pay, *count, *allocator, *clientName); err != nil {
		return usageError{err}
	}
	shard, err := shards.resolve(stderr)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		names = []string{"seed-20mb"}
	}
	cacheRoot := ""
	if *cache {
		cacheRoot = spill.DefaultBase()
	}

	batch := result.Batch{Started: time.Now(), Baselines: map[string]string{}}
	var plans []scenarioPlan
	var jobs []runner.Job
	for _, name := range names {
		spec, err := scenarios.Lookup(name)
		if err != nil {
			return usageError{err}
		}
		// Flags override the spec; the spec then checks the result again.
		if set["size"] || set["seed"] {
			spec.Name = fmt.Sprintf("%s-size-%d-seed-%d", spec.Name, or(sizeBytes, spec.Source.Size), or(*seed, spec.Source.Seed))
		}
		if set["size"] {
			spec.Source.Size, spec.Source.Sizes = sizeBytes, nil
		}
		if set["seed"] {
			spec.Source.Seed = *seed
		}
		if set["modes"] {
			spec.Strategies = splitList(*modes)
		}
		if set["limiter"] {
			spec.Limiters = splitList(*lims)
		}
		if set["count"] {
			spec.Count = *count
		}
		if set["timeout"] {
			spec.Timeout = *timeout
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
			spec.Clients = splitList(*clientName)
		}
		if set["memlimit"] {
			spec.MemoryLimit = memBytes
		}
		if set["modes"] || set["limiter"] {
			spec.Budgets = budget.Keep(spec.Budgets, spec.Strategies)
			spec.Expect = keepExpectations(spec.Expect, spec.Strategies, spec.Limiters)
		}
		var dropped []string
		spec.Budgets, dropped = budget.DropAbsolute(spec.Budgets, slices.Collect(maps.Keys(set)))
		batch.Notes = append(batch.Notes, dropped...)
		if err := spec.Validate(); err != nil {
			return usageError{fmt.Errorf("%s with the flags given: %w", name, err)}
		}
		cases, err := runner.CasesOf(spec, cacheRoot)
		if err != nil {
			return usageError{err}
		}
		tmpl := runner.DefaultJob(cases[0], 1, *out)
		tmpl.Timeout, tmpl.GOGC, tmpl.MemoryLimit, tmpl.Trace = spec.Timeout, *gogc, spec.MemoryLimit, *traced
		js, err := planJobs(spec, cases, tmpl, *order, *profile)
		if err != nil {
			return usageError{err}
		}
		jobs = append(jobs, js...)
		plans = append(plans, scenarioPlan{spec, cases})
		batch.Baselines[spec.Name] = baselineOf(spec)
	}

	// A shard runs its part of the cases; every shard writes the same
	// benchfmt configuration, the whole batch's.
	batch.ID, batch.Commit = result.NewBatchID(batch.Started), codeCommit(ctx)
	specs := make([]*scenarios.Spec, len(plans))
	for i, p := range plans {
		specs[i] = p.spec
	}
	benchCfg := benchConfig(jobs)
	jobs, batch.Shard, err = splitJobs(jobs, shard, partOf("run", specs, jobs, benchCfg, batch.Commit), caseKey)
	if err != nil {
		return usageError{err}
	}
	batch.Planned = len(jobs)

	if parseOnly(ctx) {
		return nil
	}
	// The results directory is this batch's from here on: a second batch
	// is refused, and an earlier one's files are moved aside, before any
	// run.
	lock, err := result.LockDir(*out, batch.ID)
	if err != nil {
		return usageError{err}
	}
	defer lock.Unlock()
	if moved, err := lock.Retire(); err != nil {
		return usageError{err}
	} else if len(moved) > 0 {
		fmt.Fprintf(stderr, "fanbench: moved an earlier batch's %s to %s\n", strings.Join(moved, ", "), filepath.Join(*out, result.PreviousDir))
	}
	for i := range jobs {
		jobs[i].Batch, jobs[i].Commit = batch.ID, batch.Commit
	}
	// Written now, so that a batch killed before its end still says what it
	// planned; written again at the end.
	if err := result.WriteBatch(*out, &batch); err != nil {
		return usageError{err}
	}
	for _, n := range batch.Notes {
		fmt.Fprintln(stderr, "note:", n)
	}

	fmt.Fprintf(stderr, "fanbench: %s: %d runs in child processes%s, results in %s (batch %s, code %s)\n",
		strings.Join(planNames(plans), ", "), len(jobs), shardNote(batch.Shard), *out, batch.ID, cmp.Or(batch.Commit, "of unknown commit"))
	opts := runner.SpawnOptions{}
	prog := newProgressLine(stderr) // nil unless stderr is a terminal
	if prog != nil {
		opts.Progress = prog.update
	}
	opts.OnRecord = batchProgress(stderr, jobs, prog, time.Now)
	recs := runner.RunBatch(ctx, jobs, opts)
	for _, r := range recs {
		if r.Status != result.Cancelled {
			batch.Finished++
		}
	}
	if sig := interruption(ctx); sig != nil {
		batch.Interrupted = signalName(sig.sig)
	} else if ctx.Err() != nil {
		batch.Interrupted = context.Cause(ctx).Error()
	}

	// Budgets and expectations are judged over the runs that ended; an
	// interrupted batch's cancelled run is neither a sample nor a failure.
	for _, p := range plans {
		batch.Budgets = batch.Budgets || len(p.spec.Budgets) > 0
		batch.Breaches = append(batch.Breaches, budget.Check(p.spec, recs, *out)...)
	}
	var finishedAnyway []string
	batch.Unexpected, finishedAnyway = judgeOutcomes(recs)
	batch.Notes = append(batch.Notes, finishedAnyway...)

	finishShard(batch.Shard, jobs, recs)
	res := &result.Results{Batch: batch, Records: recs}
	if err := result.WriteResults(*out, res); err != nil {
		return err
	}
	bench, err := writeBench(*out, res, benchCfg)
	if err != nil {
		return err
	}
	paths := stdout
	if *format == "bench" {
		if _, err := stdout.Write(bench); err != nil {
			return err
		}
		paths = stderr
	} else if err := table.Write(stdout, recs); err != nil {
		return err
	}
	reports, err := writeReports(*out, res)
	if err != nil {
		return err
	}
	fmt.Fprintf(paths, "\nrecords: %s\nbenchstat input: %s (%s)\nreport: %s\nsummary: %s\n",
		filepath.Join(*out, result.ResultsFile), filepath.Join(*out, "results.bench"), benchstatHint(recs, filepath.Join(*out, "results.bench")), reports[0], reports[1])
	for _, r := range recs {
		if r.PeakProfile != "" {
			fmt.Fprintf(paths, "peak profiles: %s/*.peak.pb.gz, e.g. go tool pprof -top %s\n",
				filepath.Dir(filepath.Join(*out, r.PeakProfile)), filepath.Join(*out, r.PeakProfile))
			break
		}
	}
	for _, n := range finishedAnyway {
		fmt.Fprintln(stderr, "note:", n)
	}
	// Breaches are printed whatever else went wrong; an interruption
	// decides the exit code (128 + the signal), then a run that ended
	// unexpectedly (1), then a breach (3).
	for _, b := range batch.Breaches {
		fmt.Fprintln(stderr, b)
	}
	if len(batch.Unexpected) > 0 {
		fmt.Fprintf(stderr, "%d run(s) ended in a way their scenario does not expect:\n%s\n", len(batch.Unexpected), strings.Join(batch.Unexpected, "\n"))
	}
	switch {
	case ctx.Err() != nil:
		err := error(interruption(ctx))
		if err == nil {
			err = context.Cause(ctx)
		}
		return fmt.Errorf("%s; the finished runs are in %s: %w", batch.InterruptedLine(), *out, err)
	case len(batch.Unexpected) > 0:
		return exitError{exitFail, fmt.Errorf("%d run(s) ended in a way their scenario does not expect", len(batch.Unexpected))}
	case len(batch.Breaches) > 0:
		return exitError{exitBudget, budgetError{batch.Breaches}}
	}
	return nil
}

// scenarioPlan is a scenario as the flags left it, and its cases.
type scenarioPlan struct {
	spec  *scenarios.Spec
	cases []runner.Case
}

// planNames names the plans' scenarios, each with its client profile.
func planNames(plans []scenarioPlan) []string {
	var names []string
	for _, p := range plans {
		clients := p.spec.Clients
		if len(clients) == 0 {
			clients = []string{client.Default}
		}
		names = append(names, fmt.Sprintf("%s (client %s)", p.spec.Name, strings.Join(clients, ", ")))
	}
	return names
}

// planJobs lays out spec's runs: spec.Count interleaved rounds of cases
// (runner.Plan), then with profile one profiling run of each case, every
// job with the outcome the scenario expects of it.
func planJobs(spec *scenarios.Spec, cases []runner.Case, tmpl runner.Job, order uint64, profile bool) ([]runner.Job, error) {
	js, err := runner.Plan(tmpl, cases, spec.Count, order)
	if err != nil {
		return nil, err
	}
	if profile {
		for _, c := range cases {
			j := tmpl
			j.Case, j.Profile = c, true
			js = append(js, j)
		}
	}
	for i := range js {
		js[i].Expect = result.Status(spec.Expected(js[i].Case.Strategy.String(), js[i].Case.Limiter))
	}
	return js, nil
}

// repName is a record's repetition as its file names it: the number, or
// "profile".
func repName(r *result.Record) string {
	if r.Profile {
		return "profile"
	}
	return strconv.Itoa(r.Rep)
}

// benchstatHint is the benchstat command that compares the strategies of
// path in the README's order, copy-per-peer (before PR #82) first as the
// base: with a bare -col /mode, benchstat would take whichever ran first.
func benchstatHint(recs []*result.Record, path string) string {
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

// judgeOutcomes returns one line per run that ended in a way its scenario
// does not expect (Record.Expected): a crash or timeout always, an oom or
// an error unless expected; and one note per case some of whose runs
// finished where the scenario expected them not to, which is no failure.
// Cancelled runs (an interrupted batch) are neither.
func judgeOutcomes(recs []*result.Record) (unexpected, notes []string) {
	finishedAnyway := map[string]int{}
	var cases []string
	for _, r := range recs {
		name := runName(r)
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
			unexpected = append(unexpected, fmt.Sprintf("%s: %s, expected %s: %s", name, r.Status, want, firstLines(r.Error, 3)))
		}
	}
	for _, c := range cases {
		notes = append(notes, fmt.Sprintf("%s (%d run(s))", c, finishedAnyway[c]))
	}
	return unexpected, notes
}

// runName names a record as its runs/ file does: scenario/strategy-rep
// (limiter).
func runName(r *result.Record) string {
	return fmt.Sprintf("%s/%s-%s (%s)", r.Scenario, r.Strategy, repName(r), r.Limiter)
}

// checkFlags rejects bad flag values with errors that name the flag, before
// they reach a scenario (whose errors name the scenario file).
func checkFlags(set map[string]bool, modes, lims string, size int64, pay string, count int, allocator, clientName string) error {
	if set["modes"] {
		for _, m := range splitList(modes) {
			if _, err := upload.ParseStrategy(m); err != nil {
				return fmt.Errorf("-modes: %w", err)
			}
		}
	}
	if set["limiter"] {
		for _, l := range splitList(lims) {
			if _, err := runner.ParseLimiter(l); err != nil {
				return fmt.Errorf("-limiter: %w", err)
			}
		}
	}
	if set["size"] && size < source.MinSize {
		return fmt.Errorf("-size: must be ≥ %d bytes (got %d)", source.MinSize, size)
	}
	if set["payment"] {
		if _, err := payment.ParseMode(pay); err != nil {
			return fmt.Errorf("-payment: %w", err)
		}
	}
	if set["count"] && count < 1 {
		return fmt.Errorf("-count: must be ≥ 1 (got %d)", count)
	}
	if set["client"] {
		names := splitList(clientName)
		if len(names) == 0 {
			names = []string{clientName}
		}
		for _, c := range names {
			if _, err := client.Lookup(c); err != nil || c == "" {
				return fmt.Errorf("-client: unknown client %q (known: %s; fanbench clients lists them)", c, strings.Join(client.Names(), ", "))
			}
		}
	}
	if a := set["allocator"]; a && !slices.Contains(alloc.Policies(), allocator) {
		return fmt.Errorf("-allocator: unknown allocator %q (want one of %s)", allocator, strings.Join(alloc.Policies(), ", "))
	}
	return nil
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// keepExpectations drops the expectations of strategies and limiters no
// longer run.
func keepExpectations(es []scenarios.Expectation, strategies, limiters []string) []scenarios.Expectation {
	var out []scenarios.Expectation
	for _, e := range es {
		if (e.Strategy == scenarios.AnyStrategy || slices.Contains(strategies, e.Strategy)) && (e.Limiter == "" || slices.Contains(limiters, e.Limiter)) {
			out = append(out, e)
		}
	}
	return out
}

// writeBench writes the finished measured runs of res as benchfmt to
// DIR/results.bench with the file configuration cfg and returns the bytes.
// The batch, the code's commit and an interruption are comments, which
// benchstat and compare skip: a commit: key would split benchstat's tables
// between two commits.
func writeBench(dir string, res *result.Results, cfg benchout.Config) ([]byte, error) {
	cfg.Version = releaseVersion()
	cfg.Notes = append(cfg.Notes, fmt.Sprintf("batch %s, code %s", res.Batch.ID, cmp.Or(res.Batch.Commit, "of unknown commit")))
	cfg.Notes = append(cfg.Notes, clientNotes(res.Records)...)
	if l := res.Batch.InterruptedLine(); l != "" {
		cfg.Notes = append(cfg.Notes, l+": the results below are the finished runs only")
	}
	var b bytes.Buffer
	if err := benchout.Write(&b, res.Records, cfg); err != nil {
		return nil, err
	}
	return b.Bytes(), result.WriteFileAtomic(filepath.Join(dir, "results.bench"), b.Bytes())
}

// clientNotes names, one line each, the client profiles the records ran
// and the ant-client commit each follows. A result line names a client
// other than the default in its name (/client=…); these lines say it for
// all, without a file key that would split benchstat's tables.
func clientNotes(recs []*result.Record) []string {
	var names []string
	for _, r := range recs {
		if r.Client != "" && !slices.Contains(names, r.Client) {
			names = append(names, r.Client)
		}
	}
	var notes []string
	for _, n := range names {
		line := "client " + n
		if p, err := client.Lookup(n); err == nil {
			line += fmt.Sprintf(" (ant-client %s, %s)", p.Commit, p.Date)
		}
		if n == client.Default {
			line += ", the default: its result names carry no /client= key"
		}
		notes = append(notes, line)
	}
	return notes
}

func mib(b int64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

// releaseVersion is the module version alone, never the commit: a
// fanbench-version key that differs between two commits would split
// benchstat's tables.
func releaseVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return bi.Main.Version + " " + s.Value
			}
		}
		return bi.Main.Version
	}
	return "(unknown)"
}

// codeCommit names the code under test, this fanbench: the build's VCS
// stamp when it has one (go build or go install in a git checkout: the
// revision's first 12 hex digits, "-dirty" when the tree had changes), and
// otherwise (go run and go test stamp none) `git describe --always --dirty`
// of the checkout around the working directory, if that checkout is
// fanbench's own module; "" when neither says.
func codeCommit(ctx context.Context) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev string
		dirty := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			rev = rev[:min(len(rev), 12)]
			if dirty {
				rev += "-dirty"
			}
			return rev
		}
	}
	root, err := gitOutput(ctx, "", "rev-parse", "--show-toplevel")
	if err != nil {
		return ""
	}
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil || !bytes.HasPrefix(mod, []byte("module github.com/fanbench/fanbench\n")) {
		return "" // some other checkout: it says nothing of this binary
	}
	d, err := gitOutput(ctx, root, "describe", "--always", "--dirty", "--abbrev=12")
	if err != nil {
		return ""
	}
	return d
}

// baselineOf is the strategy a scenario's other strategies are compared
// against in the summary: the scenario's baseline, else copy-per-peer
// (before PR #82) when it runs, else its first strategy.
func baselineOf(spec *scenarios.Spec) string {
	switch {
	case spec.Baseline != "":
		return spec.Baseline
	case slices.Contains(spec.Strategies, "copy-per-peer"):
		return "copy-per-peer"
	}
	return spec.Strategies[0]
}
