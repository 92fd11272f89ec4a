// Package calibrate sets fanbench's figures beside a real process's:
// fanbench calibrate replays a results directory's traced runs in a real
// Rust process (package replay), run by run, and fanbench import-heaptrack
// (Import) maps a heaptrack capture's peak onto fanbench's sites beside a
// run.
//
// Calibrate, in steps:
//  1. find DIR/traces/<scenario>/<run>.trace, each beside its run's record;
//  2. build the replay with the machine's rustc (replay.Build) and run it
//     on each trace, under heaptrack too when asked;
//  3. write DIR/calibration.json (result.Calibration rows), print the
//     table, and write DIR's report again with a calibration section.
package calibrate

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

	"github.com/olekukonko/tablewriter"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/exit"
	"github.com/fanbench/fanbench/cmd/fanbench/internal/outputs"
	"github.com/fanbench/fanbench/cmd/fanbench/internal/progress"
	"github.com/fanbench/fanbench/harness/replay"
	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/trace"
	"github.com/fanbench/fanbench/reports/heaptrack"
)

// Options are fanbench calibrate's flags.
type Options struct {
	// Dir is the results directory.
	Dir string
	// Heaptrack runs each replay under heaptrack too.
	Heaptrack bool
	// Threads is the replay's worker threads; Rustc the compiler (""
	// finds one); Cache where built replays are kept.
	Threads int
	Rustc   string
	Cache   string
}

// Run replays every trace in o.Dir and writes, prints and reports the
// calibration. It exits 1 (exit.Fail) when a replay's peak live differs
// from fanbench's, 2 (exit.Usage) on unusable input or a missing tool.
func Run(ctx context.Context, stdout, stderr io.Writer, o Options) error {
	dir := o.Dir
	traces, err := findTraces(dir)
	if err != nil {
		return exit.UsageError(fmt.Errorf("calibrate: %w", err))
	}
	bin, err := replay.Build(ctx, o.Rustc, o.Cache)
	if err != nil {
		return exit.UsageError(fmt.Errorf("calibrate: %w", err))
	}
	opt := replay.Options{Threads: o.Threads}
	var rows []result.Calibration
	var differ []string
	for i, rel := range traces {
		fmt.Fprintf(stderr, "[%d/%d] replaying %s\n", i+1, len(traces), rel)
		row, err := calibrateOne(ctx, dir, rel, bin, opt, o.Heaptrack)
		if err != nil {
			return exit.UsageError(err)
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
	out := filepath.Join(dir, result.CalibrationFile)
	if err := result.WriteFileAtomic(out, append(b, '\n')); err != nil {
		return err
	}
	if err := writeTable(stdout, rows, o.Heaptrack); err != nil {
		return err
	}
	fmt.Fprintln(stdout, out)
	if err := recalibrateReport(dir, stdout); err != nil {
		return err
	}
	if len(differ) > 0 {
		return exit.With(exit.Fail, fmt.Errorf("calibrate: the replay's peak live differs from fanbench's for %d run(s): %s", len(differ), strings.Join(differ, "; ")))
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
	paths, err := outputs.Reports(dir, res)
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
func calibrateOne(ctx context.Context, dir, rel, bin string, opt replay.Options, withHeaptrack bool) (result.Calibration, error) {
	path := filepath.Join(dir, rel)
	h, st, grown, err := readTrace(path)
	if err != nil {
		return result.Calibration{}, err
	}
	row := result.Calibration{Scenario: h.Scenario, Strategy: h.Strategy, Limiter: h.Limiter, Rep: h.Rep, Trace: rel,
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
func fromRecord(row *result.Calibration, rec *result.Record, recPath, rel string) error {
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

// writeTable prints rows as fanbench calibrate does: fanbench's figures
// beside the replay's, a row each, and a legend.
func writeTable(w io.Writer, rows []result.Calibration, withHeaptrack bool) error {
	table := tablewriter.NewWriter(w)
	head := []any{"scenario", "strategy", "limiter", "rep", "peak live", "replay live", "resident prediction", "replay HWM net", "ratio", "replay anon net"}
	if withHeaptrack {
		head = append(head, "heaptrack peak", "finish_grow", "mapped")
	}
	table.Header(head...)
	absent := false
	for _, r := range rows {
		live := progress.MiB(r.PeakLive)
		if r.PeakLive != r.ReplayPeakLive {
			live += " ≠"
		} else {
			live += " ="
		}
		res, ratio := "-", "-"
		if r.ClientResident > 0 {
			res = progress.MiB(r.ClientResident)
			ratio = fmt.Sprintf("%.3f", r.ResidentRatio)
		} else {
			absent = true
		}
		cells := []any{r.Scenario, r.Strategy, r.Limiter, r.Rep, live, progress.MiB(r.ReplayPeakLive), res, progress.MiB(r.ReplayVmHWM), ratio, progress.MiB(r.ReplayRssAnon)}
		if withHeaptrack {
			cells = append(cells, progress.MiB(r.HeaptrackPeakHeap), progress.MiB(r.HeaptrackFinishGrow), fmt.Sprintf("%.1f%%", 100*r.HeaptrackMappedShare))
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
