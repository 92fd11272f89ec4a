package html

import (
	"cmp"
	"fmt"
	"html/template"
	"image/color"
	"slices"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/reports/runs"
)

// axis is what a sweep chart draws its groups against: a label, and each
// group's value on it (ok false for a group that is not on the axis).
type axis struct {
	label string
	x     func(g *group) (float64, bool)
}

// capAxis is the store cap of a fixed or warm-started limiter.
var capAxis = axis{"store cap", func(g *group) (float64, bool) { return runs.LimiterCap(g.Limiter) }}

// sweepChart is chart (d): per strategy the median peak live of the OK runs
// of groups against the axis, and dashed their median client resident
// memory (what the limit judges) where the records have it, OOM-killed
// points marked at the limit, and the memory limit in red.
func sweepChart(title string, groups []*group, ax axis, limit int64, pal *palette) (template.HTML, error) {
	p := newPlot(title, ax.label, "median peak live (MiB)")
	var strategies []string
	xmin, xmax := 0.0, 1.0
	for _, g := range groups {
		if !slices.Contains(strategies, g.Strategy) {
			strategies = append(strategies, g.Strategy)
		}
		if c, ok := ax.x(g); ok {
			xmax = max(xmax, c)
		}
	}
	slices.SortFunc(strategies, runs.CompareStrategies)
	var marks plotter.XYs
	var labels []string
	var cols []color.Color
	resident := false
	for _, st := range strategies {
		var xy plotter.XYs
		for _, g := range groups {
			c, ok := ax.x(g)
			if g.Strategy != st || !ok {
				continue
			}
			if m := runs.StatOf(g.OK, func(r *result.Record) float64 { return runs.MiB(r.Live.Peak) }); m.N > 0 {
				xy = append(xy, plotter.XY{X: c, Y: m.Med})
			} else if r, _ := g.firstOOM(); r != nil {
				y := runs.MiB(limit)
				if y == 0 {
					y = runs.MiB(r.Live.Peak)
				}
				marks = append(marks, plotter.XY{X: c, Y: y})
				labels = append(labels, fmt.Sprintf("%s oom at %d/%d", st, r.Stored, r.Total))
				cols = append(cols, pal.strategy[st])
			}
		}
		if len(xy) == 0 {
			continue
		}
		slices.SortFunc(xy, func(a, b plotter.XY) int { return cmp.Compare(a.X, b.X) })
		l, pts, err := plotter.NewLinePoints(xy)
		if err != nil {
			return "", err
		}
		l.Color, l.Width = pal.strategy[st], vg.Points(1.5)
		pts.Color, pts.Shape = pal.strategy[st], draw.CircleGlyph{}
		p.Add(l, pts)
		p.Legend.Add(st, l, pts)
		// The client's resident memory, which the limit judges, dashed.
		var res plotter.XYs
		for _, g := range groups {
			c, ok := ax.x(g)
			if g.Strategy != st || !ok {
				continue
			}
			if m := runs.StatOf(g.OK, func(r *result.Record) float64 { return runs.MiB(r.Memory.PeakResident) }); m.N > 0 && m.Med > 0 {
				res = append(res, plotter.XY{X: c, Y: m.Med})
			}
		}
		if len(res) > 0 {
			slices.SortFunc(res, func(a, b plotter.XY) int { return cmp.Compare(a.X, b.X) })
			rl, err := plotter.NewLine(res)
			if err != nil {
				return "", err
			}
			rl.Color, rl.Width, rl.Dashes = pal.strategy[st], vg.Points(1.2), dash
			p.Add(rl)
			resident = true
		}
	}
	if resident {
		l, err := hline(0, 1, 0, refColor, true)
		if err != nil {
			return "", err
		}
		p.Legend.Add("client resident (dashed)", l)
		p.Y.Label.Text = "median MiB: peak live, client resident"
	}
	if limit > 0 {
		l, err := hline(xmin, xmax, runs.MiB(limit), limitColor, false)
		if err != nil {
			return "", err
		}
		l.Width = vg.Points(2)
		p.Add(l)
		p.Legend.Add("memory limit "+runs.FormatBytes(limit), l)
	}
	if len(marks) > 0 {
		if err := addMarks(p, marks, labels, cols); err != nil {
			return "", err
		}
	}
	p.Legend.Left = true
	p.Legend.XOffs = vg.Points(12)
	headroom(p)
	return render(smallW*1.2, smallH*1.2, p)
}
