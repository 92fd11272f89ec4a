package heaptrack

import (
	"fmt"
	"io"

	"github.com/olekukonko/tablewriter"
)

// WriteText prints r, the report of the capture c, as fanbench
// import-heaptrack does: heaptrack's peak, the bytes under finish_grow and
// the share mapped, a row per site (beside fanbench's bytes when Beside
// gave a run, whose peak live is runPeak bytes), and the consumers no rule
// maps, the largest first.
func (r *Report) WriteText(w io.Writer, c *Capture, runPeak int64) error {
	src := "heaptrack_print's summary"
	if !c.PeakFromSummary {
		src = "the sum of its consumers: the text has no summary"
	}
	fmt.Fprintf(w, "%s: peak heap %.2f MB = %s (%s)", c.File, float64(r.PeakHeap)/1e6, mib(r.PeakHeap), src)
	if r.Run != "" {
		fmt.Fprintf(w, "; fanbench %s peak live %s", r.Run, mib(runPeak))
	}
	fmt.Fprintf(w, "\nunder RawVecInner::finish_grow: %s; mapped onto fanbench's sites: %s (%.1f%% of the peak)\n",
		mib(r.FinishGrow), mib(r.Mapped), 100*r.MappedShare)
	if r.Merged {
		fmt.Fprintln(w, "warning: merged layout: each group's shared frames are one representative's, so a group can be misattributed; print with --merge-backtraces=0")
	}
	table := tablewriter.NewWriter(w)
	head := []any{"site", "heaptrack", "share", "consumers"}
	if r.Run != "" {
		head = append(head, "fanbench at peak", "heaptrack/fanbench")
	}
	table.Header(head...)
	for _, s := range r.Sites {
		share := "-"
		if r.PeakHeap > 0 && s.Heaptrack > 0 {
			share = fmt.Sprintf("%.1f%%", 100*float64(s.Heaptrack)/float64(r.PeakHeap))
		}
		cells := []any{s.Site, mib(s.Heaptrack), share, s.Consumers}
		if r.Run != "" {
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

// mib formats a byte count in MiB with one decimal, "-" for none.
func mib(b int64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}
