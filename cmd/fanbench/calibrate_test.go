package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/fanbench/fanbench/harness/replay"
	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/trace"
)

var (
	calBuild    sync.Once
	calBuildErr error
)

// needRustc skips the test, saying so, when the replay cannot be built.
func needRustc(t *testing.T) {
	t.Helper()
	calBuild.Do(func() { _, calBuildErr = replay.Build(context.Background(), "", replay.DefaultCacheDir()) })
	if errors.Is(calBuildErr, replay.ErrNoRustc) {
		t.Skipf("skipping: rustc is missing (%v)", calBuildErr)
	}
	if calBuildErr != nil {
		t.Fatal(calBuildErr)
	}
}

// traced writes a traced run into dir as fanbench run -trace does: the
// trace of s and, unless peak is negative, a record naming it, with that
// peak live, the trace's sites at the peak and the client figures c.
func traced(t *testing.T, dir, scenario, strategy, limiter string, s replay.Sends, peak int64, c result.Memory) string {
	t.Helper()
	rec := filepath.Join("runs", scenario, strategy+"-"+limiter+"-1.json")
	tp := filepath.Join(dir, trace.PathFor(rec))
	if err := os.MkdirAll(filepath.Dir(tp), 0o755); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := s.Write(&b); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tp, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if peak < 0 {
		return tp
	}
	r := trace.NewReader(bytes.NewReader(b.Bytes()), tp)
	for r.Scan() {
	}
	h, _ := r.Header()
	at := map[string]int64{}
	for i, site := range h.Sites {
		at[site] = r.Stats().AtPeak[i]
	}
	record := &result.Record{Version: result.Version, Scenario: scenario, Strategy: strategy, Limiter: limiter, Rep: 1,
		Batch: "b1", Status: result.OK, Live: result.Live{Peak: peak, AtPeak: at}, Memory: c, Trace: trace.PathFor(rec)}
	if err := result.Write(filepath.Join(dir, rec), record); err != nil {
		t.Fatal(err)
	}
	return tp
}

func readCalibration(t *testing.T, dir string) []result.Calibration {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, result.CalibrationFile))
	if err != nil {
		t.Fatal(err)
	}
	var rows []result.Calibration
	if err := json.Unmarshal(b, &rows); err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestCalibrate(t *testing.T) {
	needRustc(t)
	dir := t.TempDir()
	small := replay.Sends{Chunks: 2, Peers: 2, ChunkSize: 1 << 20, Header: 41}
	// The record's resident peak includes a declared baseline of 50 MB;
	// the prediction put beside the replay is the buffers' 200 MB.
	client := result.Memory{Allocator: "glibc", Baseline: 50_000_000, PeakResident: 250_000_000}
	traced(t, dir, "synthetic", "copy-per-peer", "fixed_5", replay.DefaultSends, replay.DefaultSends.PeakLive(), client)
	traced(t, dir, "small", "shared-buffer", "fixed_2", small, -1, result.Memory{})
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), &stdout, &stderr, []string{"calibrate", dir}); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	rows := readCalibration(t, dir)
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2", len(rows))
	}
	// Sorted by trace path: small/ before synthetic/.
	sm, syn := rows[0], rows[1]
	if syn.Scenario != "synthetic-5x4" || syn.PeakLiveFrom != "record" || syn.PeakLive != replay.DefaultSends.PeakLive() || syn.ReplayPeakLive != syn.PeakLive {
		t.Errorf("synthetic row: %+v", syn)
	}
	if syn.ClientResident != 200_000_000 || syn.ClientBaseline != 50_000_000 || syn.ClientPeakResident != 250_000_000 || syn.Allocator != "glibc" ||
		syn.Batch != "b1" || syn.ClientResidentNote != "" || syn.ResidentRatio != float64(syn.ClientResident)/float64(syn.ReplayVmHWM) {
		t.Errorf("client resident %d, baseline %d, peak %d, %s, batch %q (%q), ratio %v", syn.ClientResident, syn.ClientBaseline,
			syn.ClientPeakResident, syn.Allocator, syn.Batch, syn.ClientResidentNote, syn.ResidentRatio)
	}
	// Each send touches its 4 MB copy and its message; the 8 MiB encode
	// buffers' other half is never touched, so it is not resident.
	touched := int64(5*4_190_208 + 20*(4_190_208+41+4_190_208+55_000))
	if syn.ReplayVmHWM < touched || syn.ReplayVmHWM > syn.PeakLive {
		t.Errorf("replay VmHWM less baseline %d, want between %d touched and %d live", syn.ReplayVmHWM, touched, syn.PeakLive)
	}
	if syn.ReplayVmHWM != syn.ReplayVmHWMRaw-syn.ReplayBaselineVmHWM || syn.GrownAtPeak != 20*8<<20 || len(syn.GrownSites) != 1 || syn.GrownSites[0] != "encode" {
		t.Errorf("vmhwm %d raw %d base %d, grown %v %d", syn.ReplayVmHWM, syn.ReplayVmHWMRaw, syn.ReplayBaselineVmHWM, syn.GrownSites, syn.GrownAtPeak)
	}
	// The record is looked for by the trace's path, not its header.
	if sm.PeakLiveFrom != "trace" || sm.PeakLive != small.PeakLive() || sm.ReplayPeakLive != sm.PeakLive || sm.ClientResident != 0 ||
		sm.ClientResidentNote != "no record at runs/small/shared-buffer-fixed_2-1.json" {
		t.Errorf("small row: %+v", sm)
	}
	out := stdout.String()
	for _, want := range []string{"synthetic-5x4", "259.9 MiB =", "190.7 MiB", result.CalibrationFile, "no report in " + dir + ": fanbench report " + dir + " writes one"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// The Done means on the small case CI runs: a traced run of every
// strategy of smoke (3 MiB), replayed. The replay counts fanbench's peak
// live exactly, fanbench's resident prediction for the buffers is within
// 5 % of the replay's VmHWM less its baseline, and the run's report is
// written again with the calibration.
func TestCalibrateTracedRun(t *testing.T) {
	needRustc(t)
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), &stdout, &stderr, []string{"run", "-trace", "-count", "1", "-profile=false", "-cache=false", "-o", dir, "smoke"}); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	stdout.Reset()
	if err := run(context.Background(), &stdout, &stderr, []string{"calibrate", dir}); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	rows := readCalibration(t, dir)
	if len(rows) != 4 {
		t.Fatalf("%d rows, want one per strategy", len(rows))
	}
	for _, r := range rows {
		if r.PeakLiveFrom != "record" || r.PeakLive == 0 || r.ReplayPeakLive != r.PeakLive {
			t.Errorf("%s: peak live %d (from %s), replay %d", r.Strategy, r.PeakLive, r.PeakLiveFrom, r.ReplayPeakLive)
		}
		if r.ClientResident != r.ClientPeakResident-r.ClientBaseline || r.ClientResident <= 0 || r.Allocator != "glibc" {
			t.Errorf("%s: prediction %d, record's peak %d less baseline %d (%s)", r.Strategy, r.ClientResident, r.ClientPeakResident, r.ClientBaseline, r.Allocator)
		}
		if math.Abs(r.ResidentRatio-1) > 0.05 {
			t.Errorf("%s: prediction %d, replay VmHWM less baseline %d: ratio %.3f", r.Strategy, r.ClientResident, r.ReplayVmHWM, r.ResidentRatio)
		}
	}
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil || !strings.Contains(string(page), `<section id="calibration">`) || !strings.Contains(stdout.String(), "report.html (with the calibration)") {
		t.Errorf("report not written again: %v\n%s", err, stdout.String())
	}
}

func TestCalibrateMismatch(t *testing.T) {
	needRustc(t)
	dir := t.TempDir()
	s := replay.Sends{Chunks: 1, Peers: 2, ChunkSize: 100_000, Copy: true}
	traced(t, dir, "one", "copy-per-peer", "aimd", s, s.PeakLive()+1, result.Memory{})
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), &stdout, &stderr, []string{"calibrate", dir})
	if exitCode(err) != 1 || !strings.Contains(err.Error(), "the replay's peak live differs from fanbench's for 1 run(s)") {
		t.Fatalf("exit %d, %v", exitCode(err), err)
	}
	if !strings.Contains(stdout.String(), " ≠") {
		t.Errorf("table does not mark the difference:\n%s", stdout.String())
	}
}

func TestCalibrateErrors(t *testing.T) {
	empty := t.TempDir()
	broken := t.TempDir()
	one := replay.Sends{Chunks: 1, Peers: 1, ChunkSize: 10}
	tp := traced(t, broken, "b", "streamed", "aimd", one, -1, result.Memory{})
	data, _ := os.ReadFile(tp)
	os.WriteFile(tp, data[:len(data)-3], 0o644)
	foreign := t.TempDir()
	fp := traced(t, foreign, "f", "streamed", "aimd", one, -1, result.Memory{})
	os.WriteFile(fp, []byte("goos: linux\nBenchmarkUpload 1 5 ns/op\n"), 0o644)
	// A trace left by an earlier batch beside a record of a run that
	// traced nothing.
	stale := t.TempDir()
	traced(t, stale, "s", "streamed", "aimd", one, one.PeakLive(), result.Memory{})
	staleRec := filepath.Join(stale, "runs", "s", "streamed-aimd-1.json")
	r, _ := result.Read(staleRec)
	r.Trace = ""
	result.Write(staleRec, r)
	// A resident peak below the baseline it includes.
	below := t.TempDir()
	traced(t, below, "s", "streamed", "aimd", one, one.PeakLive(), result.Memory{Allocator: "glibc", Baseline: 10, PeakResident: 9})
	cases := []struct {
		name string
		args []string
		code int
		want string
		rust bool
	}{
		{"no traces", []string{"calibrate", empty}, 2, "holds no traces (traces/<scenario>/<run>.trace): run fanbench run -trace -o " + empty, false},
		{"no dir", []string{"calibrate", filepath.Join(empty, "nope")}, 2, "results directory", false},
		{"threads", []string{"calibrate", "-threads", "-2", empty}, 2, "-threads: -2 is not a thread count", false},
		{"two dirs", []string{"calibrate", empty, empty}, 2, "one results directory expected", false},
		{"truncated", []string{"calibrate", broken}, 2, "trace " + tp + ": event 7 at byte 104: truncated before free id", true},
		{"foreign", []string{"calibrate", foreign}, 2, "trace " + fp + `: header at byte 0: not a fanbench trace (starts with "goos: li", want "FBTRACE\n")`, true},
		{"stale", []string{"calibrate", stale}, 2, "traces/s/streamed-aimd-1.trace: its record " + staleRec + " names no trace (a run without -trace): the trace is not that run's", true},
		{"below", []string{"calibrate", below}, 2, "memory.peak_resident 9 is below memory.baseline 10", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.rust {
				needRustc(t)
			}
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), &stdout, &stderr, tc.args)
			if exitCode(err) != tc.code || err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("exit %d, %v; want %d and %q", exitCode(err), err, tc.code, tc.want)
			}
		})
	}
}

// The check that heaptrack works here: the replay of 20
// concurrent sends (to_vec copies, Vecs grown by pushes) under heaptrack,
// its peak heap and finish_grow total beside the trace's figures, and the
// capture imported onto fanbench's sites.
func TestCalibrateHeaptrack(t *testing.T) {
	needRustc(t)
	if _, err := exec.LookPath("heaptrack"); err != nil {
		t.Skip("skipping: heaptrack is missing (Debian's heaptrack package)")
	}
	if _, err := exec.LookPath("heaptrack_print"); err != nil {
		t.Skip("skipping: heaptrack_print is missing (Debian's heaptrack package)")
	}
	dir := t.TempDir()
	s := replay.DefaultSends
	traced(t, dir, "synthetic", "copy-per-peer", "fixed_5", s, s.PeakLive(), result.Memory{})
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), &stdout, &stderr, []string{"calibrate", "-heaptrack", dir}); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	row := readCalibration(t, dir)[0]
	// heaptrack sees the replay's own small allocations too (its event
	// list, maps, stdio): a fraction of a percent above the buffers.
	if row.HeaptrackPeakHeap < row.PeakLive || float64(row.HeaptrackPeakHeap) > 1.002*float64(row.PeakLive) {
		t.Errorf("heaptrack peak %d, peak live %d", row.HeaptrackPeakHeap, row.PeakLive)
	}
	if d := row.HeaptrackFinishGrow - row.GrownAtPeak; d < -5000 || d > 100_000 {
		t.Errorf("heaptrack finish_grow %d, the grown sites at the peak %d", row.HeaptrackFinishGrow, row.GrownAtPeak)
	}
	if row.HeaptrackMappedShare < 0.99 {
		t.Errorf("mapped %.4f of heaptrack's peak", row.HeaptrackMappedShare)
	}
	for _, f := range []string{row.HeaptrackCapture, row.HeaptrackText} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}

	stdout.Reset()
	if err := run(context.Background(), &stdout, &stderr, []string{"import-heaptrack", filepath.Join(dir, row.HeaptrackCapture), "-dir", dir}); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	for _, want := range []string{"encode", "copy", "chunk", "160.0 MiB", "1.000", "fanbench synthetic/copy-per-peer/fixed_5 rep 1 peak live 259.9 MiB"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("import output lacks %q:\n%s", want, stdout.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "heaptrack-import.json")); err != nil {
		t.Error(err)
	}
}

func TestImportHeaptrack(t *testing.T) {
	excerpt := filepath.Join("..", "..", "reports", "heaptrack", "testdata", "seed-excerpt.txt")
	out := filepath.Join(t.TempDir(), "import.json")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), &stdout, &stderr, []string{"import-heaptrack", excerpt, "-o", out}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"peak heap 570.98 MB", "under RawVecInner::finish_grow: 271.8 MiB", "(29.4% of the peak)", "warning: merged layout", "│ encode │ 160.2 MiB │ 29.4%", `"other places"`} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
	if b, err := os.ReadFile(out); err != nil || !strings.Contains(string(b), `"finish_grow": 285000000`) {
		t.Errorf("%s: %v\n%s", out, err, b)
	}
}

func TestImportHeaptrackErrors(t *testing.T) {
	dir := t.TempDir()
	notHeaptrack := filepath.Join(dir, "bench.txt")
	os.WriteFile(notHeaptrack, []byte("goos: linux\nBenchmarkUpload 1 5 ns/op\n"), 0o644)
	two := t.TempDir()
	for _, m := range []string{"copy-per-peer", "streamed"} {
		result.Write(filepath.Join(two, "runs", "s", m+"-aimd-1.json"), &result.Record{Version: result.Version, Scenario: "s", Strategy: m, Limiter: "aimd", Rep: 1, Status: result.OK})
	}
	excerpt := filepath.Join("..", "..", "reports", "heaptrack", "testdata", "seed-excerpt.txt")
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"import-heaptrack", notHeaptrack}, 2, notHeaptrack + `:1: not heaptrack_print's text`},
		{[]string{"import-heaptrack"}, 2, "one capture or heaptrack_print text expected, got 0"},
		{[]string{"import-heaptrack", excerpt, "-mode", "streamed"}, 2, "-scenario, -strategy and -limiter choose a run in -dir; give -dir"},
		{[]string{"import-heaptrack", excerpt, "-dir", two}, 2, "holds 2 cases; choose one with -scenario s -strategy copy-per-peer -limiter aimd, or -scenario s -strategy streamed -limiter aimd"},
		{[]string{"import-heaptrack", excerpt, "-dir", two, "-mode", "encode-once"}, 2, `holds no finished run of scenario "", strategy "encode-once"`},
	}
	for _, tc := range cases {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), &stdout, &stderr, tc.args)
		if exitCode(err) != tc.code || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: exit %d, %v; want %d and %q", tc.args, exitCode(err), err, tc.code, tc.want)
		}
	}
}
