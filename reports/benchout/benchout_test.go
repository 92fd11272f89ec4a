package benchout

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchproc"

	"github.com/fanbench/fanbench/harness/result"

	"github.com/fanbench/fanbench/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const goldenPath = "testdata/results.bench"

var strategies = []string{"copy-per-peer", "shared-buffer", "encode-once", "streamed"}

// record returns a fixed OK record whose figures are derived from its
// position, so every value in the golden file is distinct and checkable.
func record(scenario, strategy, limiter string, rep int) *result.Record {
	s := int64(slices.Index(strategies, strategy) + 1)
	base := s*100_000_000 + int64(rep)*1_000
	return &result.Record{
		Version: result.Version, Scenario: scenario, Strategy: strategy, Limiter: limiter,
		Payment: "single", Transport: true, Rep: rep, Seed: 1, Size: 20 << 20,
		Env: result.Env{
			GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "amd64", CPU: "Intel(R) Xeon(R) Processor",
			GOMAXPROCS: 2, GOGC: 100, GOMEMLIMIT: 1<<63 - 1, MemProfileRate: 524288,
		},
		Status: result.OK, Stored: 9, Total: 9,
		Upload:    result.Upload{Mode: strategy, Wall: 300_000_000 + s*1_000_000 + int64(rep), Sim: 7_400_000_000 + s*10_000_000 + int64(rep)*100},
		Live:      result.Live{Peak: base + 11},
		Memory:    result.Memory{Allocator: "glibc", PeakResident: base + 66},
		Runtime:   result.Runtime{PeakHeap: base + 22, AllocBytes: base + 33, AllocObjects: 13_000 + s*100 + int64(rep)},
		OS:        result.OS{PeakRSS: base + 44, PeakRSSSource: "vmhwm"},
		ModelPeak: s*100_000_000 + 55,
	}
}

// records is the golden input: seed-20mb, four strategies × two reps with
// the cold AIMD limiter; a cap sweep with the fixed and warm limiters, one
// run outside the model (no model-peak-B); then an OOM run and a profiling
// run, which are not samples.
func records() []*result.Record {
	var recs []*result.Record
	for rep := 1; rep <= 2; rep++ {
		for _, s := range strategies {
			recs = append(recs, record("seed-20mb", s, "aimd", rep))
		}
	}
	recs = append(recs, record("cap-sweep-1gb", "streamed", "fixed:64", 1))
	noModel := record("cap-sweep-1gb", "streamed", "warm:64", 1)
	noModel.ModelPeak = 0
	recs = append(recs, noModel)
	oom := record("cap-sweep-1gb", "copy-per-peer", "fixed:64", 1)
	oom.Status, oom.Error = result.OOM, "child passed the memory limit\n(4 GiB) and was killed"
	recs = append(recs, oom)
	prof := record("seed-20mb", "streamed", "aimd", 3)
	prof.Profile = true
	prof.Env.GOGC = 50 // ignored by ConfigOf, as the run is not written
	recs = append(recs, prof)
	return recs
}

func config() Config {
	c := ConfigOf(records())
	c.Version = "v0.1.0"
	return c
}

func write(t *testing.T, recs []*result.Record, cfg Config) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, recs, cfg); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	golden.Check(t, goldenPath, write(t, records(), config()), *update)
}

// readAll reads a benchmark file, failing on any syntax error, and returns
// clones of its results and its unit metadata.
func readAll(t *testing.T, data []byte) ([]*benchfmt.Result, benchfmt.UnitMetadataMap) {
	t.Helper()
	r := benchfmt.NewReader(bytes.NewReader(data), goldenPath)
	var out []*benchfmt.Result
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.SyntaxError:
			t.Errorf("syntax error: %v", rec)
		case *benchfmt.Result:
			out = append(out, rec.Clone())
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return out, r.Units()
}

// TestRoundTrip reads the golden file back and checks every result's name,
// every value and unit against the record it came from, the file keys, and
// the unit metadata.
func TestRoundTrip(t *testing.T) {
	data, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	results, meta := readAll(t, data)

	var ok []*result.Record
	for _, r := range records() {
		if r.Status == result.OK && !r.Profile {
			ok = append(ok, r)
		}
	}
	if len(results) != len(ok) {
		t.Fatalf("read %d results, want %d (one per OK record)", len(results), len(ok))
	}
	wantConfig := map[string]string{
		"goos": "linux", "goarch": "amd64", "cpu": "Intel(R) Xeon(R) Processor", "gomaxprocs": "2",
		"gogc": "100", "go-version": "go1.26.8", "fanbench-version": "v0.1.0", "allocator": "glibc",
	}
	for i, res := range results {
		r := ok[i]
		if got, want := res.Name.String(), Name(r); got != want {
			t.Errorf("result %d: name %q, want %q", i, got, want)
		}
		if res.Iters != 1 {
			t.Errorf("%s: %d iterations, want 1", res.Name, res.Iters)
		}
		if len(res.Config) != len(wantConfig) {
			t.Errorf("%s: %d config keys, want %d", res.Name, len(res.Config), len(wantConfig))
		}
		for k, v := range wantConfig {
			if got := res.GetConfig(k); got != v {
				t.Errorf("%s: config %s = %q, want %q", res.Name, k, got, v)
			}
		}
		want := map[string]float64{
			"sec/op":             float64(r.Upload.Wall) * 1e-9,
			result.UnitPeakLive:  float64(r.Live.Peak),
			result.UnitResident:  float64(r.Memory.PeakResident),
			result.UnitPeakHeap:  float64(r.Runtime.PeakHeap),
			result.UnitPeakRSS:   float64(r.OS.PeakRSS),
			result.UnitAlloc:     float64(r.Runtime.AllocBytes),
			result.UnitAllocs:    float64(r.Runtime.AllocObjects),
			result.UnitModelPeak: float64(r.ModelPeak),
			"sim-sec/op":         float64(r.Upload.Sim) / 1e9,
		}
		if r.ModelPeak == 0 {
			delete(want, result.UnitModelPeak)
		}
		if len(res.Values) != len(want) {
			t.Errorf("%s: %d values, want %d: %v", res.Name, len(res.Values), len(want), res.Values)
		}
		for unit, v := range want {
			got, ok := res.Value(unit)
			if !ok {
				t.Errorf("%s: no %s value", res.Name, unit)
				continue
			}
			// Tidying multiplies by 1e-9 (ns/op) or divides by 1e9
			// (sim-ns/op); allow for the last bit.
			if diff := got - v; diff > 1e-15*v || diff < -1e-15*v {
				t.Errorf("%s: %s = %v, want %v", res.Name, unit, got, v)
			}
		}
		// The nanoseconds survive untouched in the original units.
		for _, v := range res.Values {
			switch v.Unit {
			case "sec/op":
				if v.OrigUnit != result.UnitWall || v.OrigValue != float64(r.Upload.Wall) {
					t.Errorf("%s: wall %v %s, want %d %s", res.Name, v.OrigValue, v.OrigUnit, r.Upload.Wall, result.UnitWall)
				}
			case "sim-sec/op":
				if v.OrigUnit != result.UnitSim || v.OrigValue != float64(r.Upload.Sim) {
					t.Errorf("%s: sim %v %s, want %d %s", res.Name, v.OrigValue, v.OrigUnit, r.Upload.Sim, result.UnitSim)
				}
			}
		}
	}

	for _, u := range []struct{ unit, assume string }{
		{"sec/op", "nothing"}, {result.UnitPeakLive, "exact"}, {result.UnitResident, "exact"}, {result.UnitPeakHeap, "nothing"}, {result.UnitPeakRSS, "nothing"},
		{result.UnitAlloc, "nothing"}, {result.UnitAllocs, "nothing"}, {result.UnitModelPeak, "exact"}, {"sim-sec/op", "exact"},
	} {
		if got := meta.GetBetter(u.unit); got != -1 {
			t.Errorf("unit %s: better %d, want -1 (lower)", u.unit, got)
		}
		m := meta.Get(u.unit, "assume")
		if m == nil || m.Value != u.assume {
			t.Errorf("unit %s: assume %v, want %s", u.unit, m, u.assume)
		}
	}
	if len(meta) != 2*len(Units()) {
		t.Errorf("%d unit metadata entries, want %d", len(meta), 2*len(Units()))
	}

	if !bytes.Contains(data, []byte("\n# warning: cap-sweep-1gb/copy-per-peer-fixed_64-1: oom: child passed the memory limit (4 GiB) and was killed\n")) {
		t.Errorf("no warning line for the OOM run in:\n%s", data)
	}
	if !bytes.Contains(data, []byte("\n# seed-20mb/streamed-aimd-profile: profiling run, not a sample")) {
		t.Errorf("no comment for the profiling run in:\n%s", data)
	}
}

// TestNames checks that benchproc reads the names' keys: -col /mode groups
// the four strategies, the limiters read back in their encoded form and
// filter without quoting, and the GOMAXPROCS suffix is /gomaxprocs.
func TestNames(t *testing.T) {
	data, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	results, _ := readAll(t, data)

	project := func(expr string) []string {
		t.Helper()
		var pp benchproc.ProjectionParser
		proj, err := pp.Parse(expr, nil)
		if err != nil {
			t.Fatalf("projection %q: %v", expr, err)
		}
		var vals []string
		for _, res := range results {
			k := proj.Project(res).StringValues()
			if !slices.Contains(vals, k) {
				vals = append(vals, k)
			}
		}
		return vals
	}
	for _, c := range []struct {
		expr string
		want []string
	}{
		{"/mode", strategies},
		{"/scenario", []string{"seed-20mb", "cap-sweep-1gb"}},
		{"/limiter", []string{"aimd", "fixed64", "warm64"}},
		{"/gomaxprocs", []string{"2"}},
		{".name", []string{BaseName}},
		{"goos", []string{"linux"}},
	} {
		if got := project(c.expr); !slices.Equal(got, c.want) {
			t.Errorf("projection %s: %q, want %q", c.expr, got, c.want)
		}
	}

	// The encoded limiter filters as a bare word; its colon form would not
	// parse, which is why NameValue drops the colon.
	f, err := benchproc.NewFilter("/limiter:(fixed64 OR warm64)")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, res := range results {
		if ok, _ := f.Apply(res); ok {
			n++
		}
	}
	if n != 2 {
		t.Errorf("filter on the encoded limiters matched %d results, want 2", n)
	}
	if _, err := benchproc.NewFilter("/limiter:fixed:64"); err == nil {
		t.Errorf("benchproc parsed /limiter:fixed:64; the colon encoding may be unneeded")
	}
}

func TestNameValue(t *testing.T) {
	for in, want := range map[string]string{
		"aimd":          "aimd",
		"budget":        "budget",
		"fixed:64":      "fixed64",
		"warm:64":       "warm64",
		"seed-20mb":     "seed-20mb",
		"copy-per-peer": "copy-per-peer",
		"a/b c=d":       "a_b_c_d",
		"-x(y)@z,*\"":   "_x_y__z___",
	} {
		if got := NameValue(in); got != want {
			t.Errorf("NameValue(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestName(t *testing.T) {
	r := record("seed-20mb", "copy-per-peer", "fixed:8", 1)
	if got, want := Name(r), "Upload/scenario=seed-20mb/mode=copy-per-peer/limiter=fixed8-2"; got != want {
		t.Errorf("Name = %q, want %q", got, want)
	}
	r.Env.GOMAXPROCS = 1
	if got, want := Name(r), "Upload/scenario=seed-20mb/mode=copy-per-peer/limiter=fixed8"; got != want {
		t.Errorf("Name at GOMAXPROCS 1 = %q, want %q", got, want)
	}
	// The default client is not named, so that the names stay those of
	// builds before client profiles; another is.
	r.Client = "seed"
	if got, want := Name(r), "Upload/scenario=seed-20mb/mode=copy-per-peer/limiter=fixed8"; got != want {
		t.Errorf("Name of the default client = %q, want %q", got, want)
	}
	r.Client = "newest"
	if got, want := Name(r), "Upload/scenario=seed-20mb/mode=copy-per-peer/limiter=fixed8/client=newest"; got != want {
		t.Errorf("Name of client newest = %q, want %q", got, want)
	}
	r.Client = ""
	// Likewise the default uploader, named or not (a record from before
	// uploaders had names), is not named; another is.
	for _, u := range []string{"", result.DefaultUploader} {
		r.Uploader = u
		if got, want := Name(r), "Upload/scenario=seed-20mb/mode=copy-per-peer/limiter=fixed8"; got != want {
			t.Errorf("Name of uploader %q = %q, want %q", u, got, want)
		}
	}
	r.Uploader = "external-signer-0.3.3"
	if got, want := Name(r), "Upload/scenario=seed-20mb/mode=copy-per-peer/limiter=fixed8/uploader=external-signer-0.3.3"; got != want {
		t.Errorf("Name of another uploader = %q, want %q", got, want)
	}
	r.Uploader = ""
	// A last value ending in -digits would read as GOMAXPROCS 8.
	r.Limiter = "cap-8"
	name := Name(r)
	base, parts := benchfmt.Name(name).Parts()
	if string(base) != BaseName || len(parts) != 3 || string(parts[2]) != "/limiter=cap_8" {
		t.Errorf("Name = %q: parts %q %q, want the limiter cap_8 and no GOMAXPROCS", name, base, parts)
	}
}

func TestWriteErrors(t *testing.T) {
	ok := records()[:1]
	for _, c := range []struct {
		name string
		recs []*result.Record
		cfg  Config
		want string
	}{
		{"uppercase key", ok, Config{Extra: []Key{{"GOGC", "100"}}}, `"GOGC"`},
		{"space in key", ok, Config{Extra: []Key{{"pgo mode", "on"}}}, `"pgo mode"`},
		{"repeated key", ok, Config{GOOS: "linux", Extra: []Key{{"goos", "plan9"}}}, `"goos" given twice`},
		{"line break", ok, Config{CPU: "a\nb"}, "line break"},
		{"nil record", []*result.Record{nil}, Config{}, "record 0 is nil"},
		{"no scenario", []*result.Record{record("", "streamed", "aimd", 1)}, Config{}, "no scenario"},
		{"merged limiters", []*result.Record{record("s", "streamed", "fixed:64", 1), record("s", "streamed", "fixed64", 1)}, Config{}, `"fixed:64" and "fixed64"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Write(&buf, c.recs, c.cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Write: %v, want an error containing %s", err, c.want)
			}
			if buf.Len() != 0 {
				t.Errorf("Write wrote %d bytes before failing", buf.Len())
			}
		})
	}

	// The first write error is returned.
	boom := errors.New("disk full")
	err := Write(failWriter{boom}, ok, Config{})
	if !errors.Is(err, boom) {
		t.Errorf("Write to a failing writer: %v, want %v", err, boom)
	}
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

func TestConfigOf(t *testing.T) {
	recs := records()
	c := ConfigOf(recs)
	want := Config{GOOS: "linux", GOARCH: "amd64", CPU: "Intel(R) Xeon(R) Processor", GOMAXPROCS: 2, GOGC: "100", GoVersion: "go1.26.8", Allocator: "glibc"}
	if fmt.Sprint(c) != fmt.Sprint(want) {
		t.Errorf("ConfigOf = %+v, want %+v", c, want)
	}
	// A key that differs between OK records is left out; one that differs
	// only in a failed record is not.
	recs[0].Env.GOGC = -1
	recs[len(recs)-1].Env.GOARCH = "arm64" // the OOM run
	c = ConfigOf(recs)
	if c.GOGC != "" || c.GOARCH != "amd64" {
		t.Errorf("ConfigOf with differing GOGC: gogc %q goarch %q, want \"\" and amd64", c.GOGC, c.GOARCH)
	}
	if c := ConfigOf(records()[:1]); c.GOGC != "100" {
		t.Errorf("gogc %q", c.GOGC)
	}
	off := records()[:1]
	off[0].Env.GOGC = -1
	if c := ConfigOf(off); c.GOGC != "off" {
		t.Errorf("ConfigOf with GOGC -1: gogc %q, want off", c.GOGC)
	}
}

// TestCommit checks that commit: is written only when set.
func TestCommit(t *testing.T) {
	recs := records()[:1]
	if out := write(t, recs, Config{}); bytes.Contains(out, []byte("commit:")) {
		t.Errorf("commit: written without Config.Commit:\n%s", out)
	}
	out := write(t, recs, Config{Commit: "49d9673"})
	results, _ := readAll(t, out)
	if len(results) != 1 || results[0].GetConfig("commit") != "49d9673" {
		t.Errorf("commit not read back from:\n%s", out)
	}
}

// TestWriteNotes checks that notes are comment lines, one each, that the
// benchfmt reader skips: the results read back the same.
func TestWriteNotes(t *testing.T) {
	recs := []*result.Record{record("smoke", "streamed", "fixed:8", 1)}
	var with, without bytes.Buffer
	if err := Write(&with, recs, Config{Notes: []string{"batch b1, code c03aece-dirty", "interrupted after 1 of 4 runs (SIGINT):\nfinished runs only"}}); err != nil {
		t.Fatal(err)
	}
	if err := Write(&without, recs, Config{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\n# batch b1, code c03aece-dirty\n", "\n# interrupted after 1 of 4 runs (SIGINT): finished runs only\n"} {
		if !strings.Contains(with.String(), want) {
			t.Errorf("no line %q in\n%s", want, with.String())
		}
	}
	read := func(b []byte) []string {
		var out []string
		r := benchfmt.NewReader(bytes.NewReader(b), "x")
		for r.Scan() {
			switch rec := r.Result().(type) {
			case *benchfmt.Result:
				out = append(out, fmt.Sprintf("%s %v", rec.Name, rec.Values))
			case *benchfmt.SyntaxError:
				t.Errorf("syntax error: %v", rec)
			}
		}
		return out
	}
	if a, b := read(with.Bytes()), read(without.Bytes()); !slices.Equal(a, b) || len(a) != 1 {
		t.Errorf("results with notes %v, without %v", a, b)
	}
}

// TestConfigLines checks that ConfigOfLines reads back what Lines writes,
// and its errors.
func TestConfigLines(t *testing.T) {
	c := Config{GOOS: "linux", GOARCH: "amd64", CPU: "AMD EPYC: 7B13", GOMAXPROCS: 2, GOGC: "off", GoVersion: "go1.26.8",
		Version: "(devel)", Allocator: "glibc", Extra: []Key{{"scenario-set", "ci"}}}
	lines, err := c.Lines()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"goos: linux", "goarch: amd64", "cpu: AMD EPYC: 7B13", "gomaxprocs: 2", "gogc: off", "go-version: go1.26.8",
		"fanbench-version: (devel)", "allocator: glibc", "scenario-set: ci"}
	if !slices.Equal(lines, want) {
		t.Errorf("Lines = %q, want %q", lines, want)
	}
	back, err := ConfigOfLines(lines)
	if err != nil || !reflect.DeepEqual(back, c) {
		t.Errorf("ConfigOfLines = %+v, %v; want %+v", back, err, c)
	}
	for _, bad := range [][]string{{"goos"}, {"Goos: linux"}, {"goos: a", "goos: b"}, {"gomaxprocs: two"}} {
		if _, err := ConfigOfLines(bad); err == nil {
			t.Errorf("ConfigOfLines(%q): no error", bad)
		}
	}
}
