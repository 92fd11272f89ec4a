package compare

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fanbench/fanbench/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// header is the unit metadata fanbench's benchout writes.
const header = `Unit ns/op better=lower
Unit ns/op assume=nothing
Unit peak-live-B better=lower
Unit peak-live-B assume=nothing
Unit peak-heap-B better=lower
Unit peak-heap-B assume=nothing
Unit peak-RSS-B better=lower
Unit peak-RSS-B assume=nothing
Unit model-peak-B better=lower
Unit model-peak-B assume=exact

goos: linux
goarch: amd64
gomaxprocs: 2
`

const (
	copyPerPeer = "Upload/scenario=seed-20mb/mode=copy-per-peer/limiter=aimd-2"
	streamed    = "Upload/scenario=seed-20mb/mode=streamed/limiter=aimd-2"
)

// gen describes a deterministic input file: n runs of two benchmarks, each
// figure a base value times a factor, spread by 0.05 % steps between runs
// so the U test has distinct ranks.
type gen struct {
	n      int
	commit string  // written as commit: when set
	live   float64 // factor on copy-per-peer's peak-live-B; 0 means 1
	model  float64 // factor on copy-per-peer's model-peak-B; 0 means 1
}

func (g gen) String() string {
	var b strings.Builder
	b.WriteString(header)
	if g.commit != "" {
		fmt.Fprintf(&b, "commit: %s\n", g.commit)
	}
	b.WriteString("\n")
	live, model := or1(g.live), or1(g.model)
	for i := range g.n {
		j := 1 + 0.0005*(float64(i)-float64(g.n-1)/2) // centred on 1: the median is the base
		fmt.Fprintf(&b, "Benchmark%s 1 %.0f ns/op %.0f peak-live-B %.0f peak-heap-B %.0f peak-RSS-B %.0f model-peak-B\n",
			copyPerPeer, 480e6*j, 482_811_192*live*j, 624_917_552*j, 522_649_600*j, 487_058_084*model)
		fmt.Fprintf(&b, "Benchmark%s 1 %.0f ns/op %.0f peak-live-B %.0f peak-heap-B %.0f peak-RSS-B %.0f model-peak-B\n",
			streamed, 225e6*j, 22_382_807*j, 57_616_696*j, 68_026_368*j, 22_382_841.0)
	}
	return b.String()
}

func or1(f float64) float64 {
	if f == 0 {
		return 1
	}
	return f
}

func compare(t *testing.T, old, new string, opts Options) (*Report, error) {
	t.Helper()
	return Compare(strings.NewReader(old), strings.NewReader(new), "old.bench", "new.bench", opts)
}

func metric(t *testing.T, r *Report, name, unit string) *Metric {
	t.Helper()
	for _, m := range r.Metrics {
		if m.Benchmark == name && m.Unit == unit {
			return m
		}
	}
	t.Fatalf("no metric %s %s", name, unit)
	return nil
}

func TestCompare(t *testing.T) {
	type want struct {
		verdict Verdict // of copy-per-peer's unit
		unit    string
		reason  string // a part of the Reason
		outcome Outcome
		line    []string // parts of the one verdict line naming the metric
	}
	for _, c := range []struct {
		name     string
		old, new gen
		opts     Options
		want     want
	}{
		{
			name: "identical 6+6",
			old:  gen{n: 6}, new: gen{n: 6},
			want: want{verdict: Same, unit: "peak-live-B", reason: "no significant difference (p=1.000", outcome: Pass},
		},
		{
			name: "peak-live-B +20% in 6+6",
			old:  gen{n: 6}, new: gen{n: 6, live: 1.2},
			want: want{verdict: Regressed, unit: "peak-live-B", reason: "worse by more than the 5% tolerance", outcome: Fail,
				line: []string{"REGRESSED " + copyPerPeer + " peak-live-B: old 460.4Mi, new 552.5Mi, +20.00% (", "p=0.002 n=6+6"}},
		},
		{
			name: "peak-live-B -20% in 6+6",
			old:  gen{n: 6}, new: gen{n: 6, live: 0.8},
			want: want{verdict: Improved, unit: "peak-live-B", reason: "better by more than the 5% tolerance", outcome: Pass,
				line: []string{"IMPROVED " + copyPerPeer + " peak-live-B: old 460.4Mi, new 368.4Mi, -20.00%"}},
		},
		{
			name: "peak-live-B +3% within the 5% tolerance",
			old:  gen{n: 6}, new: gen{n: 6, live: 1.03},
			want: want{verdict: Same, unit: "peak-live-B", reason: "within the 5% tolerance", outcome: Pass},
		},
		{
			name: "peak-live-B +3% beyond a 2% tolerance",
			old:  gen{n: 6}, new: gen{n: 6, live: 1.03},
			opts: Options{Tolerance: map[string]float64{"peak-live-B": 0.02}},
			want: want{verdict: Regressed, unit: "peak-live-B", reason: "worse by more than the 2% tolerance", outcome: Fail},
		},
		{
			name: "2+2 samples",
			old:  gen{n: 2}, new: gen{n: 2, live: 1.2},
			want: want{verdict: Unjudged, unit: "peak-live-B", reason: "need >= 4 samples a side to detect a difference at alpha level 0.05, have 2 and 2 (the U test's smallest p with these is 0.333)", outcome: NotJudged,
				line: []string{"UNJUDGED " + copyPerPeer + " peak-live-B: need >= 4 samples"}},
		},
		{
			// benchmath tests 6 against 1, and p can never be below 2/7:
			// a regression of any size would pass as "no significant
			// difference".
			name: "6+1 samples, +20%",
			old:  gen{n: 6}, new: gen{n: 1, live: 1.2},
			want: want{verdict: Unjudged, unit: "peak-live-B", reason: "have 6 and 1 (the U test's smallest p with these is 0.286)", outcome: NotJudged},
		},
		{
			name: "6+3 samples suffice for the U test",
			old:  gen{n: 6}, new: gen{n: 3, live: 1.2},
			want: want{verdict: Regressed, unit: "peak-live-B", reason: "worse", outcome: Fail},
		},
		{
			name: "4+4 samples suffice for the U test",
			old:  gen{n: 4}, new: gen{n: 4, live: 1.2},
			want: want{verdict: Regressed, unit: "peak-live-B", reason: "worse", outcome: Fail},
		},
		{
			name: "commit differs",
			old:  gen{n: 6, commit: "49d9673"}, new: gen{n: 6, commit: "d0a3f70", live: 1.2},
			want: want{verdict: Regressed, unit: "peak-live-B", reason: "worse", outcome: Fail},
		},
		{
			name: "exact unit: one sample a side, not gating; the gating ones cannot be judged",
			old:  gen{n: 1}, new: gen{n: 1, model: 1.1},
			want: want{verdict: Regressed, unit: "model-peak-B", reason: "worse by more than the 5% tolerance", outcome: NotJudged,
				line: []string{"REGRESSED (not gating) " + copyPerPeer + " model-peak-B: old 464.5Mi, new 510.9Mi, +10.00%", "exact n=1+1"}},
		},
		{
			name: "exact unit gating",
			old:  gen{n: 1}, new: gen{n: 1, model: 1.1},
			opts: Options{Metrics: []string{"model-peak-B"}},
			want: want{verdict: Regressed, unit: "model-peak-B", reason: "worse", outcome: Fail},
		},
		{
			name: "nothing gating",
			old:  gen{n: 6}, new: gen{n: 6, live: 1.2},
			opts: Options{Metrics: []string{}},
			want: want{verdict: Regressed, unit: "peak-live-B", reason: "worse", outcome: Pass},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := compare(t, c.old.String(), c.new.String(), c.opts)
			if err != nil {
				t.Fatal(err)
			}
			m := metric(t, r, copyPerPeer, c.want.unit)
			if m.Verdict != c.want.verdict || !strings.Contains(m.Reason, c.want.reason) {
				t.Errorf("%s: %v (%s), want %v (…%s…)", c.want.unit, m.Verdict, m.Reason, c.want.verdict, c.want.reason)
			}
			if got := r.Outcome(); got != c.want.outcome {
				t.Errorf("Outcome = %v, want %v", got, c.want.outcome)
			}
			// The streamed benchmark did not change.
			if s := metric(t, r, streamed, c.want.unit); s.Verdict != Same && s.Verdict != Unjudged {
				t.Errorf("streamed %s: %v (%s), want Same", c.want.unit, s.Verdict, s.Reason)
			}
			var out bytes.Buffer
			if err := r.WriteText(&out); err != nil {
				t.Fatal(err)
			}
			if c.want.line != nil {
				if l := lineWith(out.String(), c.want.line[0]); l == "" {
					t.Errorf("no line starting %q in:\n%s", c.want.line[0], out.String())
				} else {
					for _, part := range c.want.line[1:] {
						if !strings.Contains(l, part) {
							t.Errorf("verdict line %q lacks %q", l, part)
						}
					}
				}
			}
			last := map[Outcome]string{Pass: "ok: no gating metric regressed", Fail: "FAIL:", NotJudged: "NOT JUDGED:"}[c.want.outcome]
			if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); !strings.HasPrefix(lines[len(lines)-1], last) {
				t.Errorf("WriteText's last line does not match %v:\n%s", c.want.outcome, out.String())
			}
		})
	}
}

// lineWith returns the first line of text starting with prefix.
func lineWith(text, prefix string) string {
	for l := range strings.Lines(text) {
		if strings.HasPrefix(l, prefix) {
			return strings.TrimSuffix(l, "\n")
		}
	}
	return ""
}

// TestConfigIgnored checks that a differing commit: splits nothing: every
// metric of both benchmarks is compared, and the difference is reported.
func TestConfigIgnored(t *testing.T) {
	r, err := compare(t, gen{n: 6, commit: "49d9673"}.String(), gen{n: 6, commit: "d0a3f70"}.String(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Metrics) != 2*5 {
		t.Errorf("%d metrics, want 10 (2 benchmarks × 5 units)", len(r.Metrics))
	}
	for _, m := range r.Metrics {
		if m.Verdict != Same {
			t.Errorf("%s %s: %v (%s), want Same", m.Benchmark, m.Unit, m.Verdict, m.Reason)
		}
	}
	if len(r.ConfigDiffs) != 1 || r.ConfigDiffs[0].Key != "commit" || r.ConfigDiffs[0].Old[0] != "49d9673" || r.ConfigDiffs[0].New[0] != "d0a3f70" {
		t.Errorf("ConfigDiffs = %+v, want commit 49d9673 → d0a3f70", r.ConfigDiffs)
	}
	if r.Outcome() != Pass {
		t.Errorf("Outcome = %v, want pass", r.Outcome())
	}
}

func TestInputErrors(t *testing.T) {
	good := gen{n: 6}.String()
	// Drop the first result line's last unit to leave an odd field count.
	lines := strings.Split(good, "\n")
	first := 0
	for !strings.HasPrefix(lines[first], "Benchmark") {
		first++
	}
	if first+1 != 16 {
		t.Fatalf("the first result is on line %d, the cases below expect 16", first+1)
	}
	lines[first] = strings.TrimSuffix(lines[first], " model-peak-B")
	oddFields := strings.Join(lines, "\n")
	lines[first+1] = strings.TrimSuffix(lines[first+1], " model-peak-B")
	twoOdd := strings.Join(lines, "\n")
	notNumber := strings.Replace(good, " 1 ", " 1 abc ", 1)
	// Replace the first result's value at field i (2: ns/op, 4:
	// peak-live-B) with v.
	nonFinite := func(i int, v string) string {
		ls := strings.Split(good, "\n")
		f := strings.Fields(ls[first])
		f[i] = v
		ls[first] = strings.Join(f, " ")
		return strings.Join(ls, "\n")
	}

	for _, c := range []struct {
		name     string
		old, new string
		want     []string // parts of the error
		file     string   // the *InputError's File
		line     int      // and Line
	}{
		{"odd field count", good, oddFields, []string{"new.bench:16: missing units"}, "new.bench", 16},
		{"not a number", notNumber, good, []string{"old.bench:16: parsing measurement"}, "old.bench", 16},
		{"no results", "goos: linux\nPASS\n", good, []string{"old.bench: no benchmark results"}, "old.bench", 0},
		{"conflicting metadata", good, "Unit peak-live-B better=lower\nUnit peak-live-B better=higher\n" + good,
			[]string{"new.bench:2: metadata better of unit peak-live-B already set to lower"}, "new.bench", 2},
		// On main before the fix, NaN hung the U test (go-moremath's tie
		// loop) while memory grew without bound.
		{"NaN", good, nonFinite(4, "NaN"), []string{"new.bench:16: " + copyPerPeer + ": peak-live-B is NaN, not a finite number"}, "new.bench", 16},
		{"+Inf", nonFinite(4, "+Inf"), good, []string{"old.bench:16: " + copyPerPeer + ": peak-live-B is +Inf, not a finite number"}, "old.bench", 16},
		{"-Inf in ns/op", good, nonFinite(2, "-Inf"), []string{"new.bench:16: " + copyPerPeer + ": ns/op is -Inf"}, "new.bench", 16},
		{"no common benchmark", good, strings.ReplaceAll(good, "-2 1 ", "-4 1 "),
			[]string{"old.bench and new.bench have no benchmark in common", "GOMAXPROCS"}, "", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := compare(t, c.old, c.new, Options{})
			if err == nil {
				t.Fatalf("no error; report %+v", r)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			var ie *InputError
			if !errors.As(err, &ie) || ie.File != c.file || ie.Line != c.line {
				t.Errorf("error %v: InputError %+v, want file %q line %d", err, ie, c.file, c.line)
			}
		})
	}

	// Every syntax error of a file is reported, not only the first.
	_, err := compare(t, good, twoOdd, Options{})
	if n := strings.Count(fmt.Sprint(err), "new.bench:"); n != 2 {
		t.Errorf("error %q names %d positions, want 2", err, n)
	}

	if _, err := compare(t, good, good, Options{Alpha: 2}); err == nil || errors.As(err, new(*InputError)) {
		t.Errorf("alpha 2: %v, want an options error", err)
	}
}

// TestUnknownUnits checks that a gating or tolerance unit that neither file
// holds is an input error, not a comparison that gates nothing and passes.
func TestUnknownUnits(t *testing.T) {
	good := gen{n: 6}.String()
	for _, c := range []struct {
		name string
		opts Options
		want string
	}{
		{"typo of a gating unit", Options{Metrics: []string{"peak-live"}}, `gating unit "peak-live" is in neither old.bench nor new.bench (units there: sec/op, peak-live-B, peak-heap-B, peak-RSS-B, model-peak-B); did you mean peak-live-B?`},
		{"unknown gating unit", Options{Metrics: []string{"peak-live-B", "bogus-B"}}, `gating unit "bogus-B" is in neither`},
		{"unknown tolerance unit", Options{Tolerance: map[string]float64{"bogus-B": 0.1}}, `tolerance unit "bogus-B" is in neither`},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := compare(t, good, good, c.opts)
			var ie *InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v (report %v), want an InputError saying %q", err, r, c.want)
			}
		})
	}
	// The defaults gate on those of their units that the files hold; none
	// at all is an error.
	only := "BenchmarkUpload/x-2 1 5 alloc-B\n"
	if _, err := compare(t, only, only, Options{}); err == nil || !strings.Contains(err.Error(), "none of the default gating units") {
		t.Errorf("files without a default unit: %v", err)
	}
	live := strings.Repeat("BenchmarkUpload/x-2 1 5 peak-live-B\n", 4)
	r, err := compare(t, live, live, Options{})
	if err != nil || !slices.Equal(r.Options.Metrics, []string{"peak-live-B"}) || r.Outcome() != Pass {
		t.Errorf("peak-live-B only: %v, gating %v", err, r.Options.Metrics)
	}
}

// TestMissingUnit checks a unit that one file lacks: Unjudged, naming the
// file.
func TestMissingUnit(t *testing.T) {
	old := gen{n: 6}.String()
	newer := strings.ReplaceAll(old, " 22382841 model-peak-B", "")
	r, err := compare(t, old, newer, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := metric(t, r, streamed, "model-peak-B")
	if m.Verdict != Unjudged || m.Reason != "no model-peak-B samples in new.bench" {
		t.Errorf("%v (%s), want Unjudged: no model-peak-B samples in new.bench", m.Verdict, m.Reason)
	}
}

// TestTidiedUnits checks that options may name units as written: ns/op is
// read as sec/op.
func TestTidiedUnits(t *testing.T) {
	old := gen{n: 6}.String()
	slower := strings.ReplaceAll(old, " ns/op", "0 ns/op") // ten times slower
	r, err := compare(t, old, slower, Options{Metrics: []string{"ns/op"}, Tolerance: map[string]float64{"ns/op": 10}})
	if err != nil {
		t.Fatal(err)
	}
	m := metric(t, r, copyPerPeer, "sec/op")
	if !m.Gating || m.Tolerance != 10 || m.Verdict != Same {
		t.Errorf("sec/op: gating %v tolerance %v verdict %v, want gating, 10, Same (+900%% < 1000%%)", m.Gating, m.Tolerance, m.Verdict)
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	for name, g := range map[string]gen{"old": {n: 6}, "new": {n: 6, live: 1.2}} {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name, "results.bench"), []byte(g.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, err := Files(filepath.Join(dir, "old"), filepath.Join(dir, "new", "results.bench"), DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome() != Fail || r.OldName != filepath.Join(dir, "old", "results.bench") {
		t.Errorf("outcome %v, old %s", r.Outcome(), r.OldName)
	}
	_, err = Files(filepath.Join(dir, "missing"), filepath.Join(dir, "new"), DefaultOptions)
	var ie *InputError
	if !errors.As(err, &ie) || ie.File != filepath.Join(dir, "missing") {
		t.Errorf("missing file: %v, want an InputError naming it", err)
	}
}

// TestWriteText compares the text of a regression report with
// testdata/regression.txt (go test ./reports/compare -update rewrites it).
func TestWriteText(t *testing.T) {
	old := gen{n: 6, commit: "49d9673"}.String()
	newer := gen{n: 6, commit: "d0a3f70", live: 1.2}.String()
	newer = strings.ReplaceAll(newer, " 22382841 model-peak-B", "")
	newer += "BenchmarkUpload/scenario=smoke/mode=streamed/limiter=aimd-2 1 1 ns/op\n"
	r, err := compare(t, old, newer, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := r.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/regression.txt", out.Bytes(), *update)
}

func TestUTestNeed(t *testing.T) {
	// benchmath's uTestMinP: 0.333 (2), 0.1 (3), 0.0286 (4), 0.0079 (5),
	// 0.0022 (6).
	for alpha, want := range map[float64]int{0.5: 2, 0.2: 3, 0.05: 4, 0.01: 5, 0.005: 6} {
		if got := uTestNeed(alpha); got != want {
			t.Errorf("uTestNeed(%v) = %d, want %d", alpha, got, want)
		}
	}
}

// TestReadsBenchout compares benchout's golden file with itself: what
// `fanbench run` writes is what compare reads, unit metadata included.
func TestReadsBenchout(t *testing.T) {
	const path = "../benchout/testdata/results.bench"
	r, err := Files(path, path, DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	units := map[string]bool{}
	for _, m := range r.Metrics {
		units[m.Unit] = true
		// benchout declares the deterministic units exact.
		exact := map[string]bool{"peak-live-B": true, "client-resident-B": true, "model-peak-B": true, "sim-sec/op": true}[m.Unit]
		if m.Exact != exact || m.Better != -1 {
			t.Errorf("%s %s: exact %v better %d", m.Benchmark, m.Unit, m.Exact, m.Better)
		}
		if m.Verdict == Regressed || m.Verdict == Improved {
			t.Errorf("%s %s: %v comparing a file with itself", m.Benchmark, m.Unit, m.Verdict)
		}
	}
	for _, u := range []string{"sec/op", "peak-live-B", "client-resident-B", "peak-heap-B", "peak-RSS-B", "alloc-B", "allocs", "model-peak-B", "sim-sec/op"} {
		if !units[u] {
			t.Errorf("no %s metric", u)
		}
	}
	// One or two runs a case: nothing can be judged, which is no pass.
	if r.Outcome() != NotJudged {
		t.Errorf("Outcome = %v, want not judged (1 or 2 samples a side)", r.Outcome())
	}
}
