package compare

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"

	"golang.org/x/perf/benchunit"
)

// WriteText writes r as text: the differing file keys, one benchstat-like
// table per unit (benchmark, old centre ± CI, new centre ± CI, delta, p and
// samples, verdict) with the caveats as numbered notes, then one line per
// metric that is not Same, gating ones first, each naming the benchmark, the
// unit, old, new and the change, and a last line with the outcome. It
// returns the first write error.
func (r *Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "old: %s\nnew: %s\n", r.OldName, r.NewName)
	fmt.Fprintf(ew, "alpha %v, confidence %v; gating units: %s\n", r.Options.Alpha, r.Options.Confidence, orNone(r.Options.Metrics))
	for _, d := range r.ConfigDiffs {
		fmt.Fprintf(ew, "config %s differs (old: %s; new: %s); file keys are not used for grouping\n", d.Key, orNone(d.Old), orNone(d.New))
	}
	for _, n := range r.OnlyOld {
		fmt.Fprintf(ew, "only in old: %s (FAIL: no finished run in new)\n", n)
	}
	for _, n := range r.OnlyNew {
		fmt.Fprintf(ew, "only in new: %s\n", n)
	}

	var units []string
	byUnit := map[string][]*Metric{}
	for _, m := range r.Metrics {
		if byUnit[m.Unit] == nil {
			units = append(units, m.Unit)
		}
		byUnit[m.Unit] = append(byUnit[m.Unit], m)
	}
	for _, u := range units {
		r.writeTable(ew, u, byUnit[u])
	}

	fmt.Fprintln(ew)
	regressed := 0
	for _, gating := range []bool{true, false} {
		for _, m := range r.Metrics {
			if m.Gating != gating || m.Verdict == Same {
				continue
			}
			if m.Gating && m.Verdict == Regressed {
				regressed++
			}
			fmt.Fprintln(ew, verdictLine(m))
		}
	}
	for _, u := range r.Options.Metrics {
		if !slices.ContainsFunc(r.Metrics, func(m *Metric) bool { return m.Unit == u }) {
			fmt.Fprintf(ew, "UNJUDGED %s: no benchmark of both files has it\n", u)
		}
	}
	unjudged := len(r.Unjudged())
	switch r.Outcome() {
	case Fail:
		switch {
		case regressed > 0 && len(r.OnlyOld) > 0:
			fmt.Fprintf(ew, "FAIL: %s regressed, and no finished run in new for %s of old\n", plural(regressed, "gating metric"), plural(len(r.OnlyOld), "benchmark"))
		case regressed > 0:
			fmt.Fprintf(ew, "FAIL: %s regressed\n", plural(regressed, "gating metric"))
		default:
			fmt.Fprintf(ew, "FAIL: no finished run in new for %s of old\n", plural(len(r.OnlyOld), "benchmark"))
		}
	case NotJudged:
		fmt.Fprintf(ew, "NOT JUDGED: no gating metric regressed, but %s could not be judged (too few samples, or none); this is no pass\n", plural(unjudged, "gating metric"))
	default:
		fmt.Fprintln(ew, "ok: no gating metric regressed")
	}
	return ew.err
}

// writeTable writes one unit's table and its notes.
func (r *Report) writeTable(w io.Writer, unit string, ms []*Metric) {
	m0 := ms[0]
	label := "median"
	if m0.Exact {
		label = "exact"
	}
	better := "lower"
	if m0.Better > 0 {
		better = "higher"
	}
	gating := ""
	if m0.Gating {
		gating = ", gating"
	}
	fmt.Fprintf(w, "\n%s (%s, better=%s, tolerance %s%s)\n", unit, label, better, pct(m0.Tolerance), gating)

	sc := scaler(unit, ms)
	var notes []string
	note := func(s string) string {
		for i, n := range notes {
			if n == s {
				return mark(i + 1)
			}
		}
		notes = append(notes, s)
		return mark(len(notes))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "benchmark\t%s\t%s\tdelta\tp\tn\tverdict\n", r.OldName, r.NewName)
	for _, m := range ms {
		var marks []string
		for _, wn := range m.Warnings {
			marks = append(marks, note(wn))
		}
		if m.Verdict == Unjudged {
			marks = append(marks, note(m.Reason))
		}
		if len(marks) > 0 {
			marks[0] = " " + marks[0]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d+%d\t%s%s\n",
			m.Benchmark, side(sc, m.Old), side(sc, m.New), deltaString(m), pString(m),
			len(m.Old.Values), len(m.New.Values), m.Verdict, strings.Join(marks, ""))
	}
	tw.Flush()
	for i, n := range notes {
		fmt.Fprintf(w, "%s %s\n", mark(i+1), n)
	}
}

// verdictLine is one metric's verdict on one line, e.g.
// "REGRESSED Upload/… peak-live-B: old 400.0Mi, new 480.0Mi, +20.00% (worse by
// more than the 5% tolerance; p=0.002 n=6+6)".
func verdictLine(m *Metric) string {
	v := strings.ToUpper(m.Verdict.String())
	if !m.Gating {
		v += " (not gating)"
	}
	if m.Verdict == Unjudged {
		return fmt.Sprintf("%s %s %s: %s", v, m.Benchmark, m.Unit, m.Reason)
	}
	sc := scaler(m.Unit, []*Metric{m})
	return fmt.Sprintf("%s %s %s: old %s, new %s, %s (%s; %s n=%d+%d)",
		v, m.Benchmark, m.Unit, sc.Format(m.Old.Summary.Center), sc.Format(m.New.Summary.Center),
		deltaString(m), m.Reason, pString(m), len(m.Old.Values), len(m.New.Values))
}

// scaler returns a common scale for the centres of ms, with binary prefixes
// for byte units.
func scaler(unit string, ms []*Metric) benchunit.Scaler {
	var vals []float64
	for _, m := range ms {
		for _, s := range []Side{m.Old, m.New} {
			if len(s.Values) > 0 {
				vals = append(vals, s.Summary.Center)
			}
		}
	}
	return benchunit.CommonScale(vals, benchunit.ClassOf(unit))
}

func side(sc benchunit.Scaler, s Side) string {
	if len(s.Values) == 0 {
		return "-"
	}
	return sc.Format(s.Summary.Center) + " ± " + s.Summary.PctRangeString()
}

func deltaString(m *Metric) string {
	switch {
	case math.IsNaN(m.Delta):
		return "-"
	case math.IsInf(m.Delta, 0):
		return "?"
	}
	return fmt.Sprintf("%+.2f%%", 100*m.Delta)
}

func pString(m *Metric) string {
	switch {
	case m.Exact && len(m.Old.Values) > 0 && len(m.New.Values) > 0:
		return "exact"
	case m.Verdict == Unjudged:
		return "-" // not tested
	}
	return fmt.Sprintf("p=%.3f", m.Comparison.P)
}

// mark returns note n's marker: a superscript digit, as benchstat prints,
// up to 9.
func mark(n int) string {
	const sup = "⁰¹²³⁴⁵⁶⁷⁸⁹"
	if n >= 1 && n <= 9 {
		return string([]rune(sup)[n])
	}
	return fmt.Sprintf("[%d]", n)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "(none)"
	}
	return strings.Join(s, ", ")
}

// errWriter keeps the first write error and drops later writes.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return len(p), nil
	}
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, nil
}
