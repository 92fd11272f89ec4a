package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/calibrate"
)

const importHeaptrackUsage = `usage: fanbench import-heaptrack [flags] FILE

Reads a heaptrack capture of a Rust uploader (the real client's, or fanbench
calibrate's of its replay): heaptrack_print's text, or the capture itself
(heaptrack.*.zst or .gz) when heaptrack_print is installed. Maps its peak
memory consumers onto fanbench's buffer sites by their stack frames
(ChunkMessage::encode, the per-peer to_vec, saorsa-core's retry and channel
clones, compute_signable_bytes, the WireMessage serialisation, and the
replay's site functions), and prints each site's bytes at heaptrack's peak,
the bytes under RawVecInner::finish_grow, the share of the peak mapped and
every consumer that could not be mapped.

With -dir, it puts the sites beside a fanbench run of the same case from
that results directory (-scenario, -strategy, -limiter choose it when DIR holds
more than one) and writes the import as JSON to -o, by default
DIR/heaptrack-import.json.

Text that is not heaptrack_print's is an error naming the file and line
(exit 2). For a full account, print captures with
heaptrack_print --merge-backtraces=0 --peak-limit=1000, as fanbench does:
the default merged layout shows one representative stack per group.

Examples:
  fanbench import-heaptrack heaptrack.ant.12345.zst
  fanbench import-heaptrack peaks.txt -dir results -strategy copy-per-peer
  fanbench import-heaptrack /tmp/cal/heaptrack/seed-20mb/copy-per-peer-aimd-1.txt -dir /tmp/cal

Flags:
`

func cmdImportHeaptrack(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newCommandFlags("import-heaptrack", importHeaptrackUsage, stdout, stderr)
	var o calibrate.ImportOptions
	fs.StringVar(&o.Dir, "dir", "", "results directory of a fanbench run of the same case, to put beside the capture")
	fs.StringVar(&o.Scenario, "scenario", "", "scenario of the run in -dir (default: the only one)")
	fs.StringVar(&o.Strategy, "strategy", "", "buffer strategy of the run in -dir (default: the only one)")
	fs.StringVar(&o.Strategy, "mode", "", modeNote)
	fs.StringVar(&o.Limiter, "limiter", "", "store limiter of the run in -dir (default: the only one)")
	fs.StringVar(&o.Out, "o", "", "file to write the import to as JSON (default with -dir: DIR/heaptrack-import.json; without: none)")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError(fmt.Errorf("import-heaptrack: one capture or heaptrack_print text expected, got %d arguments", len(pos)))
	}
	if o.Dir == "" && (o.Scenario != "" || o.Strategy != "" || o.Limiter != "") {
		return usageError(errors.New("import-heaptrack: -scenario, -strategy and -limiter choose a run in -dir; give -dir"))
	}
	if parseOnly(ctx) {
		return nil
	}
	o.Capture = pos[0]
	return calibrate.Import(ctx, stdout, o)
}
