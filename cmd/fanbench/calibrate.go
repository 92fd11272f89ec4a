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
trace is faithful), and fanbench's predicted client resident peak beside the
replay's VmHWM less its own baseline.

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
rep, trace; peak_live (fanbench's, from the record, or from the trace when
peak_live_from says "trace"); replay_peak_live; client_resident (fanbench's
predicted client resident peak, from the record; 0 when the record has none,
with client_resident_note saying so); replay_vmhwm (the replay's VmHWM less
its baseline), replay_vmhwm_raw, replay_baseline_vmhwm, replay_rss_anon (the
highest RssAnon less the baseline's), replay_rss_anon_at_peak (at the event
of the live peak, less the baseline's); resident_ratio (client_resident /
replay_vmhwm); grown_sites and grown_at_peak (the sites the trace grows and
their live bytes at fanbench's peak); threads, hwm_reset, events; with
-heaptrack: heaptrack_peak_heap, heaptrack_finish_grow,
heaptrack_mapped_share, heaptrack_capture, heaptrack_text.

Examples:
  fanbench run -trace -o /tmp/cal seed-20mb && fanbench calibrate /tmp/cal
  fanbench calibrate -heaptrack /tmp/cal
  fanbench calibrate -threads 4 /tmp/cal

Flags:
`

// calibration is one row of calibration.json. Bytes unless named.
type calibration struct {
	Scenario string `json:"scenario"`
	Strategy string `json:"strategy"`
	Limiter  string `json:"limiter"`
	Rep      int    `json:"rep"`
	Trace    string `json:"trace"` // relative to DIR

	PeakLive     int64  `json:"peak_live"`
	PeakLiveFrom string `json:"peak_live_from"` // "record" or "trace"
	// ReplayPeakLive is the replay's own count of its live Vecs'
	// capacities.
	ReplayPeakLive int64 `json:"replay_peak_live"`

	ClientResident     int64  `json:"client_resident"`
	ClientResidentNote string `json:"client_resident_note,omitempty"`

	ReplayVmHWM         int64   `json:"replay_vmhwm"`
	ReplayVmHWMRaw      int64   `json:"replay_vmhwm_raw"`
	ReplayBaselineVmHWM int64   `json:"replay_baseline_vmhwm"`
	ReplayRssAnon       int64   `json:"replay_rss_anon"`
	ReplayRssAnonAtPeak int64   `json:"replay_rss_anon_at_peak"`
	ResidentRatio       float64 `json:"resident_ratio,omitempty"`

	GrownSites  []string `json:"grown_sites"`
	GrownAtPeak int64    `json:"grown_at_peak"`

	Threads  int  `json:"threads"`
	HWMReset bool `json:"hwm_reset"`
	Events   int  `json:"events"`

	HeaptrackPeakHeap    int64   `json:"heaptrack_peak_heap,omitempty"`
	HeaptrackFinishGrow  int64   `json:"heaptrack_finish_grow,omitempty"`
	HeaptrackMappedShare float64 `json:"heaptrack_mapped_share,omitempty"`
	HeaptrackCapture     string  `json:"heaptrack_capture,omitempty"`
	HeaptrackText        string  `json:"heaptrack_text,omitempty"`
}

// calibrationFile is where fanbench calibrate writes its rows in DIR.
const calibrationFile = "calibration.json"

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
	if len(differ) > 0 {
		return exitError{1, fmt.Errorf("calibrate: the replay's peak live differs from fanbench's for %d run(s): %s", len(differ), strings.Join(differ, "; "))}
	}
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
		row.PeakLive, row.PeakLiveFrom = rec.Live.Peak, "record"
		var ok bool
		if row.ClientResident, ok = clientResident(recPath); !ok {
			row.ClientResidentNote = "the run's record has no client resident figure"
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

// clientResident reads fanbench's predicted client resident peak from the
// record at path (Client.PeakResident, bytes). It reports false when the
// record has none.
func clientResident(path string) (int64, bool) {
	r, err := result.Read(path)
	if err != nil || r.Memory.PeakResident <= 0 {
		return 0, false
	}
	return r.Memory.PeakResident, true
}

func renderCalibration(w io.Writer, rows []calibration, withHeaptrack bool) error {
	table := tablewriter.NewWriter(w)
	head := []any{"scenario", "strategy", "limiter", "rep", "peak live", "replay live", "client resident", "replay VmHWM", "resident/replay", "replay anon"}
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
	fmt.Fprintln(w, "peak live: fanbench's exact peak (= when the replay counted the same); replay VmHWM and anon: the replay's high-water RSS and highest RssAnon, less its baseline before the first event")
	if absent {
		fmt.Fprintln(w, "client resident: - where the run's record has no predicted client resident figure (calibration.json says why)")
	}
	if withHeaptrack {
		fmt.Fprintln(w, "heaptrack peak: heaptrack's peak heap of the replay; finish_grow: its bytes at the peak under RawVecInner::finish_grow; mapped: the share of its peak mapped onto fanbench's sites")
	}
	return nil
}
