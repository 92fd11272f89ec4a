package html

import (
	"bytes"
	"fmt"
	"html/template"
	"image/color"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/upload/strategy"
	"github.com/fanbench/fanbench/reports/runs"
)

// Chart sizes. The page scales them down to its width (CSS max-width).
const (
	wideW, wideH   = 640 * vg.Millimeter / 2.4, 300 * vg.Millimeter / 2.4
	smallW, smallH = 420 * vg.Millimeter / 2.4, 240 * vg.Millimeter / 2.4
	tileW, tileH   = 760 * vg.Millimeter / 2.4, 230 * vg.Millimeter / 2.4
)

var (
	limitColor = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff} // red: the memory limit only
	refColor   = color.RGBA{R: 0x55, G: 0x55, B: 0x55, A: 0xff} // grey: reference lines
	dash       = []vg.Length{vg.Points(5), vg.Points(3)}

	// registryColors are the colours of the first registered strategies,
	// in the registry's order (package strategy); other strategies take
	// extraColors in name order. Red is kept for the memory limit.
	registryColors = []color.RGBA{
		{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
		{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
		{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
		{R: 0x94, G: 0x67, B: 0xbd, A: 0xff},
	}
	extraColors = []color.RGBA{
		{R: 0x8c, G: 0x56, B: 0x4b, A: 0xff}, {R: 0xe3, G: 0x77, B: 0xc2, A: 0xff},
		{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff}, {R: 0xbc, G: 0xbd, B: 0x22, A: 0xff},
		{R: 0x17, G: 0xbe, B: 0xcf, A: 0xff},
	}
	// siteColors are assigned to sites in the order they first appear in
	// the records' Live.Sites.
	siteColors = []color.RGBA{
		{R: 0x4e, G: 0x79, B: 0xa7, A: 0xff}, {R: 0xf2, G: 0x8e, B: 0x2b, A: 0xff},
		{R: 0x59, G: 0xa1, B: 0x4f, A: 0xff}, {R: 0xed, G: 0xc9, B: 0x48, A: 0xff},
		{R: 0xb0, G: 0x7a, B: 0xa1, A: 0xff}, {R: 0x76, G: 0xb7, B: 0xb2, A: 0xff},
		{R: 0xff, G: 0x9d, B: 0xa7, A: 0xff}, {R: 0x9c, G: 0x75, B: 0x5f, A: 0xff},
		{R: 0xba, G: 0xb0, B: 0xac, A: 0xff}, {R: 0xe1, G: 0x57, B: 0x59, A: 0xff},
	}
)

// StrategyColor returns the colour the report draws a known strategy in,
// and ok false for another name, so that other charts (fanbench fit's)
// match the report's.
func StrategyColor(name string) (c color.Color, ok bool) {
	rgba, ok := strategyColors()[name]
	return rgba, ok
}

// strategyColors returns the colours of the strategies that have one of
// registryColors, by name.
func strategyColors() map[string]color.RGBA {
	m := map[string]color.RGBA{}
	for i, name := range strategy.Names() {
		if i < len(registryColors) {
			m[name] = registryColors[i]
		}
	}
	return m
}

// LimitColor is the colour of the memory limit in every chart.
var LimitColor color.Color = limitColor

// palette holds the colours of one report, so a strategy or a site has the
// same colour in every chart.
type palette struct {
	strategy map[string]color.Color
	site     map[string]color.Color
}

// newPalette assigns colours to the strategies and sites of recs.
func newPalette(recs []*result.Record) *palette {
	p := &palette{strategy: map[string]color.Color{}, site: map[string]color.Color{}}
	known := strategyColors()
	var others []string
	for _, r := range recs {
		if r == nil {
			continue
		}
		if _, ok := known[r.Strategy]; !ok && !slices.Contains(others, r.Strategy) {
			others = append(others, r.Strategy)
		}
		for _, s := range r.Live.Sites {
			if _, ok := p.site[s]; !ok {
				p.site[s] = siteColors[len(p.site)%len(siteColors)]
			}
		}
	}
	for k, c := range known {
		p.strategy[k] = c
	}
	slices.Sort(others)
	for i, s := range others {
		p.strategy[s] = extraColors[i%len(extraColors)]
	}
	return p
}

// render draws the plots side by side on one SVG canvas of w × h points and
// returns the <svg> element without gonum's XML prolog.
func render(w, h vg.Length, plots ...*plot.Plot) (template.HTML, error) {
	c := vgsvg.New(w, h)
	dc := draw.New(c)
	if len(plots) == 1 {
		plots[0].Draw(dc)
	} else {
		t := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Millimeter * 4}
		cs := plot.Align([][]*plot.Plot{plots}, t, dc)
		for i, p := range plots {
			p.Draw(cs[0][i])
		}
	}
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return "", err
	}
	s := b.String()
	if i := strings.Index(s, "<svg"); i >= 0 {
		s = s[i:]
	}
	// Gonum's canvas escapes the text it draws; the rest is its own markup.
	return template.HTML(s), nil
}

// newPlot returns a plot with a title, axis labels, a grid and axes from 0.
func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.X.Min, p.Y.Min = 0, 0
	p.Legend.Top = true
	p.Legend.XOffs = -vg.Points(12) // room for a wider fallback font
	p.Add(plotter.NewGrid())
	return p
}

// headroom raises the top of the y axis so the legend sits above the data.
func headroom(p *plot.Plot) { p.Y.Max *= 1.35 }

// hline returns a horizontal line at y from x0 to x1.
func hline(x0, x1, y float64, c color.Color, dashed bool) (*plotter.Line, error) {
	l, err := plotter.NewLine(plotter.XYs{{X: x0, Y: y}, {X: x1, Y: y}})
	if err != nil {
		return nil, err
	}
	l.Color = c
	l.Width = vg.Points(1.2)
	if dashed {
		l.Dashes = dash
	}
	return l, nil
}

// series converts timeline points to (seconds or milliseconds, MiB).
func series(pts []result.Point, unit float64) plotter.XYs {
	xy := make(plotter.XYs, len(pts))
	for i, p := range pts {
		xy[i] = plotter.XY{X: float64(p.T) / unit, Y: runs.MiB(p.V)}
	}
	return xy
}

// lastX returns the highest X of xy, or 0.
func lastX(xy plotter.XYs) float64 {
	if len(xy) == 0 {
		return 0
	}
	return xy[len(xy)-1].X
}

// stackChart is chart (b): the drawn run's live bytes stacked by site over
// simulated seconds, in Live.Sites order from the bottom. It returns ""
// when the run has no timeline with site shares.
func stackChart(g *group, pal *palette) (template.HTML, error) {
	r := g.drawn
	if r == nil || len(r.Live.Timeline) == 0 || len(r.Live.Sites) == 0 {
		return "", nil
	}
	sites := r.Live.Sites
	cum := make([]plotter.XYs, len(sites))
	used := make([]bool, len(sites))
	for i := range cum {
		cum[i] = make(plotter.XYs, len(r.Live.Timeline))
	}
	for j, pt := range r.Live.Timeline {
		var sum int64
		for i := range sites {
			if i < len(pt.Sites) {
				sum += pt.Sites[i]
				used[i] = used[i] || pt.Sites[i] != 0
			}
			cum[i][j] = plotter.XY{X: float64(pt.T) / 1e9, Y: runs.MiB(sum)}
		}
	}
	title := fmt.Sprintf("%s, %s: live by site (peak %s at %.2f s)",
		g.Strategy, g.Limiter, runs.FormatMiB(runs.MiB(r.Live.Peak)), float64(r.Live.PeakSim)/1e9)
	p := newPlot(title, "simulated time (s)", "live (MiB)")
	// The top of the stack first, so each lower layer paints over it.
	for i := len(sites) - 1; i >= 0; i-- {
		if !used[i] {
			continue
		}
		l, err := plotter.NewLine(cum[i])
		if err != nil {
			return "", err
		}
		l.FillColor = pal.site[sites[i]]
		l.Width = 0
		p.Add(l)
		p.Legend.Add(sites[i], l)
	}
	headroom(p)
	return render(smallW, smallH, p)
}

// memoryChart is chart (c): three panels on one MiB scale, each on its own
// clock: tracked live over simulated seconds, Go heap over real
// milliseconds since the upload phase began, RSS over real milliseconds
// since the child started. Heap and RSS carry the peak live as a dashed
// reference; RSS the memory limit. It returns "" when all three are empty.
func memoryChart(g *group, limit int64, pal *palette) (template.HTML, error) {
	r := g.drawn
	if r == nil || len(r.Live.Timeline)+len(r.Runtime.Heap)+len(r.OS.RSS) == 0 {
		return "", nil
	}
	col := pal.strategy[g.Strategy]
	panels := []struct {
		title, x string
		xy       plotter.XYs
		ref      bool
		limit    int64
	}{
		{"tracked live", "simulated time (s)", series(r.Live.Timeline, 1e9), false, 0},
		{"Go heap", "real time since upload began (ms)", series(r.Runtime.Heap, 1e6), true, 0},
		{"RSS", "real time since child start (ms)", series(r.OS.RSS, 1e6), true, limit},
	}
	ymax := runs.MiB(max(r.Live.Peak, r.Runtime.PeakHeap, r.OS.PeakRSS, limit))
	for _, pn := range panels {
		for _, v := range pn.xy {
			ymax = max(ymax, v.Y)
		}
	}
	var plots []*plot.Plot
	for i, pn := range panels {
		title := pn.title
		if i == 0 {
			title = fmt.Sprintf("%s, %s: %s", g.Strategy, g.Limiter, title)
		}
		if len(pn.xy) == 0 {
			title += " (no samples)"
		}
		p := newPlot(title, pn.x, "MiB")
		p.Y.Max = ymax * 1.3
		xmax := max(lastX(pn.xy), 1)
		if len(pn.xy) > 0 {
			l, err := plotter.NewLine(pn.xy)
			if err != nil {
				return "", err
			}
			l.Color, l.Width = col, vg.Points(1.5)
			p.Add(l)
		}
		if pn.ref && r.Live.Peak > 0 {
			l, err := hline(0, xmax, runs.MiB(r.Live.Peak), refColor, true)
			if err != nil {
				return "", err
			}
			p.Add(l)
			p.Legend.Add("peak live", l)
		}
		if pn.limit > 0 {
			l, err := hline(0, xmax, runs.MiB(pn.limit), limitColor, false)
			if err != nil {
				return "", err
			}
			p.Add(l)
			p.Legend.Add("limit", l)
		}
		plots = append(plots, p)
	}
	return render(tileW, tileH, plots...)
}
