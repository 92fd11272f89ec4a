// Package runs groups run records by case and computes the statistics the
// reports show.
package runs

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/fanbench/fanbench/harness/limiter"
	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/upload/strategy"
)

// Group is the measured runs of one case: a (scenario, strategy, limiter).
type Group struct {
	Scenario, Strategy, Limiter string
	Runs                        []*result.Record // measured (non-Profile) runs, by Rep
	OK                          []*result.Record // the OK runs of Runs, by Rep
}

// Groups groups the measured records by case, sorted by scenario, then
// limiter (CompareLimiters), then strategy (CompareStrategies). Profile runs,
// cancelled runs (an interrupted batch's run in flight, which measured
// nothing) and nil records are left out.
func Groups(recs []*result.Record) []*Group {
	byKey := map[[3]string]*Group{}
	var out []*Group
	for _, r := range recs {
		if r == nil || r.Profile || r.Status == result.Cancelled {
			continue
		}
		k := [3]string{r.Scenario, r.Strategy, r.Limiter}
		g := byKey[k]
		if g == nil {
			g = &Group{Scenario: r.Scenario, Strategy: r.Strategy, Limiter: r.Limiter}
			byKey[k] = g
			out = append(out, g)
		}
		g.Runs = append(g.Runs, r)
	}
	slices.SortFunc(out, func(a, b *Group) int {
		return cmp.Or(strings.Compare(a.Scenario, b.Scenario), CompareLimiters(a.Limiter, b.Limiter),
			CompareStrategies(a.Strategy, b.Strategy))
	})
	for _, g := range out {
		slices.SortStableFunc(g.Runs, func(a, b *result.Record) int { return cmp.Compare(a.Rep, b.Rep) })
		for _, r := range g.Runs {
			if r.Status == result.OK {
				g.OK = append(g.OK, r)
			}
		}
	}
	return out
}

// CompareStrategies orders strategies: the registered ones first, in the
// registry's order (package strategy: copy-per-peer, before PR #82, first),
// then the others by name. Every legend and table lists them so.
func CompareStrategies(a, b string) int {
	rank := func(s string) int {
		if i, ok := strategy.Index(s); ok {
			return i
		}
		return math.MaxInt
	}
	return cmp.Or(cmp.Compare(rank(a), rank(b)), strings.Compare(a, b))
}

// LimiterCap returns the cap of a limiter named with one (limiter.Parse:
// "fixed:16", "warm:64"), or a bare number as an older record names it; a
// byte budget ("budget:64MiB@fixed:64") and aimd have no cap of their own.
func LimiterCap(l string) (float64, bool) {
	if n, err := limiter.Parse(l); err == nil {
		return float64(n.Cap), n.Cap > 0 && n.Kind != "budget"
	}
	v, err := strconv.ParseFloat(l, 64)
	return v, err == nil
}

// CompareLimiters orders limiters without a numeric cap by name, then those
// with one by cap ("fixed:8" before "fixed:16").
func CompareLimiters(a, b string) int {
	ca, oka := LimiterCap(a)
	cb, okb := LimiterCap(b)
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

// Stat is the median and range of one figure over some runs.
type Stat struct {
	N             int // how many runs; 0 when there were none
	Med, Min, Max float64
	// CV is the coefficient of variation (sample standard deviation over
	// the mean), in percent; 0 with fewer than two runs.
	CV float64
}

// StatOf returns the median, min, max and coefficient of variation of f
// over runs; the median of an even count is the mean of the middle two.
func StatOf(runs []*result.Record, f func(*result.Record) float64) Stat {
	if len(runs) == 0 {
		return Stat{}
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
	st := Stat{N: len(v), Med: m, Min: v[0], Max: v[len(v)-1]}
	if len(v) > 1 {
		var sum, sq float64
		for _, x := range v {
			sum += x
		}
		mean := sum / float64(len(v))
		for _, x := range v {
			sq += (x - mean) * (x - mean)
		}
		if mean != 0 {
			st.CV = 100 * math.Sqrt(sq/float64(len(v)-1)) / mean
		}
	}
	return st
}

// Statuses summarises the runs' statuses, e.g. "2 ok, 1 oom", in a fixed
// order: ok, oom, error, timeout, crash, then others as they come.
func Statuses(runs []*result.Record) string {
	return StatusesFunc(runs, func(s result.Status) string { return string(s) })
}

// StatusesFunc is Statuses with each status written as name(status).
func StatusesFunc(runs []*result.Record, name func(result.Status) string) string {
	order := []result.Status{result.OK, result.OOM, result.Failed, result.Timeout, result.Crash, result.Cancelled}
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
			parts = append(parts, fmt.Sprintf("%d %s", n[s], name(s)))
		}
	}
	return strings.Join(parts, ", ")
}

// MiB converts bytes to MiB (2^20 bytes).
func MiB(b int64) float64 { return float64(b) / (1 << 20) }

// FormatMiB formats a MiB figure with one decimal, e.g. "21.3 MiB".
func FormatMiB(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + " MiB" }

// FormatBytes formats a byte count as whole GiB when it is one, else as MiB
// with one decimal.
func FormatBytes(b int64) string {
	if b > 0 && b%(1<<30) == 0 {
		return strconv.FormatInt(b>>30, 10) + " GiB"
	}
	return FormatMiB(MiB(b))
}
