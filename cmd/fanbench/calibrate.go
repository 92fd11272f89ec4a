package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/fanbench/fanbench/harness/replay"
	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/trace"
	"github.com/fanbench/fanbench/reports/heaptrack"
	"github.com/olekukonko/tablewriter"
)

const calibrateUsage = `usage: fanbench calibrate [flags] [DIR]

Replays every traced run of a results directory (fanbench run -trace -o DIR)
in a real Rust process, fanbench-replay, built here with the machine's rustc:
it allocates, touches, grows and frees Vec<u8>s with glibc malloc exactly as
the run's trace says, counts its own live bytes and reads its VmHWM and
RssAnon. Writes DIR/calibration.json (one object per traced run, below) and
prints a table: fanbench's peak live beside the replay's (equal when the
trace is faithful), and fanbench's predicted resident peak of the client's
buffers (the record's memory.peak_resident less memory.baseline, the
client's declared memory besides its buffers) beside the replay's VmHWM
less its own baseline (read before its first event). When DIR holds a
report.html, it is written again with a calibration section.

Traces are found by name: DIR/traces/<scenario>/<strategy>-<limiter>-<rep>.trace,
each beside its run's record DIR/runs/<scenario>/<strategy>-<limiter>-<rep>.json.
A trace without a record is calibrated against its own count.

With -heaptrack, each replay also runs under heaptrack (Debian's heaptrack
package): the capture and heaptrack_print's text go to
DIR/heaptrack/<scenario>/<name>.zst and .txt, and the row gains heaptrack's
peak heap, the bytes it books under RawVecInner::finish_grow, and the share
of its peak that maps onto fanbench's sites (fanbench import-heaptrack).

Exits 1 when a replay's counted peak live differs from fanbench's, 2 on
unusable input (no traces, a broken trace or record) or a missing tool
(rustc; heaptrack with -heaptrack).

calibration.json fields, bytes unless named: scenario, strategy, limiter,
rep, trace, batch (the record's); peak_live (fanbench's, from the record,
or from the trace when peak_live_from says "trace"); replay_peak_live;
client_resident (fanbench's predicted resident peak of the client's buffers
alone: client_peak_resident less client_baseline, both from the record; 0
when the record has none, with client_resident_note saying so);
client_baseline, client_peak_resident, allocator (the record's client
figures; the replay always uses glibc malloc); replay_vmhwm (the replay's
VmHWM less its baseline), replay_vmhwm_raw, replay_baseline_vmhwm,
replay_rss_anon (the highest RssAnon less the baseline's),
replay_rss_anon_at_peak (at the event of the live peak, less the
baseline's); resident_ratio (client_resident / replay_vmhwm); grown_sites
and grown_at_peak (the sites the trace grows and their live bytes at
fanbench's peak); threads, hwm_reset, events; with -heaptrack:
heaptrack_peak_heap, heaptrack_finish_grow, heaptrack_mapped_share,
heaptrack_capture, heaptrack_text.

Examples:
  fanbench run -trace -o /tmp/cal seed-20mb && fanbench calibrate /tmp/cal
  fanbench calibrate -heaptrack /tmp/cal
  fanbench calibrate -threads 4 /tmp/cal

Flags:
`

// calibration is one row of calibration.json.
type calibration = result.Calibration

// calibrationFile is where fanbench calibrate writes its rows in DIR.
const calibrationFile = result.CalibrationFile

func cmdCalibrate(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newCommandFlags("calibrate", calibrateUsage, stdout, stderr)
	withHeaptrack := fs.Bool("heaptrack", false, "also run each replay under heaptrack and add its peak heap and finish_grow total")
	threads := fs.Int("threads", replay.DefaultOptions.Threads, "replay worker threads, each with its own glibc arena (0: all on the main thread)")
	rustc := fs.String("rustc", "", "rustc to build the replay with (default: rustc on PATH, then ~/.cargo/bin/rustc)")
	cache := fs.String("cache", replay.DefaultCacheDir(), "directory where built replays are kept")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	dir := "results"
	switch len(pos) {
	case 0:
	case 1:
		dir = pos[0]
	default:
		return usageError{fmt.Errorf("calibrate: one results directory expected, got %q", pos)}
	}
	if *threads < 0 || *threads > 1024 {
		return usageError{fmt.Errorf("-threads: %d is not a thread count (0 to 1024)", *threads)}
	}
	traces, err := findTraces(dir)
	if err != nil {
		return exitError{2, fmt.Errorf("calibrate: %w", err)}
	}
	bin, err := replay.Build(ctx, *rustc, *cache)
	if err != nil {
		return exitError{2, fmt.Errorf("calibrate: %w", err)}
	}
	opt := replay.Options{Threads: *threads}
	var rows []calibration
	var differ []string
	for i, rel := range traces {
		fmt.Fprintf(stderr, "[%d/%d] replaying %s\n", i+1, len(traces), rel)
		row, err := calibrateOne(ctx, dir, rel, bin, opt, *withHeaptrack)
		if err != nil {
			return exitError{2, err}
		}
		if row.PeakLive != row.ReplayPeakLive {
			differ = append(differ, fmt.Sprintf("%s: fanbench %d, replay %d", rel, row.PeakLive, row.ReplayPeakLive))
		}
		rows = append(rows, row)
	}
	b, err := json.MarshalIndent(rows, "", "  ")
	if err != nil {
		return err
	}
	out := filepath.Join(dir, calibrationFile)
	if err := result.WriteFileAtomic(out, append(b, '\n')); err != nil {
		return err
	}
	if err := renderCalibration(stdout, rows, *withHeaptrack); err != nil {
		return err
	}
	fmt.Fprintln(stdout, out)
	if err := recalibrateReport(dir, stdout); err != nil {
		return err
	}
	if len(differ) > 0 {
		return exitError{1, fmt.Errorf("calibrate: the replay's peak live differs from fanbench's for %d run(s): %s", len(differ), strings.Join(differ, "; "))}
	}
	return nil
}

// recalibrateReport writes DIR's report.html and summary.md again, now with
// the calibration section, when DIR holds a report; otherwise it says how
// to write one.
func recalibrateReport(dir string, stdout io.Writer) error {
	page := filepath.Join(dir, "report.html")
	if _, err := os.Stat(page); err != nil {
		fmt.Fprintf(stdout, "no report in %s: fanbench report %s writes one with this calibration\n", dir, dir)
		return nil
	}
	res, err := result.LoadDir(dir)
	if err != nil {
		return fmt.Errorf("calibrate: the report: %w", err)
	}
	paths, err := writeReports(dir, res)
	if err != nil {
		return fmt.Errorf("calibrate: %w", err)
	}
	fmt.Fprintf(stdout, "%s (with the calibration)\n", paths[0])
	return nil
}

// findTraces returns DIR's trace files, relative to DIR, in order.
func findTraces(dir string) ([]string, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("results directory: %w", err)
	}
	root := filepath.Join(dir, trace.Dir)
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == root {
				return nil
			}
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, trace.Ext) {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no traces (%s/<scenario>/<run>%s): run fanbench run -trace -o %s first", dir, trace.Dir, trace.Ext, dir)
	}
	slices.Sort(out)
	return out, nil
}

// calibrateOne replays the trace at DIR/rel and fills its row.
func calibrateOne(ctx context.Context, dir, rel, bin string, opt replay.Options, withHeaptrack bool) (calibration, error) {
	path := filepath.Join(dir, rel)
	h, st, grown, err := readTrace(path)
	if err != nil {
		return calibration{}, err
	}
	row := calibration{Scenario: h.Scenario, Strategy: h.Strategy, Limiter: h.Limiter, Rep: h.Rep, Trace: rel,
		PeakLive: st.PeakLive, PeakLiveFrom: "trace", GrownSites: []string{}}
	for i, s := range h.Sites {
		if grown[i] {
			row.GrownSites = append(row.GrownSites, s)
			row.GrownAtPeak += st.AtPeak[i]
		}
	}
	recPath := filepath.Join(dir, trace.RecordFor(rel))
	rec, err := result.Read(recPath)
	switch {
	case err == nil:
		if err := fromRecord(&row, rec, recPath, rel); err != nil {
			return row, err
		}
	case errors.Is(err, fs.ErrNotExist):
		row.ClientResidentNote = "no record at " + trace.RecordFor(rel)
	default:
		return row, err
	}

	rep, err := replay.Run(ctx, bin, path, opt)
	if err != nil {
		return row, err
	}
	row.ReplayPeakLive = rep.PeakLive
	row.ReplayVmHWM, row.ReplayVmHWMRaw, row.ReplayBaselineVmHWM = rep.NetVmHWM(), rep.MaxVmHWM, rep.Baseline.VmHWM
	row.ReplayRssAnon, row.ReplayRssAnonAtPeak = rep.NetRssAnon(), rep.Peak.RssAnon-rep.Baseline.RssAnon
	row.Threads, row.HWMReset, row.Events = rep.Threads, rep.HWMReset, rep.Events
	if row.ClientResident > 0 && row.ReplayVmHWM > 0 {
		row.ResidentRatio = float64(row.ClientResident) / float64(row.ReplayVmHWM)
	}
	if !withHeaptrack {
		return row, nil
	}
	stem := strings.TrimSuffix(strings.TrimPrefix(rel, trace.Dir+string(filepath.Separator)), trace.Ext)
	prefix := filepath.Join(dir, "heaptrack", stem)
	_, capture, err := replay.RunHeaptrack(ctx, bin, path, prefix, opt)
	if err != nil {
		return row, err
	}
	text, err := heaptrack.Print(ctx, capture)
	if err != nil {
		return row, err
	}
	textPath := prefix + ".txt"
	if err := os.WriteFile(textPath, text, 0o644); err != nil {
		return row, err
	}
	c, err := heaptrack.Parse(bytes.NewReader(text), textPath)
	if err != nil {
		return row, err
	}
	m := heaptrack.Map(c, heaptrack.DefaultRules)
	row.HeaptrackPeakHeap, row.HeaptrackFinishGrow, row.HeaptrackMappedShare = c.PeakHeap, m.FinishGrow, m.MappedShare()
	row.HeaptrackCapture, _ = filepath.Rel(dir, capture)
	row.HeaptrackText, _ = filepath.Rel(dir, textPath)
	return row, nil
}

// readTrace reads and checks a whole trace, returning its header, its
// figures and which of its sites grow.
func readTrace(path string) (*trace.Header, trace.Stats, []bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, trace.Stats{}, nil, err
	}
	defer f.Close()
	r := trace.NewReader(f, path)
	h, err := r.Header()
	if err != nil {
		return nil, trace.Stats{}, nil, err
	}
	grown := make([]bool, len(h.Sites))
	for r.Scan() {
		if e := r.Event(); e.Kind == trace.Grow {
			grown[e.Site] = true
		}
	}
	if err := r.Err(); err != nil {
		return nil, trace.Stats{}, nil, err
	}
	return h, r.Stats(), grown, nil
}

// fromRecord fills row with the figures of rec, the record at recPath of
// the run traced at rel. A record that names another trace, or none,
// belongs to another run than the trace's (a later batch that did not
// trace): an error, as the trace would be calibrated against figures that
// are not its own.
func fromRecord(row *calibration, rec *result.Record, recPath, rel string) error {
	if filepath.ToSlash(rec.Trace) != filepath.ToSlash(rel) {
		what := "names no trace (a run without -trace)"
		if rec.Trace != "" {
			what = fmt.Sprintf("names the trace %s", rec.Trace)
		}
		return fmt.Errorf("calibrate: %s: its record %s %s: the trace is not that run's; run fanbench run -trace again", rel, recPath, what)
	}
	row.PeakLive, row.PeakLiveFrom, row.Batch = rec.Live.Peak, "record", rec.Batch
	c := rec.Memory
	row.Allocator, row.ClientBaseline, row.ClientPeakResident = c.Allocator, c.Baseline, c.PeakResident
	switch {
	case c.PeakResident <= 0:
		row.ClientResidentNote = "the run's record has no client resident figure"
	case c.PeakResident < c.Baseline:
		return fmt.Errorf("calibrate: %s: memory.peak_resident %d is below memory.baseline %d, which it includes", recPath, c.PeakResident, c.Baseline)
	default:
		// The replay's VmHWM less its own baseline is its buffers' cost,
		// so the prediction put beside it is the buffers' alone.
		row.ClientResident = c.PeakResident - c.Baseline
		if c.Allocator != "" && c.Allocator != "glibc" {
			row.ClientResidentNote = fmt.Sprintf("the run modelled %s; the replay uses glibc malloc, so the resident figures are of different allocators", c.Allocator)
		}
	}
	return nil
}

func renderCalibration(w io.Writer, rows []calibration, withHeaptrack bool) error {
	table := tablewriter.NewWriter(w)
	head := []any{"scenario", "strategy", "limiter", "rep", "peak live", "replay live", "resident prediction", "replay HWM net", "ratio", "replay anon net"}
	if withHeaptrack {
		head = append(head, "heaptrack peak", "finish_grow", "mapped")
	}
	table.Header(head...)
	absent := false
	for _, r := range rows {
		live := mib(r.PeakLive)
		if r.PeakLive != r.ReplayPeakLive {
			live += " ≠"
		} else {
			live += " ="
		}
		res, ratio := "-", "-"
		if r.ClientResident > 0 {
			res = mib(r.ClientResident)
			ratio = fmt.Sprintf("%.3f", r.ResidentRatio)
		} else {
			absent = true
		}
		cells := []any{r.Scenario, r.Strategy, r.Limiter, r.Rep, live, mib(r.ReplayPeakLive), res, mib(r.ReplayVmHWM), ratio, mib(r.ReplayRssAnon)}
		if withHeaptrack {
			cells = append(cells, mib(r.HeaptrackPeakHeap), mib(r.HeaptrackFinishGrow), fmt.Sprintf("%.1f%%", 100*r.HeaptrackMappedShare))
		}
		if err := table.Append(cells...); err != nil {
			return err
		}
	}
	if err := table.Render(); err != nil {
		return err
	}
	fmt.Fprintln(w, "peak live: fanbench's exact peak (= when the replay counted the same); resident prediction: fanbench's resident peak of the client's buffers (memory.peak_resident less memory.baseline)")
	fmt.Fprintln(w, "replay HWM and anon net: the replay's VmHWM and highest RssAnon, less its baseline before the first event; ratio: prediction / replay HWM net")
	if absent {
		fmt.Fprintln(w, "resident prediction: - where the run's record has no client resident figure (calibration.json says why)")
	}
	if withHeaptrack {
		fmt.Fprintln(w, "heaptrack peak: heaptrack's peak heap of the replay; finish_grow: its bytes at the peak under RawVecInner::finish_grow; mapped: the share of its peak mapped onto fanbench's sites")
	}
	return nil
}
