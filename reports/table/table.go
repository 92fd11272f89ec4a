// Package table renders a batch's records as the terminal table fanbench
// run and merge print: one row per case (scenario, strategy, limiter) with
// the medians of its measured runs, and a legend.
package table

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/olekukonko/tablewriter"

	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/reports/runs"
)

// Write prints the medians per (scenario, strategy, limiter) over
// the measured runs that finished: profiling runs are left out, failed runs
// are counted in the runs column but not in the medians. When no run of a
// case finished (all killed at the memory limit, say), it shows the figures
// they reached before the end, marked "≥".
func Write(w io.Writer, recs []*result.Record) error {
	table := tablewriter.NewWriter(w)
	groups := runs.Groups(recs)
	// A batch of several scenarios names each row's.
	several := slices.ContainsFunc(groups, func(g *runs.Group) bool { return g.Scenario != groups[0].Scenario })
	header := []any{"strategy", "limiter", "runs", "peak live", "model", "live/model", "client resident", "harness heap", "harness RSS", "stored", "caps", "sim time", "wall"}
	if several {
		header = append([]any{"scenario"}, header...)
	}
	table.Header(header...)
	for _, g := range groups {
		from, atLeast := g.OK, ""
		if len(g.OK) == 0 {
			from, atLeast = g.Runs, "≥ "
		}
		// stat is f's statistics over the runs that have the figure.
		stat := func(f func(*result.Record) int64) runs.Stat {
			var has []*result.Record
			for _, r := range from {
				if f(r) > 0 {
					has = append(has, r)
				}
			}
			return runs.StatOf(has, func(r *result.Record) float64 { return float64(f(r)) })
		}
		med := func(f func(*result.Record) int64) int64 { return int64(stat(f).Med) }
		// withCV shows a median with the coefficient of variation of its runs.
		withCV := func(f func(*result.Record) int64) string {
			switch st := stat(f); {
			case st.N == 0:
				return "-"
			case st.N == 1:
				return atLeast + mib(int64(st.Med))
			default:
				return fmt.Sprintf("%s%s ±%.1f%%", atLeast, mib(int64(st.Med)), st.CV)
			}
		}
		live, model := med(func(r *result.Record) int64 { return r.Live.Peak }), med(func(r *result.Record) int64 { return r.ModelPeak })
		ratio := "-"
		if model > 0 {
			ratio = strconv.FormatFloat(float64(live)/float64(model), 'f', 3, 64)
		}
		last := g.Runs[len(g.Runs)-1]
		if len(g.OK) > 0 {
			last = g.OK[len(g.OK)-1]
		}
		caps, sim, wall := "-", "-", "-"
		if d := med(func(r *result.Record) int64 { return r.Upload.Sim }); d > 0 {
			caps = fmt.Sprint(last.Upload.Caps)
			sim = time.Duration(d).Round(time.Millisecond).String()
			wall = time.Duration(med(func(r *result.Record) int64 { return r.Upload.Wall })).Round(time.Millisecond).String()
		}
		status := strconv.Itoa(len(g.Runs))
		if len(g.OK) != len(g.Runs) {
			status = runs.Statuses(g.Runs)
		}
		row := []any{g.Strategy, g.Limiter, status, withCV(func(r *result.Record) int64 { return r.Live.Peak }), mib(model), ratio,
			withCV(func(r *result.Record) int64 { return r.Memory.PeakResident }),
			mib(med(func(r *result.Record) int64 { return r.Runtime.PeakHeap })),
			withCV(func(r *result.Record) int64 { return r.OS.PeakRSS }), fmt.Sprintf("%d/%d", last.Stored, last.Total), caps, sim, wall}
		if several {
			row = append([]any{g.Scenario}, row...)
		}
		if err := table.Append(row...); err != nil {
			return err
		}
	}
	if err := table.Render(); err != nil {
		return err
	}
	fmt.Fprintln(w, "medians over runs (± coefficient of variation); peak live: exact peak of live tracked client buffers in the upload phase; model: the analytic model's prediction;")
	fmt.Fprintln(w, "client resident: the client's peak resident memory, its buffers' pages as its allocator holds them (the figure -memlimit judges);")
	fmt.Fprintln(w, "harness heap and RSS: this harness process's own Go heap (runtime/metrics, sampled) and VmHWM after a reset at the end of setup")
	return nil
}

// mib formats a byte count in MiB with one decimal, "-" for none.
func mib(b int64) string {
	if b == 0 {
		return "-"
	}
	return runs.FormatMiB(runs.MiB(b))
}
