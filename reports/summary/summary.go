package summary

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/upload/strategy"
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
	// Batch is the batch the records belong to: its ID and commit head the
	// summary; an interruption, a batch read from runs/ only, unexpected
	// runs, broken budgets and notes are reported; Baselines choose each
	// scenario's baseline strategy.
	Batch result.Batch
	// Base are the base commit's records when the summary is a
	// comparison's (fanbench compare -base): the largest change of a site's
	// live bytes at the peak between base and head is named.
	Base []*result.Record
}

// The PR #82 pair: the strategy before the fix, the default baseline, and
// the fix itself, which the headline names first.
var (
	beforeFix = strategy.CopyPerPeer.String()
	theFix    = strategy.SharedBuffer.String()
)

// Write renders recs as Markdown to w. Records may come in any order; nil
// records are skipped. It returns the first error from w.
func Write(w io.Writer, recs []*result.Record, opts Options) error {
	if opts.Title == "" {
		opts.Title = "fanbench summary"
	}
	b := &opts.Batch
	bw := bufio.NewWriter(w)
	groups := runs.Groups(recs)
	fmt.Fprintf(bw, "### %s\n\n", oneLine(opts.Title))
	if b.ID != "" || b.Commit != "" {
		fmt.Fprintf(bw, "Batch `%s`, code `%s`.\n\n", cmp.Or(code(b.ID), "?"), cmp.Or(code(b.Commit), "unknown"))
	}
	if l := b.InterruptedLine(); l != "" {
		fmt.Fprintf(bw, "**%s%s**: the figures below cover the finished runs only.\n\n", strings.ToUpper(l[:1]), l[1:])
	}
	if b.FromRuns {
		fmt.Fprintf(bw, "**The batch did not finish** (it wrote no results.json; killed?): the figures below cover the %d runs it recorded in runs/.\n\n", b.Finished)
	}
	var scens []string
	for _, g := range groups {
		if !slices.Contains(scens, g.Scenario) {
			scens = append(scens, g.Scenario)
		}
	}
	for _, s := range scens {
		fmt.Fprintf(bw, "- %s\n", verdict(s, groups, baseline(s, groups, b.Baselines)))
	}
	if len(scens) > 0 {
		bw.WriteString("\n| scenario | strategy | limiter | ok runs | statuses | peak live | vs baseline | min–max | model | live/model | peak heap | peak RSS |\n")
		bw.WriteString("|---|---|---|--:|---|--:|--:|--:|--:|--:|--:|--:|\n")
		medians := map[[3]string]float64{} // (scenario, strategy, limiter) → median peak live, MiB
		for _, g := range groups {
			if st := runs.StatOf(g.OK, liveMiB); st.N > 0 {
				medians[[3]string{g.Scenario, g.Strategy, g.Limiter}] = st.Med
			}
		}
		for _, g := range groups {
			live := runs.StatOf(g.OK, liveMiB)
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
			base := baseline(g.Scenario, groups, b.Baselines)
			vs := "—"
			if g.Strategy == base {
				vs = "baseline"
			} else if bm, ok := medians[[3]string{g.Scenario, base, g.Limiter}]; ok && live.N > 0 {
				vs = delta(live.Med, bm)
			}
			fmt.Fprintf(bw, "| %s | %s | %s | %d of %d | %s | %s | %s | %s | %s | %s | %s | %s |\n",
				cell(g.Scenario), cell(g.Strategy), cell(g.Limiter), len(g.OK), len(g.Runs), statuses(g.Runs),
				fig(func(r *result.Record) int64 { return r.Live.Peak }), vs, rng, model, ratio,
				fig(func(r *result.Record) int64 { return r.Runtime.PeakHeap }),
				fig(func(r *result.Record) int64 { return r.OS.PeakRSS }))
		}
	} else {
		bw.WriteString("No measured runs.\n")
	}
	if len(b.Unexpected) > 0 {
		fmt.Fprintf(bw, "\n**%d run(s) ended in a way their scenario does not expect:**\n\n", len(b.Unexpected))
		for _, u := range b.Unexpected {
			fmt.Fprintf(bw, "- %s\n", cell(u))
		}
	}
	switch {
	case len(b.Breaches) > 0:
		fmt.Fprintf(bw, "\n**%d budget(s) broken:**\n\n", len(b.Breaches))
		for _, l := range b.Breaches {
			fmt.Fprintf(bw, "- %s\n", cell(l.String()))
		}
	case b.Budgets && b.Interrupted != "":
		bw.WriteString("\nEvery budget met by the finished runs.\n")
	case b.Budgets:
		bw.WriteString("\nEvery budget met.\n")
	}
	if len(b.Notes) > 0 {
		bw.WriteString("\nNotes:\n\n")
		for _, n := range b.Notes {
			fmt.Fprintf(bw, "- %s\n", cell(n))
		}
	}
	if len(opts.Base) > 0 {
		fmt.Fprintf(bw, "\n%s\n", siteChange(opts.Base, recs))
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

func liveMiB(r *result.Record) float64 { return runs.MiB(r.Live.Peak) }

// delta formats v against base as a signed percentage, e.g. "−17.4 %".
func delta(v, base float64) string {
	if base == 0 {
		return "—"
	}
	d := 100 * (v/base - 1)
	sign := "+"
	if d < 0 {
		sign, d = "−", -d
	}
	return fmt.Sprintf("%s%.1f %%", sign, d)
}

// baseline is scenario scen's baseline strategy: the one named in
// baselines when it ran, else copy-per-peer when it ran, else the first
// strategy (in the README's order) that ran.
func baseline(scen string, groups []*runs.Group, baselines map[string]string) string {
	var ran []string
	for _, g := range groups {
		if g.Scenario == scen && !slices.Contains(ran, g.Strategy) {
			ran = append(ran, g.Strategy)
		}
	}
	if b := baselines[scen]; slices.Contains(ran, b) {
		return b
	}
	if slices.Contains(ran, beforeFix) || len(ran) == 0 {
		return beforeFix
	}
	slices.SortStableFunc(ran, runs.CompareStrategies)
	return ran[0]
}

// verdict is one scenario's line: the baseline's peak live and each other
// strategy's against it, the PR #82 fix (shared-buffer) first, at the
// limiter with the highest cap when there are several, e.g.
// "**seed-20mb**: peak live against copy-per-peer's 460.4 MiB:
// shared-buffer (PR #82) 380.3 MiB (−17.4 %), …; 3 of 4 strategies OOM at
// 4 GiB (…), as the scenario expects."
func verdict(scen string, groups []*runs.Group, base string) string {
	var mine []*runs.Group
	var strategies, oom, failed []string
	var limit int64
	var limiters []string
	expected := true // every oom was expected
	for _, g := range groups {
		if g.Scenario != scen {
			continue
		}
		mine = append(mine, g)
		if !slices.Contains(limiters, g.Limiter) {
			limiters = append(limiters, g.Limiter)
		}
		if !slices.Contains(strategies, g.Strategy) {
			strategies = append(strategies, g.Strategy)
		}
		for _, r := range g.Runs {
			limit = max(limit, r.Env.MemoryLimit)
			switch r.Status {
			case result.OK:
			case result.OOM:
				expected = expected && r.Expected == result.OOM
				if !slices.Contains(oom, g.Strategy) {
					oom = append(oom, g.Strategy)
				}
			default:
				if !slices.Contains(failed, g.Strategy) {
					failed = append(failed, g.Strategy)
				}
			}
		}
	}
	// The headline's limiter: the one with the highest cap (limiters are
	// in CompareLimiters order) at which the baseline finished, else the
	// last.
	lim := limiters[len(limiters)-1]
	for _, l := range slices.Backward(limiters) {
		if g := find(mine, base, l); g != nil && len(g.OK) > 0 {
			lim = l
			break
		}
	}
	at := ""
	if len(limiters) > 1 {
		at = " at " + lim
	}
	var parts []string
	bg := find(mine, base, lim)
	others := slices.DeleteFunc(slices.Clone(strategies), func(s string) bool { return s == base })
	slices.SortStableFunc(others, func(a, b string) int {
		// The fix of PR #82 first, then the README's order.
		return cmp.Or(cmp.Compare(rankFix(a), rankFix(b)), runs.CompareStrategies(a, b))
	})
	var baseMed float64
	if bg != nil && len(bg.OK) > 0 {
		baseMed = runs.StatOf(bg.OK, liveMiB).Med
		parts = append(parts, fmt.Sprintf("peak live%s against %s's %s", at, base, runs.FormatMiB(baseMed)))
	} else {
		how := "did not run"
		if bg != nil {
			how = "no run finished (" + runs.Statuses(bg.Runs) + ")"
		}
		parts = append(parts, fmt.Sprintf("peak live%s; %s: %s", at, base, how))
	}
	var vs []string
	for _, s := range others {
		name := s
		if s == theFix && base == beforeFix {
			name += " (PR #82)"
		}
		g := find(mine, s, lim)
		switch {
		case g == nil:
			continue
		case len(g.OK) == 0:
			vs = append(vs, fmt.Sprintf("%s %s", name, runs.Statuses(g.Runs)))
		case baseMed > 0:
			m := runs.StatOf(g.OK, liveMiB).Med
			vs = append(vs, fmt.Sprintf("%s %s (%s)", name, runs.FormatMiB(m), delta(m, baseMed)))
		default:
			vs = append(vs, fmt.Sprintf("%s %s", name, runs.FormatMiB(runs.StatOf(g.OK, liveMiB).Med)))
		}
	}
	head := parts[0]
	if len(vs) > 0 {
		head += ": " + strings.Join(vs, ", ")
	}
	parts = []string{head}
	where := ""
	if limit > 0 {
		where = " at " + runs.FormatBytes(limit)
	}
	switch {
	case len(oom) > 0 && expected:
		parts = append(parts, fmt.Sprintf("%d of %d strategies OOM%s (%s), as the scenario expects", len(oom), len(strategies), where, strings.Join(oom, ", ")))
	case len(oom) > 0:
		parts = append(parts, fmt.Sprintf("%d of %d strategies OOM%s (%s)", len(oom), len(strategies), where, strings.Join(oom, ", ")))
	case limit > 0:
		parts = append(parts, "none OOM"+where)
	}
	if len(failed) > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d strategies had failed runs (%s)", len(failed), len(strategies), strings.Join(failed, ", ")))
	}
	return fmt.Sprintf("**%s**: %s.", cell(scen), strings.Join(parts, "; "))
}

func rankFix(s string) int {
	if s == theFix {
		return 0
	}
	return 1
}

// find returns the group of strategy and limiter among gs, or nil.
func find(gs []*runs.Group, strategy, limiter string) *runs.Group {
	for _, g := range gs {
		if g.Strategy == strategy && g.Limiter == limiter {
			return g
		}
	}
	return nil
}

// code makes s safe inside a Markdown code span.
func code(s string) string { return strings.ReplaceAll(oneLine(s), "`", "'") }

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

// siteChange names the largest change of one site's live bytes at the peak
// between base and head, over the cases both ran: the medians of AtPeak
// over each side's OK measured runs, e.g. "Largest site change against the
// base: encode +160.0 MiB at the peak (seed-20mb/copy-per-peer, aimd:
// 0.0 → 160.0 MiB)."
func siteChange(base, head []*result.Record) string {
	type side map[string]float64 // site → median MiB at the peak
	at := func(recs []*result.Record) map[[3]string]side {
		out := map[[3]string]side{}
		for _, g := range runs.Groups(recs) {
			if len(g.OK) == 0 {
				continue
			}
			sites := side{}
			for _, r := range g.OK {
				for s := range r.Live.AtPeak {
					sites[s] = 0
				}
			}
			for s := range sites {
				sites[s] = runs.StatOf(g.OK, func(r *result.Record) float64 { return runs.MiB(r.Live.AtPeak[s]) }).Med
			}
			out[[3]string{g.Scenario, g.Strategy, g.Limiter}] = sites
		}
		return out
	}
	b, h := at(base), at(head)
	type change struct {
		key      [3]string
		site     string
		from, to float64
	}
	var best *change
	var keys [][3]string
	for k := range h {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y [3]string) int {
		return cmp.Or(strings.Compare(x[0], y[0]), strings.Compare(x[1], y[1]), strings.Compare(x[2], y[2]))
	})
	for _, k := range keys {
		bs, ok := b[k]
		if !ok {
			continue
		}
		var sites []string
		for s := range h[k] {
			sites = append(sites, s)
		}
		for s := range bs {
			if _, ok := h[k][s]; !ok {
				sites = append(sites, s)
			}
		}
		slices.Sort(sites)
		for _, s := range sites {
			c := change{k, s, bs[s], h[k][s]}
			if d := abs(c.to - c.from); best == nil && d > 0 || best != nil && d > abs(best.to-best.from) {
				best = &c
			}
		}
	}
	if best == nil {
		return "No site's live bytes at the peak changed against the base."
	}
	sign := "+"
	if best.to < best.from {
		sign = "−"
	}
	return fmt.Sprintf("Largest site change against the base: **%s %s%s** at the peak (%s/%s, %s: %s → %s).",
		cell(best.site), sign, runs.FormatMiB(abs(best.to-best.from)), cell(best.key[0]), cell(best.key[1]), cell(best.key[2]),
		runs.FormatMiB(best.from), runs.FormatMiB(best.to))
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}
