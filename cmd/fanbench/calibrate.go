package main

import (
	"context"
	"fmt"
	"io"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/calibrate"
	"github.com/fanbench/fanbench/harness/replay"
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

func cmdCalibrate(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newCommandFlags("calibrate", calibrateUsage, stdout, stderr)
	o := calibrate.Options{Dir: "results"}
	fs.BoolVar(&o.Heaptrack, "heaptrack", false, "also run each replay under heaptrack and add its peak heap and finish_grow total")
	fs.IntVar(&o.Threads, "threads", replay.DefaultOptions.Threads, "replay worker threads, each with its own glibc arena (0: all on the main thread)")
	fs.StringVar(&o.Rustc, "rustc", "", "rustc to build the replay with (default: rustc on PATH, then ~/.cargo/bin/rustc)")
	fs.StringVar(&o.Cache, "cache", replay.DefaultCacheDir(), "directory where built replays are kept")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	switch len(pos) {
	case 0:
	case 1:
		o.Dir = pos[0]
	default:
		return usageError(fmt.Errorf("calibrate: one results directory expected, got %q", pos))
	}
	if o.Threads < 0 || o.Threads > 1024 {
		return usageError(fmt.Errorf("-threads: %d is not a thread count (0 to 1024)", o.Threads))
	}
	if parseOnly(ctx) {
		return nil
	}
	return calibrate.Run(ctx, stdout, stderr, o)
}
