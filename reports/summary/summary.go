package summary

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/fanbench/fanbench/harness/result"
)

// Options controls the summary.
type Options struct {
	// Title heads the summary; "fanbench summary" when empty.
	Title string
	// Comparison is already rendered text (e.g. `fanbench compare`
	// against a baseline), included verbatim in a <details> block; none
	// when empty.
	Comparison string
}

// knownStrategies is the README's order; others follow by name.
var knownStrategies = []string{"copy-per-peer", "shared-buffer", "encode-once", "streamed"}

type group struct {
	scenario, strategy, limiter string
	runs, ok                    []*result.Record
}

// Write renders recs as Markdown to w. Records may come in any order; nil
// records are skipped. It returns the first error from w.
func Write(w io.Writer, recs []*result.Record, opts Options) error {
	if opts.Title == "" {
		opts.Title = "fanbench summary"
	}
	bw := bufio.NewWriter(w)
	groups := groupRecords(recs)
	fmt.Fprintf(bw, "### %s\n\n", oneLine(opts.Title))
	var scens []string
	for _, g := range groups {
		if !slices.Contains(scens, g.scenario) {
			scens = append(scens, g.scenario)
		}
	}
	for _, s := range scens {
		fmt.Fprintf(bw, "- %s\n", verdict(s, groups))
	}
	if len(scens) > 0 {
		bw.WriteString("\n| scenario | strategy | limiter | ok runs | statuses | peak live | min–max | model | live/model | peak heap | peak RSS |\n")
		bw.WriteString("|---|---|---|--:|---|--:|--:|--:|--:|--:|--:|\n")
		for _, g := range groups {
			live := stat(g.ok, func(r *result.Record) float64 { return mib(r.Live.Peak) })
			model, ratio := "—", "—"
			var modelled []*result.Record
			for _, r := range g.ok {
				if r.ModelPeak > 0 {
					modelled = append(modelled, r)
				}
			}
			if len(modelled) > 0 {
				model = fmtMiB(stat(modelled, func(r *result.Record) float64 { return mib(r.ModelPeak) }).med)
				ratio = fmt.Sprintf("%.3f", stat(modelled, func(r *result.Record) float64 {
					return float64(r.Live.Peak) / float64(r.ModelPeak)
				}).med)
			}
			fig := func(f func(*result.Record) int64) string {
				st := stat(g.ok, func(r *result.Record) float64 { return mib(f(r)) })
				if st.n == 0 {
					return "—"
				}
				return fmtMiB(st.med)
			}
			rng := "—"
			if live.n > 0 {
				rng = fmt.Sprintf("%.1f–%.1f", live.min, live.max)
			}
			fmt.Fprintf(bw, "| %s | %s | %s | %d of %d | %s | %s | %s | %s | %s | %s | %s |\n",
				cell(g.scenario), cell(g.strategy), cell(g.limiter), len(g.ok), len(g.runs), statuses(g.runs),
				fig(func(r *result.Record) int64 { return r.Live.Peak }), rng, model, ratio,
				fig(func(r *result.Record) int64 { return r.Runtime.PeakHeap }),
				fig(func(r *result.Record) int64 { return r.OS.PeakRSS }))
		}
	} else {
		bw.WriteString("No measured runs.\n")
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
func verdict(scen string, groups []*group) string {
	type peak struct {
		strategy, limiter string
		mib               float64
	}
	var peaks []peak
	var strategies, oom, failed []string
	var limit int64
	limiters := map[string]bool{}
	for _, g := range groups {
		if g.scenario != scen {
			continue
		}
		limiters[g.limiter] = true
		if !slices.Contains(strategies, g.strategy) {
			strategies = append(strategies, g.strategy)
		}
		for _, r := range g.runs {
			limit = max(limit, r.Env.MemoryLimit)
			switch r.Status {
			case result.OK:
			case result.OOM:
				if !slices.Contains(oom, g.strategy) {
					oom = append(oom, g.strategy)
				}
			default:
				if !slices.Contains(failed, g.strategy) {
					failed = append(failed, g.strategy)
				}
			}
		}
		st := stat(g.ok, func(r *result.Record) float64 { return mib(r.Live.Peak) })
		if st.n == 0 {
			continue
		}
		i := slices.IndexFunc(peaks, func(p peak) bool { return p.strategy == g.strategy })
		if i < 0 {
			peaks = append(peaks, peak{g.strategy, g.limiter, st.med})
		} else if st.med > peaks[i].mib {
			peaks[i] = peak{g.strategy, g.limiter, st.med}
		}
	}
	var parts []string
	if len(peaks) > 0 {
		hi := slices.MaxFunc(peaks, func(a, b peak) int { return cmp.Compare(a.mib, b.mib) })
		lo := slices.MinFunc(peaks, func(a, b peak) int { return cmp.Compare(a.mib, b.mib) })
		s := fmt.Sprintf("%s peaks at %s", hi.strategy, fmtMiB(hi.mib))
		if len(limiters) > 1 {
			s += " (" + hi.limiter + ")"
		}
		if lo.strategy != hi.strategy && lo.mib > 0 {
			lim := ""
			if len(limiters) > 1 {
				lim = ", " + lo.limiter
			}
			s += fmt.Sprintf(", %.1f× %s (%s%s)", hi.mib/lo.mib, lo.strategy, fmtMiB(lo.mib), lim)
		}
		parts = append(parts, s)
	} else {
		parts = append(parts, "no run finished")
	}
	at := ""
	if limit > 0 {
		at = " at " + fmtBytes(limit)
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

// groupRecords groups the measured records by scenario, then limiter, then
// strategy (known strategies first).
func groupRecords(recs []*result.Record) []*group {
	byKey := map[[3]string]*group{}
	var out []*group
	for _, r := range recs {
		if r == nil || r.Profile {
			continue
		}
		k := [3]string{r.Scenario, r.Strategy, r.Limiter}
		g := byKey[k]
		if g == nil {
			g = &group{scenario: r.Scenario, strategy: r.Strategy, limiter: r.Limiter}
			byKey[k] = g
			out = append(out, g)
		}
		g.runs = append(g.runs, r)
		if r.Status == result.OK {
			g.ok = append(g.ok, r)
		}
	}
	slices.SortFunc(out, func(a, b *group) int {
		return cmp.Or(strings.Compare(a.scenario, b.scenario), compareLimiters(a.limiter, b.limiter),
			compareStrategies(a.strategy, b.strategy))
	})
	return out
}

func compareStrategies(a, b string) int {
	rank := func(s string) int {
		if i := slices.Index(knownStrategies, s); i >= 0 {
			return i
		}
		return len(knownStrategies)
	}
	return cmp.Or(cmp.Compare(rank(a), rank(b)), strings.Compare(a, b))
}

// compareLimiters orders limiters without a numeric cap by name, then by
// cap ("fixed:8" before "fixed:16").
func compareLimiters(a, b string) int {
	capOf := func(l string) (float64, bool) {
		if i := strings.LastIndexByte(l, ':'); i >= 0 {
			l = l[i+1:]
		}
		v, err := strconv.ParseFloat(l, 64)
		return v, err == nil
	}
	ca, oka := capOf(a)
	cb, okb := capOf(b)
	switch {
	case oka && okb:
		return cmp.Or(cmp.Compare(ca, cb), strings.Compare(a, b))
	case oka:
		return 1
	case okb:
		return -1
	}
	return strings.Compare(a, b)
}

type summaryStat struct {
	n             int
	med, min, max float64
}

// stat returns the median, min and max of f over runs.
func stat(runs []*result.Record, f func(*result.Record) float64) summaryStat {
	if len(runs) == 0 {
		return summaryStat{}
	}
	v := make([]float64, len(runs))
	for i, r := range runs {
		v[i] = f(r)
	}
	slices.Sort(v)
	m := v[len(v)/2]
	if len(v)%2 == 0 {
		m = (v[len(v)/2-1] + m) / 2
	}
	return summaryStat{len(v), m, v[0], v[len(v)-1]}
}

// statuses summarises the runs' statuses, e.g. "2 ok, 1 oom".
func statuses(runs []*result.Record) string {
	order := []result.Status{result.OK, result.OOM, result.Failed, result.Timeout, result.Crash}
	n := map[result.Status]int{}
	for _, r := range runs {
		if !slices.Contains(order, r.Status) {
			order = append(order, r.Status)
		}
		n[r.Status]++
	}
	var parts []string
	for _, s := range order {
		if n[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[s], cell(string(s))))
		}
	}
	return strings.Join(parts, ", ")
}

// mib converts bytes to MiB (2^20 bytes).
func mib(b int64) float64 { return float64(b) / (1 << 20) }

func fmtMiB(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + " MiB" }

// fmtBytes formats bytes as whole GiB when exact, else MiB.
func fmtBytes(b int64) string {
	if b > 0 && b%(1<<30) == 0 {
		return strconv.FormatInt(b>>30, 10) + " GiB"
	}
	return fmtMiB(mib(b))
}

// cell makes a name safe inside a Markdown table cell and on one line.
func cell(s string) string {
	s = oneLine(s)
	r := strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`, "`", "\\`")
	return r.Replace(s)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
