package html

import (
	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/reports/runs"
)

// group is the measured runs of one (scenario, strategy, limiter).
type group struct {
	*runs.Group
	drawn *result.Record // first OK run, else first OOM run, else nil
}

// firstOOM returns the group's first OOM-killed run and how many there were.
func (g *group) firstOOM() (*result.Record, int) {
	var first *result.Record
	n := 0
	for _, r := range g.Runs {
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
		if g.Limiter == l {
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
		if _, ok := runs.LimiterCap(l); ok {
			n++
		}
	}
	return n >= 2
}

// groupRecords sorts recs into scenarios (by name) of groups (by limiter,
// then strategy). Profile runs are left out; nil records are skipped.
func groupRecords(recs []*result.Record) []*scenario {
	var out []*scenario
	for _, rg := range runs.Groups(recs) {
		if len(out) == 0 || out[len(out)-1].name != rg.Scenario {
			out = append(out, &scenario{name: rg.Scenario})
		}
		s := out[len(out)-1]
		for _, r := range rg.Runs {
			s.limit = max(s.limit, r.Env.MemoryLimit)
		}
		if n := len(s.limiters); n == 0 || s.limiters[n-1] != rg.Limiter {
			s.limiters = append(s.limiters, rg.Limiter)
		}
		g := &group{Group: rg}
		if len(rg.OK) > 0 {
			g.drawn = rg.OK[0]
		} else {
			g.drawn, _ = g.firstOOM()
		}
		s.groups = append(s.groups, g)
	}
	return out
}
