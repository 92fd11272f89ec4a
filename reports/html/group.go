package html

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/fanbench/fanbench/harness/result"
)

// knownStrategies is the README's order of the buffer strategies; they
// come first in every legend and table, others follow by name.
var knownStrategies = []string{"copy-per-peer", "shared-buffer", "encode-once", "streamed"}

// group is the measured runs of one (scenario, strategy, limiter).
type group struct {
	scenario, strategy, limiter string
	runs                        []*result.Record // measured (non-Profile) runs, by Rep
	drawn                       *result.Record   // first OK run, else first OOM run, else nil
}

// ok returns the group's OK runs.
func (g *group) ok() []*result.Record {
	var out []*result.Record
	for _, r := range g.runs {
		if r.Status == result.OK {
			out = append(out, r)
		}
	}
	return out
}

// firstOOM returns the group's first OOM-killed run and how many there were.
func (g *group) firstOOM() (*result.Record, int) {
	var first *result.Record
	n := 0
	for _, r := range g.runs {
		if r.Status == result.OOM {
			if first == nil {
				first = r
			}
			n++
		}
	}
	return first, n
}

// scenario is one scenario's groups, by limiter then strategy.
type scenario struct {
	name     string
	limiters []string
	groups   []*group
	limit    int64 // the highest Env.MemoryLimit of its runs, bytes; 0 none
}

// byLimiter returns the scenario's groups with limiter l, in strategy order.
func (s *scenario) byLimiter(l string) []*group {
	var out []*group
	for _, g := range s.groups {
		if g.limiter == l {
			out = append(out, g)
		}
	}
	return out
}

// sweep reports whether the scenario compares two or more limiters with a
// numeric cap.
func (s *scenario) sweep() bool {
	n := 0
	for _, l := range s.limiters {
		if _, ok := limiterCap(l); ok {
			n++
		}
	}
	return n >= 2
}

// limiterCap returns the number after the last ':' of a limiter such as
// "fixed:16", or of a bare number.
func limiterCap(l string) (float64, bool) {
	if i := strings.LastIndexByte(l, ':'); i >= 0 {
		l = l[i+1:]
	}
	v, err := strconv.ParseFloat(l, 64)
	return v, err == nil
}

// compareLimiters orders limiters without a cap by name, then by cap.
func compareLimiters(a, b string) int {
	ca, oka := limiterCap(a)
	cb, okb := limiterCap(b)
	switch {
	case oka && okb:
		return cmp.Or(cmp.Compare(ca, cb), strings.Compare(a, b))
	case oka != okb:
		if oka {
			return 1
		}
		return -1
	}
	return strings.Compare(a, b)
}

// strategyRank orders strategies: the known ones first.
func compareStrategies(a, b string) int {
	ia, ib := slices.Index(knownStrategies, a), slices.Index(knownStrategies, b)
	if ia < 0 {
		ia = len(knownStrategies)
	}
	if ib < 0 {
		ib = len(knownStrategies)
	}
	return cmp.Or(cmp.Compare(ia, ib), strings.Compare(a, b))
}

// groupRecords sorts recs into scenarios (by name) of groups (by limiter,
// then strategy). Profile runs are left out; nil records are skipped.
func groupRecords(recs []*result.Record) []*scenario {
	byKey := map[[3]string]*group{}
	scens := map[string]*scenario{}
	for _, r := range recs {
		if r == nil || r.Profile {
			continue
		}
		s := scens[r.Scenario]
		if s == nil {
			s = &scenario{name: r.Scenario}
			scens[r.Scenario] = s
		}
		s.limit = max(s.limit, r.Env.MemoryLimit)
		k := [3]string{r.Scenario, r.Strategy, r.Limiter}
		g := byKey[k]
		if g == nil {
			g = &group{scenario: r.Scenario, strategy: r.Strategy, limiter: r.Limiter}
			byKey[k] = g
			s.groups = append(s.groups, g)
			if !slices.Contains(s.limiters, r.Limiter) {
				s.limiters = append(s.limiters, r.Limiter)
			}
		}
		g.runs = append(g.runs, r)
	}
	var out []*scenario
	for _, s := range scens {
		slices.SortFunc(s.limiters, compareLimiters)
		slices.SortFunc(s.groups, func(a, b *group) int {
			return cmp.Or(compareLimiters(a.limiter, b.limiter), compareStrategies(a.strategy, b.strategy))
		})
		for _, g := range s.groups {
			slices.SortStableFunc(g.runs, func(a, b *result.Record) int { return cmp.Compare(a.Rep, b.Rep) })
			if ok := g.ok(); len(ok) > 0 {
				g.drawn = ok[0]
			} else {
				g.drawn, _ = g.firstOOM()
			}
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b *scenario) int { return strings.Compare(a.name, b.name) })
	return out
}

// stat is the median and range of one figure over a group's OK runs.
type stat struct {
	n             int
	med, min, max float64
}

// statOf returns the median, min and max of f over runs; n is 0 when runs
// is empty.
func statOf(runs []*result.Record, f func(*result.Record) float64) stat {
	if len(runs) == 0 {
		return stat{}
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
	return stat{n: len(v), med: m, min: v[0], max: v[len(v)-1]}
}

// mib converts bytes to MiB (2^20 bytes).
func mib(b int64) float64 { return float64(b) / (1 << 20) }

// fmtMiB formats a MiB figure with one decimal.
func fmtMiB(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + " MiB" }

// fmtBytes formats a byte count as whole GiB when it is one, else MiB.
func fmtBytes(b int64) string {
	if b > 0 && b%(1<<30) == 0 {
		return strconv.FormatInt(b>>30, 10) + " GiB"
	}
	return fmtMiB(mib(b))
}

// statuses summarises the runs' statuses, e.g. "2 ok, 1 oom", in a fixed
// order.
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
			parts = append(parts, fmt.Sprintf("%d %s", n[s], s))
		}
	}
	return strings.Join(parts, ", ")
}
