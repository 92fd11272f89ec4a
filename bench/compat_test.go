package bench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchproc"

	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/runner"
	"github.com/fanbench/fanbench/reports/benchout"
	"github.com/fanbench/fanbench/scenarios"
)

// TestNames runs BenchmarkUpload over smoke in this test binary with -dry
// (every sub-benchmark named, no child spawned) at GOMAXPROCS 1 and 3, and
// checks that the names go test prints are exactly those benchout writes
// for records of the same cases, and that benchproc reads the same keys
// from both: so go test -bench output and `fanbench run -format bench`
// stay comparable.
func TestNames(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$", "-test.bench=^BenchmarkUpload$", "-test.benchtime=1x",
		"-test.count=1", "-test.cpu=1,3", "-dry", "-scenarios=smoke")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(cmd.Args, " "), err, out, stderr.Bytes())
	}
	got, gotUnits := readBench(t, "go test output", out)

	// The same cases as benchout names them, in go test's order: each case
	// at every -test.cpu value.
	spec, err := scenarios.Lookup("smoke")
	if err != nil {
		t.Fatal(err)
	}
	cases, err := runner.CasesOf(spec, "")
	if err != nil {
		t.Fatal(err)
	}
	var recs []*result.Record
	for _, c := range cases {
		for _, procs := range []int{1, 3} {
			recs = append(recs, &result.Record{
				Scenario: c.Name, Strategy: c.Strategy.String(), Limiter: c.Limiter, Rep: 1, Status: result.OK,
				Env: result.Env{GOMAXPROCS: procs}, Upload: result.Upload{Wall: 1},
			})
		}
	}
	var file bytes.Buffer
	if err := benchout.Write(&file, recs, benchout.Config{}); err != nil {
		t.Fatal(err)
	}
	want, wantUnits := readBench(t, "benchout output", file.Bytes())

	names := func(rs []*benchfmt.Result) []string {
		var s []string
		for _, r := range rs {
			s = append(s, string(r.Name))
		}
		return s
	}
	if g, w := names(got), names(want); !slices.Equal(g, w) {
		t.Fatalf("go test names:\n\t%s\nbenchout names:\n\t%s", strings.Join(g, "\n\t"), strings.Join(w, "\n\t"))
	}
	for _, n := range []string{
		"Upload/scenario=smoke/mode=copy-per-peer/limiter=fixed8",
		"Upload/scenario=smoke/mode=streamed/limiter=fixed8-3",
	} {
		if !slices.Contains(names(got), n) {
			t.Errorf("go test printed no %s", n)
		}
	}

	var pp benchproc.ProjectionParser
	proj, err := pp.Parse(".name,/scenario,/mode,/limiter,/gomaxprocs", nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		g, w := proj.Project(got[i]).String(), proj.Project(want[i]).String()
		if g != w {
			t.Errorf("benchproc reads %s from go test's line and %s from benchout's", g, w)
		}
	}
	if g := proj.Project(got[1]).String(); g != ".name:Upload /scenario:smoke /mode:copy-per-peer /limiter:fixed8 /gomaxprocs:3" {
		t.Errorf("benchproc reads %s", g)
	}
	if !slices.Equal(gotUnits, wantUnits) {
		t.Errorf("unit metadata: go test output has\n\t%s\nbenchout's has\n\t%s", strings.Join(gotUnits, "\n\t"), strings.Join(wantUnits, "\n\t"))
	}
}

// TestMeans checks that BenchmarkUpload reports, for two records, every
// unit benchout writes, spelled as benchout writes it (so ns/op overrides
// go test's own timing and benchfmt tidies both alike), with the mean of
// the two records' values.
func TestMeans(t *testing.T) {
	rec := func(k int64) *result.Record {
		return &result.Record{
			Scenario: "smoke", Strategy: "streamed", Limiter: "fixed:8", Rep: int(k), Status: result.OK,
			Env:     result.Env{GOMAXPROCS: 2},
			Upload:  result.Upload{Wall: 100 * k, Sim: 1000 * k},
			Live:    result.Live{Peak: 10 * k},
			Runtime: result.Runtime{PeakHeap: 20 * k, AllocBytes: 30 * k, AllocObjects: 40 * k},
			OS:      result.OS{PeakRSS: 50 * k}, ModelPeak: 60 * k,
		}
	}
	var m means
	m.add(rec(1))
	m.add(rec(3))
	var got []string
	for _, v := range m.values() {
		got = append(got, fmt.Sprintf("%g %s", v.Value, v.Unit))
	}

	// benchout's line for a record of the mean values, as written.
	var file bytes.Buffer
	if err := benchout.Write(&file, []*result.Record{rec(2)}, benchout.Config{}); err != nil {
		t.Fatal(err)
	}
	res, _ := readBench(t, "benchout output", file.Bytes())
	if len(res) != 1 {
		t.Fatalf("benchout wrote %d results, want 1", len(res))
	}
	var want []string
	for _, v := range res[0].Values {
		if v.OrigUnit != "" {
			v.Value, v.Unit = v.OrigValue, v.OrigUnit
		}
		want = append(want, fmt.Sprintf("%g %s", v.Value, v.Unit))
	}
	if !slices.Equal(got, want) {
		t.Errorf("reported:\n\t%s\nbenchout writes:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// readBench reads data with benchfmt.Reader and returns its results and
// its unit metadata lines ("<unit> <key>=<value>"); any syntax error fails
// the test.
func readBench(t *testing.T, what string, data []byte) ([]*benchfmt.Result, []string) {
	t.Helper()
	var res []*benchfmt.Result
	var units []string
	r := benchfmt.NewReader(bytes.NewReader(data), what)
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.Result:
			res = append(res, rec.Clone())
		case *benchfmt.UnitMetadata:
			units = append(units, fmt.Sprintf("%s %s=%s", rec.OrigUnit, rec.Key, rec.Value))
		case *benchfmt.SyntaxError:
			t.Errorf("%s: %v", what, rec)
		}
	}
	if err := r.Err(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return res, units
}
