package html

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/fanbench/fanbench/harness/result"

	"github.com/fanbench/fanbench/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files (and the fixture profile) under testdata/")

const mb = 1 << 20

// sites is the fixtures' site order.
var sites = []string{"chunk", "copy", "encode"}

// timeline returns n points 0.1 s apart of sites' shares rising to peak
// (bytes, per site) at the middle and falling back.
func timeline(n int, peak []int64) []result.Point {
	pts := make([]result.Point, n)
	for i := range pts {
		up := min(i, n-1-i) + 1
		p := result.Point{T: int64(i) * 100e6}
		for _, v := range peak {
			s := v * int64(up) / int64(n/2+1)
			p.Sites = append(p.Sites, s)
			p.V += s
		}
		pts[i] = p
	}
	return pts
}

// ramp returns n points step ns apart rising by inc bytes from base.
func ramp(n int, step, base, inc int64) []result.Point {
	pts := make([]result.Point, n)
	for i := range pts {
		pts[i] = result.Point{T: int64(i) * step, V: base + int64(i)*inc}
	}
	return pts
}

// rec returns an OK record whose figures scale with k.
func rec(scen, strat, lim string, rep int, k int64, limit int64) *result.Record {
	tl := timeline(7, []int64{4 * mb, 10 * k * mb, 8 * k * mb})
	peak := int64(0)
	for _, p := range tl {
		peak = max(peak, p.V)
	}
	return &result.Record{
		Version: result.Version, Scenario: scen, Strategy: strat, Limiter: lim, Rep: rep,
		Env:    result.Env{MemoryLimit: limit},
		Status: result.OK, Stored: 9, Total: 9,
		Upload: result.Upload{Caps: []int{8}},
		Live: result.Live{Peak: peak + int64(rep)*mb/10, PeakSim: 300e6, Sites: sites, Timeline: tl,
			AtPeak: map[string]int64{"chunk": 4 * mb, "copy": 10 * k * mb, "encode": 8 * k * mb}},
		ModelPeak: peak,
		Runtime:   result.Runtime{PeakHeap: peak + 30*mb + int64(rep)*mb, Heap: ramp(5, 2e6, 10*mb, (peak+30*mb)/4)},
		OS:        result.OS{PeakRSS: peak + 40*mb + int64(rep)*mb, RSS: ramp(5, 10e6, 20*mb, (peak+20*mb)/4)},
	}
}

// fixture is a scenario "seed" with a 128 MiB limit (copy-per-peer and
// streamed OK twice, shared-buffer OOM-killed, a copy-per-peer profiling
// run) and a sweep "sweep" of streamed over fixed:8 and fixed:16.
func fixture() []*result.Record {
	const limit = 128 * mb
	oom := &result.Record{
		Version: result.Version, Scenario: "seed", Strategy: "shared-buffer", Limiter: "aimd", Rep: 1,
		Env: result.Env{MemoryLimit: limit}, Status: result.OOM, Error: "killed at RSS 140 MiB",
		Stored: 5, Total: 9, Live: result.Live{Peak: 100 * mb},
		OS: result.OS{PeakRSS: 140 * mb, RSS: ramp(4, 10e6, 20*mb, 40*mb)},
	}
	prof := rec("seed", "copy-per-peer", "aimd", 3, 4, limit)
	prof.Profile, prof.PeakProfile = true, "profiles/seed/copy-per-peer-aimd-profile.peak.pb.gz"
	missing := rec("seed", "streamed", "aimd", 1, 0, limit)
	missing.PeakProfile = "profiles/seed/streamed-aimd-1.peak.pb.gz"
	return []*result.Record{
		rec("seed", "copy-per-peer", "aimd", 2, 4, limit),
		rec("seed", "copy-per-peer", "aimd", 1, 4, limit),
		missing,
		rec("seed", "streamed", "aimd", 2, 0, limit),
		oom, prof,
		rec("sweep", "streamed", "fixed:16", 1, 2, 0),
		rec("sweep", "streamed", "fixed:8", 1, 1, 0),
	}
}

// expectedCharts is how many <svg> the fixture's page holds: seed: (a) 1,
// (b) 2 (the OOM run has no timeline), (c) 3; sweep: (a) 2, (b) 2, (c) 2,
// (d) 1.
const expectedCharts = 13

// fixtureProfile is the copy-per-peer profiling run's peak profile: six
// leaf functions, one of them reached twice and one inlined.
func fixtureProfile() *profile.Profile {
	fn := func(id uint64, name string) *profile.Function { return &profile.Function{ID: id, Name: name} }
	fns := []*profile.Function{fn(1, "site.copy"), fn(2, "site.encode"), fn(3, "site.chunk"),
		fn(4, "site.proof"), fn(5, "site.wire"), fn(6, "netsim.newPeer"), fn(7, "upload.send")}
	loc := func(id uint64, f ...*profile.Function) *profile.Location {
		l := &profile.Location{ID: id, Address: 0x1000 * id}
		for _, f := range f {
			l.Line = append(l.Line, profile.Line{Function: f})
		}
		return l
	}
	locs := []*profile.Location{loc(1, fns[0], fns[6]), loc(2, fns[1]), loc(3, fns[2]), loc(4, fns[3]), loc(5, fns[4]), loc(6, fns[5]), loc(7, fns[6])}
	s := func(bytes int64, l ...*profile.Location) *profile.Sample {
		return &profile.Sample{Value: []int64{1, bytes}, Location: l}
	}
	return &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "inuse_objects", Unit: "count"}, {Type: "inuse_space", Unit: "bytes"}},
		Sample: []*profile.Sample{s(30*mb, locs[0], locs[6]), s(10*mb, locs[0]), s(32*mb, locs[1], locs[6]),
			s(4*mb, locs[2]), s(2*mb, locs[3]), s(1*mb, locs[4]), s(mb/2, locs[5])},
		Location: locs, Function: fns, PeriodType: &profile.ValueType{Type: "space", Unit: "bytes"}, Period: 512 * 1024,
	}
}

var fixedNow = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

// render writes the fixture's page with testdata/results as the results
// directory; with -update it first writes the fixture profile there.
func renderFixture(t *testing.T) []byte {
	t.Helper()
	dir := filepath.Join("testdata", "results")
	if *update {
		path := filepath.Join(dir, "profiles", "seed", "copy-per-peer-aimd-profile.peak.pb.gz")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := fixtureProfile().Write(&b); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := Write(&b, fixture(), Options{Dir: dir, Title: "fixture <report>", Now: fixedNow}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestGolden(t *testing.T) {
	got := renderFixture(t)
	golden.Check(t, filepath.Join("testdata", "report.html.golden"), got, *update)
}

func TestSelfContained(t *testing.T) {
	page := string(renderFixture(t))
	for _, bad := range []string{`src="http`, `href="http`, `<script`, `@import`, `url(`, `<link`} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	if n := strings.Count(page, "<svg"); n != expectedCharts {
		t.Errorf("page has %d <svg> charts, want %d", n, expectedCharts)
	}
	if n := strings.Count(page, "</svg>"); n != expectedCharts {
		t.Errorf("page has %d </svg>, want %d", n, expectedCharts)
	}
	if strings.Contains(page, "<?xml") {
		t.Error("page keeps an SVG XML prolog")
	}
	if !strings.Contains(page, "<title>fixture &lt;report&gt;</title>") {
		t.Error("title not escaped")
	}
}

func TestMarkers(t *testing.T) {
	page := string(renderFixture(t))
	check := func(what, s string, want bool) {
		t.Helper()
		if strings.Contains(page, s) != want {
			t.Errorf("%s: contains %q = %v, want %v", what, s, !want, want)
		}
	}
	check("OOM label", ">shared-buffer: oom at 5/9</text>", true)
	check("limit legend", ">memory limit 128.0 MiB</text>", true)
	check("limit line colour", "stroke:#D62728", true)
	check("profiling run excluded from the table", "3 of 3", false)
	check("profile top site", "<td>site.copy</td><td>40.0 MiB</td>", true)
	check("profile command", "go tool pprof -http=127.0.0.1:0 testdata/results/profiles/seed/copy-per-peer-aimd-profile.peak.pb.gz", true)
	check("missing profile note", "profile file not found", true)

	// Without a limit and without OOM runs neither appears.
	var recs []*result.Record
	for _, r := range fixture() {
		if r.Status == result.OK && !r.Profile {
			r.Env.MemoryLimit = 0
			recs = append(recs, r)
		}
	}
	var b bytes.Buffer
	if err := Write(&b, recs, Options{Now: fixedNow}); err != nil {
		t.Fatal(err)
	}
	page = b.String()
	check("no OOM label", "oom at", false)
	check("no limit", "memory limit", false)
	check("no limit colour", "stroke:#D62728", false)
}

func TestTopSitesLeafAndOrder(t *testing.T) {
	path := filepath.Join("testdata", "results", "profiles", "seed", "copy-per-peer-aimd-profile.peak.pb.gz")
	top, total, err := topSites(path, 3)
	if err != nil {
		t.Fatal(err)
	}
	if total != 79*mb+mb/2 {
		t.Errorf("total = %d, want %d", total, 79*mb+mb/2)
	}
	var got []string
	for _, s := range top {
		got = append(got, s.Func)
	}
	// site.copy (30+10 MiB; inlined into upload.send, the leaf is the
	// innermost) tops site.encode (32 MiB).
	if want := "site.copy site.encode site.chunk"; strings.Join(got, " ") != want {
		t.Errorf("top = %v, want %s", got, want)
	}
}

// TestBatch checks that the page names the batch and the code under test,
// and says first that an interrupted batch's figures are partial.
func TestBatch(t *testing.T) {
	var b bytes.Buffer
	batch := result.Batch{ID: "20261201T100000.000000000Z-1a2b3c4d", Commit: "c03aece59925-dirty", Planned: 20, Finished: 3,
		Interrupted: "SIGTERM", Budgets: true, Unexpected: []string{"seed/streamed-2 (aimd): timeout, expected to finish"}}
	if err := Write(&b, fixture(), Options{Now: fixedNow, Batch: batch}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{
		"of batch <code>20261201T100000.000000000Z-1a2b3c4d</code>, code <code>c03aece59925-dirty</code>",
		"<strong>The batch was interrupted after 3 of 20 runs (SIGTERM)</strong>: the figures cover the finished runs only.",
		"Every budget met by the finished runs.",
		"<li><code>seed/streamed-2 (aimd): timeout, expected to finish</code></li>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// TestMarkLabelsApart checks that labels of marks at one point (two
// strategies OOM-killed at the same moment, as in vm4g's first wave) are
// placed one below the other, not on top of each other, and that a label
// far from the others stays beside its mark.
func TestMarkLabelsApart(t *testing.T) {
	lb, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: 1, Y: 4096}, {X: 1, Y: 4096}, {X: 1, Y: 4090}, {X: 9, Y: 100}},
		Labels: []string{"copy-per-peer: oom at 0/75", "shared-buffer: oom at 0/75", "encode-once: oom at 64/75", "far: oom at 1/2"}})
	if err != nil {
		t.Fatal(err)
	}
	l := &markLabels{XYs: lb.XYs, Labels: lb.Labels, Style: lb.TextStyle[0], Offset: vg.Point{X: 7, Y: -3}}
	// One data unit is one point on the canvas.
	id := func(v float64) vg.Length { return vg.Length(v) }
	pts := l.place(id, id)
	var boxes []vg.Rectangle
	for i, pt := range pts {
		b := l.Style.Rectangle(l.Labels[i]).Add(pt)
		for j, o := range boxes {
			if overlap(b, o) {
				t.Errorf("label %q at %v overlaps %q at %v", l.Labels[i], pt, l.Labels[j], pts[j])
			}
		}
		boxes = append(boxes, b)
	}
	if pts[0] != (vg.Point{X: 8, Y: 4093}) || pts[1].X != 8 || pts[1].Y >= pts[0].Y {
		t.Errorf("the first label moved, or the second is not below it: %v", pts)
	}
	if pts[3] != (vg.Point{X: 16, Y: 97}) {
		t.Errorf("a label far from the others moved: %v", pts[3])
	}
}

// calibrationHTML returns the calibration section of page, or "".
func calibrationHTML(page string) string {
	i := strings.Index(page, `<section id="calibration">`)
	if i < 0 {
		return ""
	}
	j := strings.Index(page[i:], "</section>")
	return page[i : i+j+len("</section>\n")]
}

// The calibration section shows testdata/calibrated/calibration.json: the
// rows in strategy order, ≠ where the replay counted another peak live, the
// heaptrack columns, the notes and the rows of another batch.
func TestCalibrationGolden(t *testing.T) {
	var b bytes.Buffer
	opts := Options{Dir: filepath.Join("testdata", "calibrated"), Now: fixedNow, Batch: result.Batch{ID: "b1"}}
	if err := Write(&b, fixture(), opts); err != nil {
		t.Fatal(err)
	}
	sec := calibrationHTML(b.String())
	if sec == "" {
		t.Fatal("no calibration section")
	}
	golden.Check(t, filepath.Join("testdata", "calibration.html.golden"), []byte(sec), *update)
}

func TestCalibrationAbsentOrBroken(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, fixture(), Options{Dir: t.TempDir(), Now: fixedNow}); err != nil || calibrationHTML(b.String()) != "" {
		t.Errorf("without calibration.json: %v, section %q", err, calibrationHTML(b.String()))
	}
	dir := t.TempDir()
	path := filepath.Join(dir, result.CalibrationFile)
	os.WriteFile(path, []byte(`[{"scenario": "seed"}]`), 0o644)
	if err := Write(&b, fixture(), Options{Dir: dir, Now: fixedNow}); err == nil || !strings.Contains(err.Error(), path+": row 0: no strategy") {
		t.Errorf("a broken calibration.json: %v", err)
	}
}

// TestSweepAxes checks the charts of sweeps other than the store cap: a
// scenario's byte budgets (read by Options.ByteBudget) and the sizes of a
// scenario expanded into one scenario per size ("<base>-size-<bytes>"),
// with an OOM-killed point marked; and that a scenario named like a size
// variant of another size is no sweep.
func TestSweepAxes(t *testing.T) {
	sized := func(name string, size int64, lim string, k int64) *result.Record {
		r := rec(name, "streamed", lim, 1, k, 256*mb)
		r.Size, r.Memory.PeakResident = size, r.Live.Peak*9/10
		return r
	}
	killed := sized("sizes-size-3145728", 3<<20, "fixed:8", 3)
	killed.Status, killed.Stored = result.OOM, 1
	recs := []*result.Record{
		sized("budgets", 1<<20, "budget:16MiB", 1), sized("budgets", 1<<20, "budget:32MiB@fixed:64", 2), sized("budgets", 1<<20, "fixed:8", 2),
		sized("sizes-size-1048576", 1<<20, "fixed:8", 1), sized("sizes-size-2097152", 2<<20, "fixed:8", 2), killed,
		sized("lone-size-5", 7, "fixed:8", 1),
	}
	var b bytes.Buffer
	opts := Options{Now: fixedNow, ByteBudget: func(l string) (int64, bool) {
		switch l {
		case "budget:16MiB":
			return 16 << 20, true
		case "budget:32MiB@fixed:64":
			return 32 << 20, true
		}
		return 0, false
	}}
	if err := Write(&b, recs, opts); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{"Peak live against byte budget", "budgets: peak live against byte budget", "in-flight byte budget (MiB)",
		"Peak live against upload size", "sizes, limiter fixed:8: peak live against upload size", "streamed oom at 1/9", "client resident (dashed)"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not say %q", want)
		}
	}
	if strings.Contains(page, "lone, limiter") || strings.Contains(page, "budgets: peak live against store cap") {
		t.Error("a chart of a sweep that is none")
	}
	// Without a reader of budgets, no budget chart.
	b.Reset()
	opts.ByteBudget = nil
	if err := Write(&b, recs, opts); err != nil || strings.Contains(b.String(), "against byte budget") {
		t.Errorf("a budget chart without Options.ByteBudget (%v)", err)
	}
}
