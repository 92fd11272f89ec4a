package html

import (
	"fmt"
	"html/template"
	"image/color"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/fanbench/fanbench/reports/runs"
)

// liveChart is chart (a): the live tracked bytes of each group's drawn run
// over simulated seconds, its model peak dashed, the memory limit in red and
// OOM kills marked. It returns "" when no group has anything to draw.
func liveChart(s *scenario, limiter string, pal *palette) (template.HTML, error) {
	groups := s.byLimiter(limiter)
	p := newPlot(fmt.Sprintf("%s, limiter %s: live tracked bytes", s.name, limiter),
		"simulated time (s)", "live (MiB)")
	xmax, drew := 0.0, false
	for _, g := range groups {
		if g.drawn != nil {
			xmax = max(xmax, lastX(series(g.drawn.Live.Timeline, 1e9)))
		}
	}
	if xmax == 0 {
		xmax = 1
	}
	anyModel := false
	var marks plotter.XYs
	var labels []string
	var markColors []color.Color
	for _, g := range groups {
		col := pal.strategy[g.Strategy]
		if r := g.drawn; r != nil && len(r.Live.Timeline) > 0 {
			l, err := plotter.NewLine(series(r.Live.Timeline, 1e9))
			if err != nil {
				return "", err
			}
			l.Color, l.Width = col, vg.Points(1.5)
			p.Add(l)
			p.Legend.Add(g.Strategy, l)
			drew = true
		}
		if r := g.drawn; r != nil && r.ModelPeak > 0 {
			l, err := hline(0, xmax, runs.MiB(r.ModelPeak), col, true)
			if err != nil {
				return "", err
			}
			p.Add(l)
			anyModel, drew = true, true
		}
		if r, n := g.firstOOM(); r != nil {
			y := runs.MiB(r.Live.Peak)
			if y == 0 {
				y = runs.MiB(s.limit)
			}
			text := fmt.Sprintf("%s: oom at %d/%d", g.Strategy, r.Stored, r.Total)
			if n < len(g.Runs) {
				text += fmt.Sprintf(" (%d of %d runs)", n, len(g.Runs))
			}
			marks = append(marks, plotter.XY{X: lastX(series(r.Live.Timeline, 1e9)), Y: y})
			labels = append(labels, text)
			markColors = append(markColors, col)
			if g.drawn == r && len(r.Live.Timeline) == 0 {
				// Nothing else of this strategy is drawn: give it a legend entry.
				sc, err := plotter.NewScatter(plotter.XYs{marks[len(marks)-1]})
				if err != nil {
					return "", err
				}
				sc.Color, sc.Shape = col, draw.CrossGlyph{}
				p.Legend.Add(g.Strategy+" (oom)", sc)
			}
		}
	}
	if anyModel {
		l, err := hline(0, 1, 0, refColor, true)
		if err != nil {
			return "", err
		}
		p.Legend.Add("model peak (dashed)", l)
	}
	if s.limit > 0 {
		l, err := hline(0, xmax, runs.MiB(s.limit), limitColor, false)
		if err != nil {
			return "", err
		}
		l.Width = vg.Points(2)
		p.Add(l)
		p.Legend.Add("memory limit "+runs.FormatBytes(s.limit), l)
		drew = true
	}
	if len(marks) > 0 {
		if err := addMarks(p, marks, labels, markColors); err != nil {
			return "", err
		}
		drew = true
	}
	if !drew {
		return "", nil
	}
	headroom(p)
	return render(wideW, wideH, p)
}

// addMarks draws an OOM cross and its label at each point, the labels
// kept apart (markLabels).
func addMarks(p *plot.Plot, xy plotter.XYs, labels []string, cols []color.Color) error {
	sc, err := plotter.NewScatter(xy)
	if err != nil {
		return err
	}
	sc.GlyphStyleFunc = func(i int) draw.GlyphStyle {
		return draw.GlyphStyle{Color: cols[i], Radius: vg.Points(5), Shape: draw.CrossGlyph{}}
	}
	lb, err := plotter.NewLabels(plotter.XYLabels{XYs: xy, Labels: labels})
	if err != nil {
		return err
	}
	style := lb.TextStyle[0]
	style.Color = limitColor
	p.Add(sc, &markLabels{XYs: lb.XYs, Labels: labels, Style: style, Offset: vg.Point{X: vg.Points(7), Y: vg.Points(-3)}})
	return nil
}

// markLabels draws a label beside each mark, as plotter.Labels does, but
// moves a label that would overlap one drawn before it down below that one:
// strategies OOM-killed at the same moment (vm4g's first wave) have their
// marks at one point, and their labels were drawn on top of each other.
type markLabels struct {
	XYs    plotter.XYs
	Labels []string
	Style  text.Style
	Offset vg.Point
}

// Plot implements plot.Plotter.
func (l *markLabels) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for i, pt := range l.place(trX, trY) {
		if c.Contains(vg.Point{X: trX(l.XYs[i].X), Y: trY(l.XYs[i].Y)}) {
			c.FillText(l.Style, pt, l.Labels[i])
		}
	}
}

// place returns where each label is drawn, in canvas coordinates: beside
// its mark by Offset, then, in order, moved down by its own height until
// its box overlaps no box placed before it.
func (l *markLabels) place(trX, trY func(float64) vg.Length) []vg.Point {
	pts := make([]vg.Point, len(l.Labels))
	var placed []vg.Rectangle
	for i, label := range l.Labels {
		pt := vg.Point{X: trX(l.XYs[i].X), Y: trY(l.XYs[i].Y)}.Add(l.Offset)
		box := l.Style.Rectangle(label)
		h := box.Size().Y
		for slices.ContainsFunc(placed, func(r vg.Rectangle) bool { return overlap(r, box.Add(pt)) }) {
			pt.Y -= h
		}
		placed = append(placed, box.Add(pt))
		pts[i] = pt
	}
	return pts
}

// overlap reports whether two rectangles share more than an edge.
func overlap(a, b vg.Rectangle) bool {
	return a.Min.X < b.Max.X && b.Min.X < a.Max.X && a.Min.Y < b.Max.Y && b.Min.Y < a.Max.Y
}

// DataRange implements plot.DataRanger: the marks' range.
func (l *markLabels) DataRange() (xmin, xmax, ymin, ymax float64) {
	return plotter.XYRange(l.XYs)
}

// GlyphBoxes implements plot.GlyphBoxer, so the plot leaves room for each
// label beside its mark.
func (l *markLabels) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	bs := make([]plot.GlyphBox, len(l.Labels))
	for i, label := range l.Labels {
		bs[i] = plot.GlyphBox{X: p.X.Norm(l.XYs[i].X), Y: p.Y.Norm(l.XYs[i].Y), Rectangle: l.Style.Rectangle(label).Add(l.Offset)}
	}
	return bs
}
