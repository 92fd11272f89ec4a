package fit

import (
	"fmt"
	"image/color"
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/fanbench/fanbench/reports/html"
	"github.com/fanbench/fanbench/reports/runs"
)

// Chart is the size of one panel of the chart, one per upload.
const (
	chartW = 640 * vg.Millimeter / 2.4
	chartH = 320 * vg.Millimeter / 2.4
)

var (
	grey  = color.RGBA{R: 0x55, G: 0x55, B: 0x55, A: 0xff}
	other = color.RGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff}
	dash  = []vg.Length{vg.Points(5), vg.Points(3)}
)

// WriteChart draws the entries as SVG to w: for each upload (scenario and
// limit), a panel of the peak against the store cap, per strategy: the
// model's predicted peak of live bytes (dashed line), the measured peak of
// live bytes (circles) and the client's resident memory (triangles) of
// each run of the cap search, the runs killed at the limit crossed, and
// the limit in red.
func WriteChart(w io.Writer, entries []Entry) error {
	type key struct {
		scenario string
		limit    int64
	}
	var keys []key
	groups := map[key][]*Entry{}
	for i := range entries {
		k := key{entries[i].Scenario, entries[i].MemLimit}
		if groups[k] == nil {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], &entries[i])
	}
	if len(keys) == 0 {
		return fmt.Errorf("fit: no answers to draw")
	}
	var plots [][]*plot.Plot
	for _, k := range keys {
		p, err := panel(groups[k])
		if err != nil {
			return err
		}
		plots = append(plots, []*plot.Plot{p})
	}
	c := vgsvg.New(chartW, chartH*vg.Length(len(plots)))
	drawPanels(draw.New(c), plots)
	_, err := c.WriteTo(w)
	return err
}

// drawPanels draws the panels one above the other on dc.
func drawPanels(dc draw.Canvas, plots [][]*plot.Plot) {
	t := draw.Tiles{Rows: len(plots), Cols: 1, PadY: vg.Millimeter * 4}
	canvases := plot.Align(plots, t, dc)
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}
}

// panel draws one upload's entries.
func panel(es []*Entry) (*plot.Plot, error) {
	e0 := es[0]
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s (%s) under %s: peak against the store cap", e0.Scenario, runs.FormatBytes(e0.Size), runs.FormatBytes(e0.MemLimit))
	p.X.Label.Text, p.Y.Label.Text = "fixed store cap", "MiB"
	p.X.Min, p.Y.Min = 0, 0
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs = vg.Points(12)
	p.Add(plotter.NewGrid())
	// The panel shows the caps up to where the predictions leave it (or the
	// highest cap run), and up to 1.45 × the limit, room for the legend.
	ymax := runs.MiB(e0.MemLimit) * 1.45
	xmax, bound := 1.0, 1.0
	for _, e := range es {
		bound = max(bound, float64(e.CapBound))
		for i, v := range e.Predicted {
			if runs.MiB(v) <= ymax {
				xmax = max(xmax, float64(i+2))
			}
		}
		for _, o := range e.CapRuns {
			xmax = max(xmax, float64(o.Step+1))
		}
	}
	xmax = min(xmax, bound)
	for _, e := range es {
		col, ok := html.StrategyColor(e.Strategy)
		if !ok {
			col = other
		}
		if len(e.Predicted) > 0 {
			xy := make(plotter.XYs, len(e.Predicted))
			for i, v := range e.Predicted {
				xy[i] = plotter.XY{X: float64(i + 1), Y: runs.MiB(v)}
			}
			l, err := plotter.NewLine(xy)
			if err != nil {
				return nil, err
			}
			l.Color, l.Dashes, l.Width = col, dash, vg.Points(1.2)
			p.Add(l)
			p.Legend.Add(fmt.Sprintf("%s: max cap %d", e.Strategy, e.MaxFixedCap), l)
		}
		var live, res, killed plotter.XYs
		for _, o := range e.CapRuns {
			x := float64(o.Step)
			if !o.Fits {
				killed = append(killed, plotter.XY{X: x, Y: runs.MiB(o.Resident)})
				continue
			}
			live = append(live, plotter.XY{X: x, Y: runs.MiB(o.PeakLive)})
			res = append(res, plotter.XY{X: x, Y: runs.MiB(o.Resident)})
		}
		for _, s := range []struct {
			xy    plotter.XYs
			shape draw.GlyphDrawer
		}{{live, draw.CircleGlyph{}}, {res, draw.TriangleGlyph{}}, {killed, draw.CrossGlyph{}}} {
			if len(s.xy) == 0 {
				continue
			}
			sc, err := plotter.NewScatter(s.xy)
			if err != nil {
				return nil, err
			}
			sc.Color, sc.Shape, sc.Radius = col, s.shape, vg.Points(3.5)
			p.Add(sc)
		}
	}
	// The glyphs' meaning, once, in grey.
	for _, g := range []struct {
		name  string
		shape draw.GlyphDrawer
	}{{"measured peak live", draw.CircleGlyph{}}, {"measured client resident", draw.TriangleGlyph{}}, {"killed at the limit (resident)", draw.CrossGlyph{}}} {
		sc, err := plotter.NewScatter(plotter.XYs{{X: 1, Y: 0}})
		if err != nil {
			return nil, err
		}
		sc.Color, sc.Shape, sc.Radius = grey, g.shape, vg.Points(3.5)
		p.Legend.Add(g.name, sc)
	}
	model, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 0, Y: 0}})
	if err != nil {
		return nil, err
	}
	model.Color, model.Dashes = grey, dash
	p.Legend.Add("model's predicted peak live (dashed)", model)
	limit, err := plotter.NewLine(plotter.XYs{{X: 0, Y: runs.MiB(e0.MemLimit)}, {X: xmax, Y: runs.MiB(e0.MemLimit)}})
	if err != nil {
		return nil, err
	}
	limit.Color, limit.Width = html.LimitColor, vg.Points(2)
	p.Add(limit)
	p.Legend.Add("memory limit "+runs.FormatBytes(e0.MemLimit), limit)
	p.X.Max, p.Y.Max = xmax, ymax
	p.X.Tick.Marker = capTicks{}
	return p, nil
}

// capTicks marks whole caps: every one up to 16, then every 4th, 8th, …
// so that about 16 are marked.
type capTicks struct{}

// Ticks implements plot.Ticker.
func (capTicks) Ticks(lo, hi float64) []plot.Tick {
	step := 1
	for (hi-lo)/float64(step) > 16 {
		step *= 2
	}
	var ts []plot.Tick
	for c := 0; float64(c) <= hi; c += step {
		if float64(c) >= lo {
			ts = append(ts, plot.Tick{Value: float64(c), Label: fmt.Sprint(c)})
		}
	}
	return ts
}
