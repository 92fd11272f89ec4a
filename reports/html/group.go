package html

import (
	"fmt"
	"slices"
	"strings"

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

// sweeps reports whether two or more of the scenario's groups have
// different values on the axis.
func (s *scenario) sweeps(ax axis) bool {
	return len(axisValues(s.groups, ax)) >= 2
}

// axisValues returns the distinct values of groups on the axis.
func axisValues(groups []*group, ax axis) []float64 {
	var xs []float64
	for _, g := range groups {
		if x, ok := ax.x(g); ok && !slices.Contains(xs, x) {
			xs = append(xs, x)
		}
	}
	return xs
}

// sizeSweep is a sweep over upload sizes: the scenarios that one scenario
// file expanded, one per size (named "<base>-size-<bytes>", as
// scenarios.SizeVariantName names them), under one limiter.
type sizeSweep struct {
	base, limiter string
	groups        []*group
	limit         int64
}

// sizeAxis is a group's upload size, in MiB.
var sizeAxis = axis{"upload size (MiB)", func(g *group) (float64, bool) { return runs.MiB(g.Runs[0].Size), g.Runs[0].Size > 0 }}

// sizeSweeps finds the size sweeps among the scenarios: the scenarios whose
// name is "<base>-size-<their records' size>", by base and limiter, where
// there are two sizes or more.
func sizeSweeps(scens []*scenario) []*sizeSweep {
	var out []*sizeSweep
	find := func(base, limiter string) *sizeSweep {
		for _, s := range out {
			if s.base == base && s.limiter == limiter {
				return s
			}
		}
		s := &sizeSweep{base: base, limiter: limiter}
		out = append(out, s)
		return s
	}
	for _, sc := range scens {
		for _, g := range sc.groups {
			size := g.Runs[0].Size
			base, ok := strings.CutSuffix(sc.name, fmt.Sprintf("-size-%d", size))
			if !ok {
				continue
			}
			sw := find(base, g.Limiter)
			sw.groups = append(sw.groups, g)
			sw.limit = max(sw.limit, sc.limit)
		}
	}
	return slices.DeleteFunc(out, func(s *sizeSweep) bool { return len(axisValues(s.groups, sizeAxis)) < 2 })
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
