package html

import (
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/reports/runs"
)

// Options says where the records came from and how to title the page.
type Options struct {
	// Dir is the results directory; PeakProfile paths are relative to it.
	Dir string
	// Title heads the page; DefaultOptions.Title when empty.
	Title string
	// Now gives the "generated at" time; time.Now when nil. Tests pass a
	// fixed clock.
	Now func() time.Time
	// Batch is the batch the records belong to: its ID and the code's
	// commit are shown, an interruption or a batch read from runs/ only is
	// said first, then the broken budgets (or that every one was met), the
	// runs that ended unexpectedly and the notes.
	Batch result.Batch
	// ByteBudget reads the in-flight byte budget, in bytes, of a limiter
	// that has one ("budget:64MiB"), for the charts of peak against the
	// budget; nil draws none.
	ByteBudget func(limiter string) (int64, bool)
}

// DefaultOptions is the report of the results directory "results".
var DefaultOptions = Options{Dir: "results", Title: "fanbench report"}

// row is one line of the results table; figures are preformatted.
type row struct {
	Strategy, Limiter, Runs, Statuses string
	Live, LiveRange, Model, Ratio     string
	Heap, HeapRange, RSS, RSSRange    string
	Color                             string // the strategy's colour, #rrggbb
}

// section is one scenario on the page.
type section struct {
	Name   string
	Limit  string
	Live   []template.HTML // chart (a), one per limiter
	Sweep  template.HTML   // chart (d) against the cap, "" unless a sweep
	Budget template.HTML   // chart (d) against the byte budget, "" unless a sweep
	Stacks []template.HTML // chart (b), one per group with a timeline
	Memory []template.HTML // chart (c), one per group with samples
	Rows   []row
}

// sizeSection is the chart of a sweep over upload sizes.
type sizeSection struct {
	Name, Limiter string
	Chart         template.HTML
}

type page struct {
	Title, Generated string
	Uploaders        string // which uploader ran, for one line
	Sizes            []sizeSection
	Records          int
	Batch            result.Batch
	Interrupted      string
	Sections         []section
	Profiles         []peakProfile
	Calibration      *calibrationSection
}

// Write renders recs as one self-contained HTML page to w. Records may come
// in any order; nil records are skipped. It returns the first error from
// drawing, from reading a profile that exists but does not parse, or from
// w.
func Write(w io.Writer, recs []*result.Record, opts Options) error {
	if opts.Title == "" {
		opts.Title = DefaultOptions.Title
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	pal := newPalette(recs)
	pg := page{Title: opts.Title, Generated: now().UTC().Format(time.RFC3339), Batch: opts.Batch, Interrupted: opts.Batch.InterruptedLine()}
	for _, r := range recs {
		if r != nil {
			pg.Records++
		}
	}
	pg.Uploaders = uploaders(recs)
	budget := axis{"in-flight byte budget (MiB)", func(g *group) (float64, bool) {
		if opts.ByteBudget == nil {
			return 0, false
		}
		b, ok := opts.ByteBudget(g.Limiter)
		return runs.MiB(b), ok
	}}
	scens := groupRecords(recs)
	for _, sw := range sizeSweeps(scens) {
		h, err := sweepChart(fmt.Sprintf("%s, limiter %s: peak live against upload size", sw.base, sw.limiter), sw.groups, sizeAxis, sw.limit, pal)
		if err != nil {
			return fmt.Errorf("html: size sweep %s: %w", sw.base, err)
		}
		pg.Sizes = append(pg.Sizes, sizeSection{sw.base, sw.limiter, h})
	}
	for _, s := range scens {
		sec, err := buildSection(s, budget, pal)
		if err != nil {
			return fmt.Errorf("html: scenario %s: %w", s.name, err)
		}
		pg.Sections = append(pg.Sections, sec)
	}
	var err error
	if pg.Profiles, err = peakProfiles(recs, opts.Dir); err != nil {
		return err
	}
	if opts.Dir != "" {
		cal, err := result.ReadCalibration(opts.Dir)
		if err != nil {
			return err
		}
		pg.Calibration = buildCalibration(cal, opts.Batch.ID, pal)
	}
	return pageTmpl.Execute(w, pg)
}

// uploaders says which uploader ran the records: its name, or, when they
// ran several, each with its scenarios ("a (s1, s2); b (s3)").
func uploaders(recs []*result.Record) string {
	var names []string
	scens := map[string][]string{}
	for _, r := range recs {
		if r == nil {
			continue
		}
		n := r.UploaderName()
		if _, ok := scens[n]; !ok {
			names = append(names, n)
		}
		if !slices.Contains(scens[n], r.Scenario) {
			scens[n] = append(scens[n], r.Scenario)
		}
	}
	if len(names) == 1 {
		return names[0]
	}
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s (%s)", n, strings.Join(scens[n], ", ")))
	}
	return strings.Join(parts, "; ")
}

// buildSection draws one scenario's charts and table; budget is the axis of
// byte budgets.
func buildSection(s *scenario, budget axis, pal *palette) (section, error) {
	sec := section{Name: s.name}
	if s.limit > 0 {
		sec.Limit = runs.FormatBytes(s.limit)
	}
	add := func(list *[]template.HTML, h template.HTML, err error) error {
		if h != "" {
			*list = append(*list, h)
		}
		return err
	}
	for _, l := range s.limiters {
		h, err := liveChart(s, l, pal)
		if err := add(&sec.Live, h, err); err != nil {
			return sec, err
		}
	}
	if s.sweeps(capAxis) {
		h, err := sweepChart(s.name+": peak live against store cap", s.groups, capAxis, s.limit, pal)
		if err != nil {
			return sec, err
		}
		sec.Sweep = h
	}
	if s.sweeps(budget) {
		h, err := sweepChart(s.name+": peak live against byte budget", s.groups, budget, s.limit, pal)
		if err != nil {
			return sec, err
		}
		sec.Budget = h
	}
	for _, g := range s.groups {
		h, err := stackChart(g, pal)
		if err := add(&sec.Stacks, h, err); err != nil {
			return sec, err
		}
		h, err = memoryChart(g, s.limit, pal)
		if err := add(&sec.Memory, h, err); err != nil {
			return sec, err
		}
		sec.Rows = append(sec.Rows, tableRow(g, pal))
	}
	return sec, nil
}

// tableRow computes a group's medians and ranges over its OK measured runs.
func tableRow(g *group, pal *palette) row {
	ok := g.OK
	rw := row{Strategy: g.Strategy, Limiter: g.Limiter, Statuses: runs.Statuses(g.Runs),
		Runs: fmt.Sprintf("%d of %d", len(ok), len(g.Runs))}
	rw.Color = strategyHex(pal, g.Strategy)
	fig := func(f func(*result.Record) int64) (string, string) {
		st := runs.StatOf(ok, func(r *result.Record) float64 { return runs.MiB(f(r)) })
		if st.N == 0 {
			return "—", ""
		}
		return runs.FormatMiB(st.Med), fmt.Sprintf("%.1f–%.1f", st.Min, st.Max)
	}
	rw.Live, rw.LiveRange = fig(func(r *result.Record) int64 { return r.Live.Peak })
	rw.Heap, rw.HeapRange = fig(func(r *result.Record) int64 { return r.Runtime.PeakHeap })
	rw.RSS, rw.RSSRange = fig(func(r *result.Record) int64 { return r.OS.PeakRSS })
	rw.Model, rw.Ratio = "—", "—"
	var modelled []*result.Record
	for _, r := range ok {
		if r.ModelPeak > 0 {
			modelled = append(modelled, r)
		}
	}
	if len(modelled) > 0 {
		rw.Model = runs.FormatMiB(runs.StatOf(modelled, func(r *result.Record) float64 { return runs.MiB(r.ModelPeak) }).Med)
		rw.Ratio = fmt.Sprintf("%.3f", runs.StatOf(modelled, func(r *result.Record) float64 {
			return float64(r.Live.Peak) / float64(r.ModelPeak)
		}).Med)
	}
	return rw
}

var pageTmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"mib":  runs.MiB,
	"pct":  func(share float64) float64 { return share * 100 },
	"topN": func() int { return topN },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1200px;padding:0 1em;color:#222}
h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
figure{margin:.5em 0;display:inline-block;vertical-align:top}
svg{max-width:100%;height:auto}
.grid{display:flex;flex-wrap:wrap;gap:.5em}
table{border-collapse:collapse;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:right}
th:first-child,td:first-child,td.l{text-align:left}
.sw{display:inline-block;width:.8em;height:.8em;margin-right:.3em;vertical-align:middle}
.small{color:#666;font-size:.85em}
code{background:#f4f4f4;padding:.1em .3em}
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="small">Generated at {{.Generated}} from {{.Records}} records{{with .Batch.ID}} of batch <code>{{.}}</code>{{end}}{{with .Batch.Commit}}, code <code>{{.}}</code>{{end}}. Bytes in MiB (2<sup>20</sup> bytes).
Live is the exact total of tracked client buffers over <em>simulated</em> time; Go heap and RSS are sampled over <em>real</em> time, so they have their own axes.</p>
{{with .Uploaders}}<p>Uploader: {{.}}.</p>
{{end}}{{with .Interrupted}}<p><strong>The batch was {{.}}</strong>: the figures cover the finished runs only.</p>
{{end}}{{if .Batch.FromRuns}}<p><strong>The batch did not finish</strong> (it wrote no results.json; killed?): the figures cover the {{.Batch.Finished}} runs it recorded in runs/.</p>
{{end}}{{if .Batch.Breaches}}<section>
<h2>Budgets broken</h2>
<ul>{{range .Batch.Breaches}}<li><code>{{.}}</code></li>
{{end}}</ul>
</section>
{{else if .Batch.Budgets}}<p><strong>Every budget met{{if .Interrupted}} by the finished runs{{end}}.</strong></p>
{{end}}{{if .Batch.Unexpected}}<section>
<h2>Runs that ended unexpectedly</h2>
<ul>{{range .Batch.Unexpected}}<li><code>{{.}}</code></li>
{{end}}</ul>
</section>
{{end}}{{if .Batch.Notes}}<p>Notes:</p>
<ul>{{range .Batch.Notes}}<li>{{.}}</li>
{{end}}</ul>
{{end}}{{if .Sizes}}<section>
<h2>Peak live against upload size</h2>
<p class="small">One point per size: the median peak live of its OK runs; a cross marks a size whose runs were all OOM-killed.</p>
{{range .Sizes}}<figure>{{.Chart}}</figure>
{{end}}</section>
{{end}}{{range .Sections}}
<section>
<h2>{{.Name}}</h2>
{{if .Limit}}<p>Memory limit: <strong>{{.Limit}}</strong> (red line).</p>{{end}}
<h3>Live bytes over time</h3>
<p class="small">One line per strategy (the first OK measured repetition); the dashed line in the same colour is the model's predicted peak; a cross marks an OOM kill.</p>
{{range .Live}}<figure>{{.}}</figure>
{{end}}
{{if .Sweep}}<h3>Peak live against store cap</h3>
<figure>{{.Sweep}}</figure>
{{end}}{{if .Budget}}<h3>Peak live against byte budget</h3>
<figure>{{.Budget}}</figure>
{{end}}
<h3>Live bytes by site</h3>
<p class="small">Stacked in the record's site order from the bottom: the tallest band at the peak is the buffer that makes it.</p>
<div class="grid">{{range .Stacks}}<figure>{{.}}</figure>
{{end}}</div>
<h3>Tracked live, Go heap and RSS</h3>
<p class="small">One scale per row; each panel on its own clock. The dashed line is the peak live: the gap above it is what the GC and the process add.</p>
{{range .Memory}}<figure>{{.}}</figure>
{{end}}
<h3>Results</h3>
<table>
<tr><th>strategy</th><th>limiter</th><th>ok runs</th><th>statuses</th><th>peak live</th><th>min–max</th><th>model</th><th>live/model</th><th>peak heap</th><th>min–max</th><th>peak RSS</th><th>min–max</th></tr>
{{range .Rows}}<tr><td><span class="sw" style="background:{{.Color}}"></span>{{.Strategy}}</td><td class="l">{{.Limiter}}</td><td>{{.Runs}}</td><td class="l">{{.Statuses}}</td><td>{{.Live}}</td><td>{{.LiveRange}}</td><td>{{.Model}}</td><td>{{.Ratio}}</td><td>{{.Heap}}</td><td>{{.HeapRange}}</td><td>{{.RSS}}</td><td>{{.RSSRange}}</td></tr>
{{end}}</table>
</section>
{{end}}
{{with .Calibration}}<section id="calibration">
<h2>Calibration against a real Rust process</h2>
<p class="small"><code>fanbench calibrate</code> replayed each traced run in fanbench-replay, a Rust program that allocates, touches, grows and frees its <code>Vec&lt;u8&gt;</code>s with glibc malloc exactly as the run's trace says (calibration.json).
Peak live is fanbench's exact count beside the replay's own (= when equal, as a faithful trace makes them). The resident prediction is fanbench's resident peak of the client's buffers (the record's memory.peak_resident less memory.baseline), beside the replay's VmHWM less its baseline before the first event; ratio is the first over the second.</p>
{{if .Differ}}<p><strong>The replay counted another peak live than fanbench for {{.Differ}} run(s)</strong> (≠ below): the trace is not faithful.</p>
{{end}}{{with .Stale}}<p><strong>calibration.json holds rows of another batch than this report's</strong> ({{range $i, $b := .}}{{if $i}}, {{end}}<code>{{$b}}</code>{{end}}): run <code>fanbench calibrate</code> on this directory again.</p>
{{end}}<table>
<tr><th>scenario</th><th>strategy</th><th>limiter</th><th>rep</th><th>peak live</th><th></th><th>replay live</th><th>resident prediction</th><th>replay VmHWM − baseline</th><th>ratio</th>{{if .Heaptrack}}<th>heaptrack peak</th><th>finish_grow</th><th>mapped</th>{{end}}</tr>
{{range .Rows}}<tr><td class="l">{{.Scenario}}</td><td class="l"><span class="sw" style="background:{{.Color}}"></span>{{.Strategy}}</td><td class="l">{{.Limiter}}</td><td>{{.Rep}}</td><td>{{.Live}}</td><td>{{.Same}}</td><td>{{.ReplayLive}}</td><td>{{.Prediction}}</td><td>{{.ReplayNet}}</td><td>{{.Ratio}}</td>{{if $.Calibration.Heaptrack}}<td>{{.HeapPeak}}</td><td>{{.FinishGrow}}</td><td>{{.Mapped}}</td>{{end}}</tr>
{{end}}</table>
{{with .Notes}}<ul class="small">{{range .}}<li>{{.}}</li>
{{end}}</ul>
{{end}}</section>
{{end}}{{if .Profiles}}<section>
<h2>Peak profiles</h2>
<p class="small">Heap profiles taken at the peak: the top {{topN}} leaf functions by in-use bytes (flat).</p>
{{range .Profiles}}<h3>{{.Scenario}} · {{.Strategy}} · {{.Limiter}} · rep {{.Rep}}{{if .Profile}} (profiling run){{end}}</h3>
<p><code>{{.Command}}</code></p>
{{if .Note}}<p class="small">{{.Note}}: {{.Path}}</p>{{else}}<table>
<tr><th>function</th><th>in use</th><th>share</th></tr>
{{range .Top}}<tr><td>{{.Func}}</td><td>{{printf "%.1f MiB" (mib .Bytes)}}</td><td>{{printf "%.1f%%" (pct .Share)}}</td></tr>
{{end}}</table>{{end}}
{{end}}</section>
{{end}}
</body>
</html>
`))
