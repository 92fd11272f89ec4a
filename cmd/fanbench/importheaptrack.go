package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"

	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/reports/heaptrack"
	"github.com/olekukonko/tablewriter"
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
that results directory (-scenario, -mode, -limiter choose it when DIR holds
more than one) and writes the import as JSON to -o, by default
DIR/heaptrack-import.json.

Text that is not heaptrack_print's is an error naming the file and line
(exit 2). For a full account, print captures with
heaptrack_print --merge-backtraces=0 --peak-limit=1000, as fanbench does:
the default merged layout shows one representative stack per group.

Examples:
  fanbench import-heaptrack heaptrack.ant.12345.zst
  fanbench import-heaptrack peaks.txt -dir results -mode copy-per-peer
  fanbench import-heaptrack /tmp/cal/heaptrack/seed-20mb/copy-per-peer-aimd-1.txt -dir /tmp/cal

Flags:
`

func cmdImportHeaptrack(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newCommandFlags("import-heaptrack", importHeaptrackUsage, stdout, stderr)
	dir := fs.String("dir", "", "results directory of a fanbench run of the same case, to put beside the capture")
	scenario := fs.String("scenario", "", "scenario of the run in -dir (default: the only one)")
	mode := fs.String("mode", "", "buffer strategy of the run in -dir (default: the only one)")
	limiter := fs.String("limiter", "", "store limiter of the run in -dir (default: the only one)")
	out := fs.String("o", "", "file to write the import to as JSON (default with -dir: DIR/heaptrack-import.json; without: none)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{fmt.Errorf("import-heaptrack: one capture or heaptrack_print text expected, got %d arguments", len(pos))}
	}
	if *dir == "" && (*scenario != "" || *mode != "" || *limiter != "") {
		return usageError{errors.New("import-heaptrack: -scenario, -mode and -limiter choose a run in -dir; give -dir")}
	}
	c, _, err := heaptrack.Open(ctx, pos[0])
	if err != nil {
		return exitError{2, fmt.Errorf("import-heaptrack: %w", err)}
	}
	m := heaptrack.Map(c, heaptrack.DefaultRules)
	rep := heaptrack.NewReport(c, m)
	var rec *result.Record
	if *dir != "" {
		if rec, err = chooseRun(*dir, *scenario, *mode, *limiter); err != nil {
			return exitError{2, fmt.Errorf("import-heaptrack: %w", err)}
		}
		rep.Beside(fmt.Sprintf("%s/%s/%s rep %d", rec.Scenario, rec.Strategy, rec.Limiter, rec.Rep), rec.Live.AtPeak)
		if *out == "" {
			*out = filepath.Join(*dir, "heaptrack-import.json")
		}
	}
	if err := renderImport(stdout, c, rep, rec); err != nil {
		return err
	}
	if *out != "" {
		b, err := rep.JSON()
		if err != nil {
			return err
		}
		if err := result.WriteFileAtomic(*out, b); err != nil {
			return err
		}
		fmt.Fprintln(stdout, *out)
	}
	return nil
}

// chooseRun picks the measured run of DIR the flags name: the lowest
// repetition that finished, of the one (scenario, strategy, limiter) left.
func chooseRun(dir, scenario, mode, limiter string) (*result.Record, error) {
	recs, err := readRecords(dir, io.Discard)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("-dir: %w", err)
		}
		return nil, err
	}
	var keep []*result.Record
	cases := map[string]bool{}
	for _, r := range recs {
		if r.Profile || r.Status != result.OK || (scenario != "" && r.Scenario != scenario) ||
			(mode != "" && r.Strategy != mode) || (limiter != "" && r.Limiter != limiter) {
			continue
		}
		keep = append(keep, r)
		cases[r.Scenario+" -mode "+r.Strategy+" -limiter "+r.Limiter] = true
	}
	switch {
	case len(keep) == 0:
		return nil, fmt.Errorf("%s holds no finished run of scenario %q, mode %q, limiter %q (empty: any)", dir, scenario, mode, limiter)
	case len(cases) > 1:
		var names []string
		for k := range cases {
			names = append(names, "-scenario "+k)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("%s holds %d cases; choose one with %s", dir, len(cases), strings.Join(names, ", or "))
	}
	sort.Slice(keep, func(i, j int) bool { return keep[i].Rep < keep[j].Rep })
	return keep[0], nil
}

func renderImport(w io.Writer, c *heaptrack.Capture, r *heaptrack.Report, rec *result.Record) error {
	src := "heaptrack_print's summary"
	if !c.PeakFromSummary {
		src = "the sum of its consumers: the text has no summary"
	}
	fmt.Fprintf(w, "%s: peak heap %.2f MB = %s (%s)", c.File, float64(r.PeakHeap)/1e6, mib(r.PeakHeap), src)
	if rec != nil {
		fmt.Fprintf(w, "; fanbench %s peak live %s", r.Run, mib(rec.Live.Peak))
	}
	fmt.Fprintf(w, "\nunder RawVecInner::finish_grow: %s; mapped onto fanbench's sites: %s (%.1f%% of the peak)\n",
		mib(r.FinishGrow), mib(r.Mapped), 100*r.MappedShare)
	if r.Merged {
		fmt.Fprintln(w, "warning: merged layout: each group's shared frames are one representative's, so a group can be misattributed; print with --merge-backtraces=0")
	}
	table := tablewriter.NewWriter(w)
	head := []any{"site", "heaptrack", "share", "consumers"}
	if rec != nil {
		head = append(head, "fanbench at peak", "heaptrack/fanbench")
	}
	table.Header(head...)
	for _, s := range r.Sites {
		share := "-"
		if r.PeakHeap > 0 && s.Heaptrack > 0 {
			share = fmt.Sprintf("%.1f%%", 100*float64(s.Heaptrack)/float64(r.PeakHeap))
		}
		cells := []any{s.Site, mib(s.Heaptrack), share, s.Consumers}
		if rec != nil {
			ratio := "-"
			if s.Fanbench != nil && *s.Fanbench > 0 && s.Heaptrack > 0 {
				ratio = fmt.Sprintf("%.3f", float64(s.Heaptrack)/float64(*s.Fanbench))
			}
			cells = append(cells, mib(*s.Fanbench), ratio)
		}
		if err := table.Append(cells...); err != nil {
			return err
		}
	}
	if err := table.Render(); err != nil {
		return err
	}
	if len(r.Unmapped) > 0 || r.Hidden > 0 {
		fmt.Fprintln(w, "not mapped:")
		const shown = 10
		var rest int64
		for i, u := range r.Unmapped {
			if i >= shown {
				rest += u.Bytes
				continue
			}
			fmt.Fprintf(w, "  %s at line %d: %s\n", humanBytes(u.Bytes), u.Line, u.Where)
		}
		if len(r.Unmapped) > shown {
			fmt.Fprintf(w, "  and %d smaller consumers, %s in all (-o writes every one as JSON)\n", len(r.Unmapped)-shown, humanBytes(rest))
		}
		if r.Hidden > 0 {
			fmt.Fprintf(w, "  %s not listed under any consumer (below heaptrack_print's --peak-limit, or rounding)\n", humanBytes(r.Hidden))
		}
	}
	return nil
}

// humanBytes shows figures below 1 MiB in bytes, where mib would round
// them to 0.0 MiB.
func humanBytes(b int64) string {
	if b < 1<<20 {
		return fmt.Sprintf("%d bytes", b)
	}
	return mib(b)
}
