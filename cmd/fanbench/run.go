package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/runner"
	"github.com/fanbench/fanbench/harness/spill"
	"github.com/fanbench/fanbench/harness/upload"
	"github.com/olekukonko/tablewriter"
)

const runUsage = `usage: fanbench run [flags]

Runs the default scenario (seed-20mb: the 20 MB upload of ant-client PR #82's
heaptrack capture, store cap cold-started at 8) for every buffer strategy,
each run in a fresh child process, and prints the medians per strategy: the
exact peak of live tracked bytes beside the analytic model's prediction, the
Go heap's peak and the peak RSS. Each run's record (JSON) and heap profiles
at the peak and at the end go under the results directory.

Examples:
  fanbench run
  fanbench run -count 6 -o /tmp/seed
  fanbench run -modes copy-per-peer,shared-buffer -limiter fixed:64
  fanbench run -size 1073741824 -limiter warm:64 -memlimit 4GiB

Flags:
`

func cmdRun(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, runUsage); fs.PrintDefaults() }
	def := runner.SeedCase()
	modes := fs.String("modes", "copy-per-peer,shared-buffer,encode-once,streamed", "comma-separated buffer strategies")
	lims := fs.String("limiter", def.Limiter, "comma-separated store concurrency policies: aimd, warm:N, fixed:N, budget")
	count := fs.Int("count", 1, "repetitions of each (strategy, limiter), interleaved")
	out := fs.String("o", "results", "results directory")
	timeout := fs.Duration("timeout", 10*time.Minute, "time limit of each run")
	gogc := fs.Int("gogc", 100, "GOGC of each run (-1 for off)")
	memlimit := fs.String("memlimit", "", "emulated machine memory, e.g. 4GiB: a run whose RSS passes it is killed (oom)")
	size := fs.Int64("size", def.Source.Size, "source size in bytes")
	seed := fs.Uint64("seed", def.Source.Seed, "source seed")
	transport := fs.Bool("transport", def.Transport, "model the transport's own copies")
	pay := fs.String("payment", def.Payment.String(), "payment mode: auto, single or merkle")
	scale := fs.Float64("scale", def.Net.Net.Scale, "simulated seconds per real second")
	cache := fs.Bool("cache", true, "reuse encrypted spills across runs (in the user cache directory)")
	order := fs.Uint64("order", 1, "seed of the shuffled run order within each round")
	profile := fs.Bool("profile", true, "add one run per case that takes heap profiles at the peak (kept apart from the medians: its forced GCs lower heap and RSS)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("run: unexpected argument %q (scenario files come with the scenarios issue)", fs.Arg(0))}
	}
	c := def
	if *size != def.Source.Size || *seed != def.Source.Seed {
		c.Name = fmt.Sprintf("size-%d-seed-%d", *size, *seed) // no longer the seed case
	}
	c.Transport = *transport
	c.Source.Size, c.Source.Seed = *size, *seed
	c.Net.Net.Scale = *scale
	if *cache {
		c.CacheRoot = spill.DefaultBase()
	}
	var err error
	if c.Payment, err = payment.ParseMode(*pay); err != nil {
		return usageError{err}
	}
	if err := c.Source.Validate(); err != nil {
		return usageError{err}
	}
	if err := c.Net.Net.Validate(); err != nil {
		return usageError{err}
	}
	tmpl := runner.DefaultJob(c, 1, *out)
	tmpl.Timeout, tmpl.GOGC = *timeout, *gogc
	if *memlimit != "" {
		if tmpl.MemoryLimit, err = parseBytes(*memlimit); err != nil {
			return usageError{fmt.Errorf("-memlimit: %w", err)}
		}
	}
	var cases []runner.Case
	for _, l := range strings.Split(*lims, ",") {
		l = strings.TrimSpace(l)
		if _, err := runner.ParseLimiter(l); err != nil {
			return usageError{err}
		}
		for _, name := range strings.Split(*modes, ",") {
			s, err := upload.ParseStrategy(strings.TrimSpace(name))
			if err != nil {
				return usageError{fmt.Errorf("-modes: %w", err)}
			}
			cc := c
			cc.Strategy, cc.Limiter = s, l
			cases = append(cases, cc)
		}
	}
	jobs, err := runner.Plan(tmpl, cases, *count, *order)
	if err != nil {
		return usageError{err}
	}
	if *profile {
		for _, c := range cases {
			j := tmpl
			j.Case, j.Profile = c, true
			jobs = append(jobs, j)
		}
	}

	fmt.Fprintf(stderr, "fanbench: %s, %d bytes, %d runs in child processes, results in %s\n", c.Name, c.Source.Size, len(jobs), *out)
	start, done := time.Now(), 0
	recs := runner.RunBatch(ctx, jobs, runner.SpawnOptions{OnRecord: func(r *result.Record) {
		done++
		rep := strconv.Itoa(r.Rep)
		if r.Profile {
			rep = "profile"
		}
		fmt.Fprintf(stderr, "[%d/%d] %s/%s-%s %s: %s, peak live %s (%s elapsed)\n", done, len(jobs), r.Scenario, r.Strategy, rep, r.Limiter,
			r.Status, mib(r.Live.Peak), time.Since(start).Round(time.Second))
	}})
	if err := writeResults(*out, recs); err != nil {
		return err
	}
	if err := renderTable(stdout, recs); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nrecords: %s\n", filepath.Join(*out, "results.json"))
	for _, r := range recs {
		if r.PeakProfile != "" {
			fmt.Fprintf(stdout, "peak profiles: %s/*.peak.pb.gz, e.g. go tool pprof -top %s\n",
				filepath.Dir(filepath.Join(*out, r.PeakProfile)), filepath.Join(*out, r.PeakProfile))
			break
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var crashed []string
	for _, r := range recs {
		if r.Status == result.Crash {
			crashed = append(crashed, fmt.Sprintf("%s/%s-%d: %s", r.Scenario, r.Strategy, r.Rep, r.Error))
		}
	}
	if len(crashed) > 0 {
		return fmt.Errorf("%d runs crashed:\n%s", len(crashed), strings.Join(crashed, "\n"))
	}
	return nil
}

// writeResults writes every record, in run order, to DIR/results.json.
func writeResults(dir string, recs []*result.Record) error {
	b, err := json.MarshalIndent(recs, "", "  ")
	if err != nil {
		return err
	}
	return result.WriteFileAtomic(filepath.Join(dir, "results.json"), append(b, '\n'))
}

// renderTable prints the medians per (scenario, strategy, limiter) over
// the measured runs that finished: profiling runs and failed runs are
// counted in the runs column but not in the medians.
func renderTable(w io.Writer, recs []*result.Record) error {
	type key struct{ scenario, strategy, limiter string }
	var keys []key
	groups := map[key][]*result.Record{}
	for _, r := range recs {
		if r.Profile {
			continue
		}
		k := key{r.Scenario, r.Strategy, r.Limiter}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], r)
	}
	rank := func(name string) int {
		s, err := upload.ParseStrategy(name)
		if err != nil {
			return 1 << 30
		}
		return int(s)
	}
	slices.SortStableFunc(keys, func(a, b key) int {
		if a.scenario != b.scenario {
			return strings.Compare(a.scenario, b.scenario)
		}
		if a.limiter != b.limiter {
			return strings.Compare(a.limiter, b.limiter)
		}
		return rank(a.strategy) - rank(b.strategy)
	})
	table := tablewriter.NewWriter(w)
	table.Header("strategy", "limiter", "runs", "peak live", "model", "live/model", "peak heap", "peak RSS", "stored", "caps", "sim time", "wall")
	for _, k := range keys {
		g := groups[k]
		values := func(f func(*result.Record) int64) []int64 {
			var v []int64
			for _, r := range g {
				if x := f(r); x > 0 && r.Status == result.OK {
					v = append(v, x)
				}
			}
			return v
		}
		med := func(f func(*result.Record) int64) int64 { return median(values(f)) }
		// withCV shows a median with the coefficient of variation of its runs.
		withCV := func(f func(*result.Record) int64) string {
			v := values(f)
			if len(v) < 2 {
				return mib(median(v))
			}
			return fmt.Sprintf("%s ±%.1f%%", mib(median(v)), cv(v))
		}
		liveF, rssF := func(r *result.Record) int64 { return r.Live.Peak }, func(r *result.Record) int64 { return r.OS.PeakRSS }
		live, model := med(liveF), med(func(r *result.Record) int64 { return r.ModelPeak })
		ratio := "-"
		if model > 0 {
			ratio = strconv.FormatFloat(float64(live)/float64(model), 'f', 3, 64)
		}
		last := g[len(g)-1]
		for _, r := range g {
			if r.Status == result.OK {
				last = r
			}
		}
		caps, sim, wall := "-", "-", "-"
		if d := med(func(r *result.Record) int64 { return r.Upload.Sim }); d > 0 {
			caps = fmt.Sprint(last.Upload.Caps)
			sim = time.Duration(d).Round(time.Millisecond).String()
			wall = time.Duration(med(func(r *result.Record) int64 { return r.Upload.Wall })).Round(time.Millisecond).String()
		}
		table.Append(k.strategy, k.limiter, statuses(g), withCV(liveF), mib(model), ratio,
			mib(med(func(r *result.Record) int64 { return r.Runtime.PeakHeap })),
			withCV(rssF), fmt.Sprintf("%d/%d", last.Stored, last.Total), caps, sim, wall)
	}
	if err := table.Render(); err != nil {
		return err
	}
	fmt.Fprintln(w, "medians over runs (± coefficient of variation); peak live: exact peak of live tracked client buffers in the upload phase; model: the analytic model's prediction;")
	fmt.Fprintln(w, "peak heap: Go heap objects (runtime/metrics, sampled); peak RSS: VmHWM after a reset at the end of setup")
	return nil
}

// statuses summarises how the runs of a group ended, e.g. "6" or "4 ok, 2 oom".
func statuses(g []*result.Record) string {
	n := map[result.Status]int{}
	var order []result.Status
	for _, r := range g {
		if n[r.Status] == 0 {
			order = append(order, r.Status)
		}
		n[r.Status]++
	}
	if len(order) == 1 && order[0] == result.OK {
		return strconv.Itoa(len(g))
	}
	var parts []string
	for _, s := range order {
		parts = append(parts, fmt.Sprintf("%d %s", n[s], s))
	}
	return strings.Join(parts, ", ")
}

// cv returns the coefficient of variation of v, in percent.
func cv(v []int64) float64 {
	var sum, sq float64
	for _, x := range v {
		sum += float64(x)
	}
	mean := sum / float64(len(v))
	for _, x := range v {
		sq += (float64(x) - mean) * (float64(x) - mean)
	}
	return 100 * math.Sqrt(sq/float64(len(v)-1)) / mean
}

func median(v []int64) int64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func mib(b int64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

// parseBytes reads a byte count with an optional unit: B, KiB, MiB, GiB,
// TiB (powers of 2) or kB, MB, GB, TB (powers of 10).
func parseBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   float64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"kB", 1e3}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}}
	num, mult := s, 1.0
	for _, u := range units {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			num, mult = v, u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || !(f > 0) || f*mult >= math.MaxInt64 {
		return 0, fmt.Errorf("%q is not a positive size below 8 EiB (e.g. 4GiB, 512MiB, 1000000)", s)
	}
	return int64(f * mult), nil
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
