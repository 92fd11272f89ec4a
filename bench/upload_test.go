package bench

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/perf/benchfmt"

	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/runner"
	"github.com/fanbench/fanbench/harness/spill"
	"github.com/fanbench/fanbench/reports/benchout"
	"github.com/fanbench/fanbench/scenarios"
)

var (
	scenarioList = flag.String("scenarios", "smoke", "comma-separated scenarios for BenchmarkUpload: built-in names or YAML files (relative to bench/)")
	useCache     = flag.Bool("cache", true, "reuse encrypted spills across runs, in the user cache directory, as fanbench run does")
	dry          = flag.Bool("dry", false, "name BenchmarkUpload's sub-benchmarks without spawning any child (TestNames uses it)")
)

// TestMain makes this test binary the child of its own runs: a process
// started by runner.Spawn runs its job inside MaybeChild and exits before
// flags are parsed or any test runs.
func TestMain(m *testing.M) {
	runner.MaybeChild()
	os.Exit(m.Run())
}

// BenchmarkUpload is the CI suite: one sub-benchmark per (scenario,
// strategy, limiter) case of -scenarios, named as benchout names the
// records of `fanbench run -format bench`, each iteration one upload in a
// fresh child process. See the package documentation.
func BenchmarkUpload(b *testing.B) {
	cacheRoot := ""
	if *useCache {
		cacheRoot = spill.DefaultBase()
	}
	cases, err := suite(*scenarioList, cacheRoot)
	if err != nil {
		b.Fatal(err)
	}
	writeUnitsOnce.Do(func() { writeUnits(os.Stdout) })
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			if *dry {
				return
			}
			runCase(b, c.job)
		})
	}
}

// benchCase is one sub-benchmark of BenchmarkUpload.
type benchCase struct {
	// name is the sub-benchmark's name under BenchmarkUpload.
	name string
	// job is the template of its runs; each iteration sets Rep and Dir.
	job runner.Job
}

// suite returns the cases of the comma-separated scenarios in list, in
// order, each with its spill cache under cacheRoot (empty: none). Two cases
// that would have the same name are an error, since go test would tell
// them apart by a #01 suffix that benchout's names lack.
func suite(list, cacheRoot string) ([]benchCase, error) {
	var out []benchCase
	seen := map[string]string{} // name → the scenario argument it came from
	for arg := range strings.SplitSeq(list, ",") {
		arg = strings.TrimSpace(arg)
		if arg == "" {
			continue
		}
		spec, err := scenarios.Lookup(arg)
		if err != nil {
			return nil, fmt.Errorf("-scenarios: %w", err)
		}
		cases, err := runner.CasesOf(spec, cacheRoot)
		if err != nil {
			return nil, fmt.Errorf("-scenarios: %s: %w", arg, err)
		}
		for _, c := range cases {
			name := caseName(c)
			if from, dup := seen[name]; dup {
				return nil, fmt.Errorf("-scenarios: %s and %s both give the case %s", from, arg, name)
			}
			seen[name] = arg
			// Rep, Dir: per iteration. Profile stays false: a profiling
			// run's forced GCs lower the heap and RSS peaks it reports.
			job := runner.DefaultJob(c, 0, "")
			job.Timeout, job.MemoryLimit = spec.Timeout, spec.MemoryLimit
			out = append(out, benchCase{name: name, job: job})
		}
	}
	if len(out) == 0 {
		return nil, errors.New("-scenarios: no scenario named")
	}
	return out, nil
}

// caseName is the sub-benchmark name of c under BenchmarkUpload:
// benchout.Name of a record of c, without the base name (the "Upload" of
// BenchmarkUpload) and without a GOMAXPROCS suffix, which go test adds.
func caseName(c runner.Case) string {
	rec := &result.Record{Scenario: c.Name, Strategy: c.Strategy.String(), Limiter: c.Limiter}
	return strings.TrimPrefix(benchout.Name(rec), benchout.BaseName+"/")
}

// goTestName is the name go test prints for the benchmark called name
// ("BenchmarkUpload/…", as B.Name returns it) at GOMAXPROCS procs, without
// the "Benchmark" prefix, as benchfmt reads it: a "-procs" suffix unless
// procs is 1 (testing's benchmarkName).
func goTestName(name string, procs int) string {
	name = strings.TrimPrefix(name, "Benchmark")
	if procs != 1 {
		name += "-" + strconv.Itoa(procs)
	}
	return name
}

// runCase runs tmpl's case once per iteration, each in a fresh child
// process, and reports the means of its figures.
func runCase(b *testing.B, tmpl runner.Job) {
	dir := b.TempDir()
	var m means
	rep := 0
	for b.Loop() {
		rep++
		job := tmpl
		job.Rep, job.Dir = rep, dir
		// The zero SpawnOptions re-execute this test binary
		// (os.Executable) with -test.run=^$; TestMain's MaybeChild takes
		// the job before that flag is read.
		rec := runner.Spawn(b.Context(), job, runner.SpawnOptions{})
		if rec.Status != result.OK {
			b.Fatalf("run %d: %s: %s", rep, rec.Status, rec.Error)
		}
		// The child runs at the GOMAXPROCS go test names this benchmark
		// with; if that ever changed, the lines would not compare with
		// fanbench's.
		if got, want := benchout.Name(rec), goTestName(b.Name(), runtime.GOMAXPROCS(0)); got != want {
			b.Fatalf("%s: the record is named %s in fanbench's output, but go test prints %s", job.Name(), got, want)
		}
		m.add(rec)
	}
	for _, v := range m.values() {
		b.ReportMetric(v.Value, v.Unit)
	}
}

// means accumulates records' figures per unit, in the units benchout writes
// (ns/op and sim-ns/op as written, not as benchfmt tidies them), and gives
// their means. A unit benchout leaves out of a record (model-peak-B where
// the model does not cover the run, peak-RSS-B with no RSS figure) is
// averaged over the records that have it. The zero value is ready to use.
type means struct {
	units []string // in benchout's order
	sum   map[string]float64
	n     map[string]int
}

// add adds r's figures.
func (m *means) add(r *result.Record) {
	if m.sum == nil {
		m.sum, m.n = map[string]float64{}, map[string]int{}
	}
	for _, v := range benchout.Values(r) {
		unit, x := v.Unit, v.Value
		if v.OrigUnit != "" {
			unit, x = v.OrigUnit, v.OrigValue
		}
		if m.n[unit] == 0 {
			m.units = append(m.units, unit)
		}
		m.sum[unit] += x
		m.n[unit]++
	}
}

// values returns the mean of every unit added, in benchout's order.
func (m *means) values() []benchfmt.Value {
	vals := make([]benchfmt.Value, 0, len(m.units))
	for _, u := range m.units {
		vals = append(vals, benchfmt.Value{Value: m.sum[u] / float64(m.n[u]), Unit: u})
	}
	return vals
}

var writeUnitsOnce sync.Once

// writeUnits writes benchout's unit metadata lines (better=lower and the
// assume= of each unit) to w, as the top of a results.bench
// does. benchfmt readers apply them to the results that follow, so go test
// output and fanbench's files carry the same assumptions; repeating the
// same values in several files is allowed.
func writeUnits(w io.Writer) {
	bw := benchfmt.NewWriter(w)
	for _, m := range benchout.UnitMetadata() {
		if err := bw.Write(m); err != nil {
			fmt.Fprintf(os.Stderr, "bench: unit metadata: %v\n", err)
			return
		}
	}
}
