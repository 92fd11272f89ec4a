package summary

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/reports/runs"
)

// Options controls the summary.
type Options struct {
	// Title heads the summary; "fanbench summary" when empty.
	Title string
	// Comparison is already rendered text (e.g. `fanbench compare`
	// against a baseline), included verbatim in a <details> block; none
	// when empty.
	Comparison string
	// Breaches are the broken budgets, one line each as fanbench run prints
	// them; with Budgets set, an empty list is reported as all budgets met.
	Breaches []string
	// Budgets says the scenarios had budgets to check.
	Budgets bool
}

// Write renders recs as Markdown to w. Records may come in any order; nil
// records are skipped. It returns the first error from w.
func Write(w io.Writer, recs []*result.Record, opts Options) error {
	if opts.Title == "" {
		opts.Title = "fanbench summary"
	}
	bw := bufio.NewWriter(w)
	groups := runs.Groups(recs)
	fmt.Fprintf(bw, "### %s\n\n", oneLine(opts.Title))
	var scens []string
	for _, g := range groups {
		if !slices.Contains(scens, g.Scenario) {
			scens = append(scens, g.Scenario)
		}
	}
	for _, s := range scens {
		fmt.Fprintf(bw, "- %s\n", verdict(s, groups))
	}
	if len(scens) > 0 {
		bw.WriteString("\n| scenario | strategy | limiter | ok runs | statuses | peak live | min–max | model | live/model | peak heap | peak RSS |\n")
		bw.WriteString("|---|---|---|--:|---|--:|--:|--:|--:|--:|--:|\n")
		for _, g := range groups {
			live := runs.StatOf(g.OK, func(r *result.Record) float64 { return runs.MiB(r.Live.Peak) })
			model, ratio := "—", "—"
			var modelled []*result.Record
			for _, r := range g.OK {
				if r.ModelPeak > 0 {
					modelled = append(modelled, r)
				}
			}
			if len(modelled) > 0 {
				model = runs.FormatMiB(runs.StatOf(modelled, func(r *result.Record) float64 { return runs.MiB(r.ModelPeak) }).Med)
				ratio = fmt.Sprintf("%.3f", runs.StatOf(modelled, func(r *result.Record) float64 {
					return float64(r.Live.Peak) / float64(r.ModelPeak)
				}).Med)
			}
			fig := func(f func(*result.Record) int64) string {
				st := runs.StatOf(g.OK, func(r *result.Record) float64 { return runs.MiB(f(r)) })
				if st.N == 0 {
					return "—"
				}
				return runs.FormatMiB(st.Med)
			}
			rng := "—"
			if live.N > 0 {
				rng = fmt.Sprintf("%.1f–%.1f", live.Min, live.Max)
			}
			fmt.Fprintf(bw, "| %s | %s | %s | %d of %d | %s | %s | %s | %s | %s | %s | %s |\n",
				cell(g.Scenario), cell(g.Strategy), cell(g.Limiter), len(g.OK), len(g.Runs), statuses(g.Runs),
				fig(func(r *result.Record) int64 { return r.Live.Peak }), rng, model, ratio,
				fig(func(r *result.Record) int64 { return r.Runtime.PeakHeap }),
				fig(func(r *result.Record) int64 { return r.OS.PeakRSS }))
		}
	} else {
		bw.WriteString("No measured runs.\n")
	}
	switch {
	case len(opts.Breaches) > 0:
		fmt.Fprintf(bw, "\n**%d budget(s) broken:**\n\n", len(opts.Breaches))
		for _, b := range opts.Breaches {
			fmt.Fprintf(bw, "- %s\n", cell(b))
		}
	case opts.Budgets:
		bw.WriteString("\nEvery budget met.\n")
	}
	if c := strings.TrimRight(opts.Comparison, "\n"); c != "" {
		fence := "```"
		for strings.Contains(c, fence) {
			fence += "`"
		}
		fmt.Fprintf(bw, "\n<details><summary>Against the baseline</summary>\n\n%s\n%s\n%s\n\n</details>\n", fence, c, fence)
	}
	return bw.Flush()
}

// verdict is one scenario's line, e.g. "**seed-20mb**: copy-per-peer peaks
// at 460.4 MiB, 21.6× streamed (21.3 MiB); 3 of 4 strategies OOM at 4 GiB."
// A strategy's peak is its highest median over the scenario's limiters.
func verdict(scen string, groups []*runs.Group) string {
	type peak struct {
		strategy, limiter string
		mib               float64
	}
	var peaks []peak
	var strategies, oom, failed []string
	var limit int64
	limiters := map[string]bool{}
	for _, g := range groups {
		if g.Scenario != scen {
			continue
		}
		limiters[g.Limiter] = true
		if !slices.Contains(strategies, g.Strategy) {
			strategies = append(strategies, g.Strategy)
		}
		for _, r := range g.Runs {
			limit = max(limit, r.Env.MemoryLimit)
			switch r.Status {
			case result.OK:
			case result.OOM:
				if !slices.Contains(oom, g.Strategy) {
					oom = append(oom, g.Strategy)
				}
			default:
				if !slices.Contains(failed, g.Strategy) {
					failed = append(failed, g.Strategy)
				}
			}
		}
		st := runs.StatOf(g.OK, func(r *result.Record) float64 { return runs.MiB(r.Live.Peak) })
		if st.N == 0 {
			continue
		}
		i := slices.IndexFunc(peaks, func(p peak) bool { return p.strategy == g.Strategy })
		if i < 0 {
			peaks = append(peaks, peak{g.Strategy, g.Limiter, st.Med})
		} else if st.Med > peaks[i].mib {
			peaks[i] = peak{g.Strategy, g.Limiter, st.Med}
		}
	}
	var parts []string
	if len(peaks) > 0 {
		hi := slices.MaxFunc(peaks, func(a, b peak) int { return cmp.Compare(a.mib, b.mib) })
		lo := slices.MinFunc(peaks, func(a, b peak) int { return cmp.Compare(a.mib, b.mib) })
		s := fmt.Sprintf("%s peaks at %s", hi.strategy, runs.FormatMiB(hi.mib))
		if len(limiters) > 1 {
			s += " (" + hi.limiter + ")"
		}
		if lo.strategy != hi.strategy && lo.mib > 0 {
			lim := ""
			if len(limiters) > 1 {
				lim = ", " + lo.limiter
			}
			s += fmt.Sprintf(", %.1f× %s (%s%s)", hi.mib/lo.mib, lo.strategy, runs.FormatMiB(lo.mib), lim)
		}
		parts = append(parts, s)
	} else {
		parts = append(parts, "no run finished")
	}
	at := ""
	if limit > 0 {
		at = " at " + runs.FormatBytes(limit)
	}
	switch {
	case len(oom) > 0:
		parts = append(parts, fmt.Sprintf("%d of %d strategies OOM%s (%s)", len(oom), len(strategies), at, strings.Join(oom, ", ")))
	case limit > 0:
		parts = append(parts, "none OOM"+at)
	}
	if len(failed) > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d strategies had failed runs (%s)", len(failed), len(strategies), strings.Join(failed, ", ")))
	}
	return fmt.Sprintf("**%s**: %s.", cell(scen), strings.Join(parts, "; "))
}

// statuses summarises the runs' statuses, e.g. "2 ok, 1 oom", each status
// made safe for a table cell.
func statuses(rs []*result.Record) string {
	return runs.StatusesFunc(rs, func(s result.Status) string { return cell(string(s)) })
}

// cell makes a name safe inside a Markdown table cell and on one line.
func cell(s string) string {
	s = oneLine(s)
	r := strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`, "`", "\\`")
	return r.Replace(s)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
