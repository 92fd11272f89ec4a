package compare

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/perf/benchmath"
)

// Verdict is the outcome of one metric's comparison.
type Verdict int

const (
	// Same: the change is within the tolerance, or not significant.
	Same Verdict = iota
	// Improved: the new centre is better by more than the tolerance, and
	// the difference is significant (p ≤ α) or the unit is exact.
	Improved
	// Regressed: the new centre is worse by more than the tolerance, and
	// the difference is significant (p ≤ α) or the unit is exact.
	Regressed
	// Unjudged: the metric could not be judged: a side has no samples, or
	// the two sides have too few for the U test ever to reach p ≤ α (its
	// smallest p with n and m samples is 2 / C(n+m, n): 3 and 3 give 0.1,
	// 6 and 1 give 0.29). It is no pass: Report.Outcome is NotJudged.
	Unjudged
)

var verdictNames = [...]string{"Same", "Improved", "Regressed", "Unjudged"}

// String returns the verdict's name: "Same", "Improved", "Regressed" or
// "Unjudged".
func (v Verdict) String() string {
	if v >= 0 && int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return fmt.Sprintf("Verdict(%d)", int(v))
}

// An InputError is a problem with an input: a file that cannot be read, a
// syntax error, a value that is NaN or infinite, a file without results, two
// files with no benchmark in common, or a gating or tolerance unit that
// neither file holds. The CLI exits 2 on it.
type InputError struct {
	File string // the file's name as given; "" when the error concerns both
	Line int    // 1-based; 0 when the error is not on one line
	Err  error
}

// Error returns "file:line: message", or "file: message" without a line.
func (e *InputError) Error() string {
	switch {
	case e.File == "":
		return e.Err.Error()
	case e.Line == 0:
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }

// Side is one file's samples of a metric.
type Side struct {
	// Values are the samples in the metric's tidied unit, ascending.
	Values []float64
	// Summary is benchmath's summary of Values: the median and its
	// confidence interval, or for an exact unit the mode and the range.
	// It is zero when Values is empty.
	Summary benchmath.Summary
}

// Metric is the comparison of one unit of one benchmark.
type Metric struct {
	// Benchmark is the full name without "Benchmark", GOMAXPROCS suffix
	// included, e.g. "Upload/scenario=seed-20mb/mode=streamed/limiter=aimd-2".
	Benchmark string
	// Unit is the tidied unit: "sec/op" for ns/op, "peak-live-B" as is.
	Unit string
	// Exact is set when both files declare the unit assume=exact: the
	// centre is the mode and any difference counts as significant.
	Exact bool
	// Better is -1 when lower values are better, +1 when higher are.
	Better   int
	Old, New Side
	// Comparison is benchmath's test of Old against New: P is the U test's p
	// value (0 for an exact unit, 1 when not tested).
	Comparison benchmath.Comparison
	// Delta is New's centre over Old's, minus 1: +0.2 is 20 % higher.
	// It is NaN when a side has no samples.
	Delta float64
	// Tolerance is the unit's tolerance, a fraction.
	Tolerance float64
	// Gating is set when the unit is one of Options.Metrics.
	Gating  bool
	Verdict Verdict
	// Reason says why the verdict, in a phrase: for Unjudged, which samples
	// are missing or how many are needed.
	Reason string
	// Warnings are benchmath's caveats about the samples (e.g. too few for
	// a finite confidence interval), each naming its file.
	Warnings []string
}

// ConfigDiff is a file configuration key whose values differ between the
// files. It takes no part in grouping.
type ConfigDiff struct {
	Key      string
	Old, New []string // the distinct values in each file; empty when absent
}

// Report is the comparison of two files.
type Report struct {
	OldName, NewName string
	// Options are the options used, defaults filled in and units tidied.
	Options Options
	// Metrics holds one entry per (benchmark, unit) of the benchmarks in
	// both files: units in order of first appearance, benchmarks in OLD's
	// order within a unit.
	Metrics []*Metric
	// OnlyOld and OnlyNew are the benchmarks found in one file only.
	OnlyOld, OnlyNew []string
	ConfigDiffs      []ConfigDiff
}

// Outcome is what a comparison means for a gate.
type Outcome int

const (
	// Pass: every gating metric was judged and none regressed.
	Pass Outcome = iota
	// Fail: a gating metric regressed, or a benchmark of OLD has no result
	// in NEW (fanbench writes no result line for a run killed at the memory
	// limit or timed out, so a case that stopped finishing disappears).
	Fail
	// NotJudged: nothing regressed, but some gating metric could not be
	// judged (Unjudged, or a gating unit that no common benchmark has), so
	// the comparison cannot vouch for it.
	NotJudged
)

var outcomeNames = [...]string{"pass", "fail", "not judged"}

// String returns "pass", "fail" or "not judged".
func (o Outcome) String() string {
	if o >= 0 && int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Outcome returns Fail if a gating metric regressed or a benchmark of OLD
// has no result in NEW, else NotJudged if any gating metric is Unjudged or a
// gating unit was measured in no benchmark the files share, else Pass. A
// failure outranks what could not be judged.
func (r *Report) Outcome() Outcome {
	if len(r.OnlyOld) > 0 {
		return Fail
	}
	for _, m := range r.Metrics {
		if m.Gating && m.Verdict == Regressed {
			return Fail
		}
	}
	if len(r.Unjudged()) > 0 {
		return NotJudged
	}
	return Pass
}

// Unjudged lists the gating metrics that could not be judged, as
// "benchmark unit: reason", and each gating unit that no benchmark of both
// files has, as "unit: reason".
func (r *Report) Unjudged() []string {
	var out []string
	judged := map[string]bool{}
	for _, m := range r.Metrics {
		if !m.Gating {
			continue
		}
		if m.Verdict == Unjudged {
			out = append(out, fmt.Sprintf("%s %s: %s", m.Benchmark, m.Unit, m.Reason))
			continue
		}
		judged[m.Unit] = true
	}
	for _, u := range r.Options.Metrics {
		if !judged[u] && !slices.ContainsFunc(r.Metrics, func(m *Metric) bool { return m.Unit == u }) {
			out = append(out, fmt.Sprintf("%s: no benchmark of both files has it", u))
		}
	}
	return out
}

// Files compares the benchmark files at oldPath and newPath. A directory
// stands for the results.bench inside it, as `fanbench run -o DIR` writes.
func Files(oldPath, newPath string, opts Options) (*Report, error) {
	var rs [2]io.Reader
	var names [2]string
	for i, p := range []string{oldPath, newPath} {
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			p = filepath.Join(p, "results.bench")
		}
		f, err := os.Open(p)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, &InputError{File: p, Err: err}
		}
		defer f.Close()
		rs[i], names[i] = f, p
	}
	return Compare(rs[0], rs[1], names[0], names[1], opts)
}

// Compare compares the benchmark files old and new, named oldName and
// newName in messages. It returns an *InputError (several joined by
// errors.Join for several syntax errors) when an input is unusable: unread,
// malformed on some line, holding a NaN or infinite value (refused before
// any statistics run), without results, or without a benchmark in common
// with the other, or when a unit of opts is in neither file; and a plain
// error for options out of range.
func Compare(old, new io.Reader, oldName, newName string, opts Options) (*Report, error) {
	o, err := opts.resolved()
	if err != nil {
		return nil, err
	}
	a, errA := read(old, oldName)
	b, errB := read(new, newName)
	if err := errors.Join(errA, errB); err != nil {
		return nil, err
	}

	if err := checkUnits(a, b, opts, &o); err != nil {
		return nil, err
	}

	rep := &Report{OldName: oldName, NewName: newName, Options: o}
	var common []string
	for _, n := range a.names {
		if b.has[n] {
			common = append(common, n)
		} else {
			rep.OnlyOld = append(rep.OnlyOld, n)
		}
	}
	for _, n := range b.names {
		if !a.has[n] {
			rep.OnlyNew = append(rep.OnlyNew, n)
		}
	}
	if len(common) == 0 {
		return nil, &InputError{Err: fmt.Errorf("%s and %s have no benchmark in common (%s has %s…, %s has %s…; a different GOMAXPROCS suffix makes a different name)",
			oldName, newName, oldName, a.names[0], newName, b.names[0])}
	}
	rep.ConfigDiffs = configDiffs(a, b)

	units := slices.Clone(a.units)
	for _, u := range b.units {
		if !slices.Contains(units, u) {
			units = append(units, u)
		}
	}
	for _, u := range units {
		for _, n := range common {
			k := key{n, u}
			ov, nv := a.samples[k], b.samples[k]
			if ov == nil && nv == nil {
				continue
			}
			rep.Metrics = append(rep.Metrics, o.metric(n, u, ov, nv, a, b))
		}
	}
	return rep, nil
}

// checkUnits rejects a gating or tolerance unit that neither file holds: a
// typo (peak-live for peak-live-B) would otherwise gate nothing and pass.
// given are the options as the caller wrote them, o as resolved, whose
// Metrics it sets: the units given, or, when given.Metrics is nil, those of
// DefaultOptions.Metrics that some file holds (at least one must).
func checkUnits(a, b *file, given Options, o *Options) error {
	have := slices.Clone(a.units)
	for _, u := range b.units {
		if !slices.Contains(have, u) {
			have = append(have, u)
		}
	}
	missing := func(what, written string) error {
		return &InputError{Err: fmt.Errorf("%s unit %q is in neither %s nor %s (units there: %s)%s",
			what, written, a.name, b.name, strings.Join(have, ", "), suggestUnit(written, have))}
	}
	if given.Metrics == nil {
		o.Metrics = slices.DeleteFunc(o.Metrics, func(u string) bool { return !slices.Contains(have, u) })
		if len(o.Metrics) == 0 {
			return &InputError{Err: fmt.Errorf("none of the default gating units (%s) is in %s or %s (units there: %s); name the units to gate on",
				strings.Join(DefaultOptions.Metrics, ", "), a.name, b.name, strings.Join(have, ", "))}
		}
	}
	for _, u := range given.Metrics {
		if !slices.Contains(have, tidy(u)) {
			return missing("gating", u)
		}
	}
	for _, u := range slices.Sorted(maps.Keys(given.Tolerance)) {
		if !slices.Contains(have, tidy(u)) {
			return missing("tolerance", u)
		}
	}
	return nil
}

// suggestUnit returns "; did you mean X?" for a unit of have that starts
// with u or differs from it only in case, and "" otherwise.
func suggestUnit(u string, have []string) string {
	for _, h := range have {
		if strings.EqualFold(h, u) || (len(u) >= 3 && strings.HasPrefix(strings.ToLower(h), strings.ToLower(u))) {
			return fmt.Sprintf("; did you mean %s?", h)
		}
	}
	return ""
}

// metric compares one unit of one benchmark.
func (o Options) metric(name, unit string, ov, nv []float64, a, b *file) *Metric {
	m := &Metric{
		Benchmark: name, Unit: unit, Delta: math.NaN(),
		Tolerance: o.tolerance(unit), Gating: slices.Contains(o.Metrics, unit),
		Comparison: benchmath.Comparison{P: 1, N1: len(ov), N2: len(nv), Alpha: o.Alpha},
	}
	m.Exact, m.Better = a.assumption(unit, b, &m.Warnings)
	m.Old.Values, m.New.Values = slices.Clone(ov), slices.Clone(nv)
	slices.Sort(m.Old.Values)
	slices.Sort(m.New.Values)

	var assume benchmath.Assumption = benchmath.AssumeNothing
	if m.Exact {
		assume = benchmath.AssumeExact
	}
	thr := &benchmath.Thresholds{CompareAlpha: o.Alpha}
	so, sn := benchmath.NewSample(m.Old.Values, thr), benchmath.NewSample(m.New.Values, thr)
	for _, s := range []struct {
		sample *benchmath.Sample
		side   *Side
		file   string
	}{{so, &m.Old, a.name}, {sn, &m.New, b.name}} {
		if len(s.sample.Values) == 0 {
			m.Verdict, m.Reason = Unjudged, fmt.Sprintf("no %s samples in %s", unit, s.file)
			continue
		}
		s.side.Summary = assume.Summary(s.sample, o.Confidence)
		for _, w := range s.side.Summary.Warnings {
			m.Warnings = append(m.Warnings, fmt.Sprintf("%s: %v", s.file, w))
		}
	}
	if m.Verdict == Unjudged {
		return m
	}
	m.Delta = delta(m.Old.Summary.Center, m.New.Summary.Center)

	if !m.Exact {
		// Even fully separated samples are not significant when the U
		// test's smallest p with these sizes is above alpha: 6 samples
		// against 1 can never fail, so they cannot pass either.
		if p := uTestMinP(len(ov), len(nv)); p > o.Alpha {
			m.Verdict = Unjudged
			m.Reason = fmt.Sprintf("need >= %d samples a side to detect a difference at alpha level %v, have %d and %d (the U test's smallest p with these is %.3g)",
				uTestNeed(o.Alpha), o.Alpha, len(ov), len(nv), p)
			return m
		}
		if so.Values[0] == so.Values[len(ov)-1] && sn.Values[0] == sn.Values[len(nv)-1] && so.Values[0] == sn.Values[0] {
			// The U test cannot rank equal values; nothing changed.
			m.Verdict, m.Reason = Same, "all samples are equal"
			return m
		}
	}
	m.Comparison = assume.Compare(so, sn)
	m.Comparison.Alpha = o.Alpha
	for _, w := range m.Comparison.Warnings {
		m.Warnings = append(m.Warnings, w.Error())
	}

	significant := m.Exact || m.Comparison.P <= o.Alpha
	worse, better := m.Delta > m.Tolerance, m.Delta < -m.Tolerance
	if m.Better > 0 {
		worse, better = better, worse
	}
	switch {
	case !significant:
		m.Verdict, m.Reason = Same, fmt.Sprintf("no significant difference (p=%.3f > %v)", m.Comparison.P, o.Alpha)
	case worse:
		m.Verdict, m.Reason = Regressed, fmt.Sprintf("worse by more than the %s tolerance", pct(m.Tolerance))
	case better:
		m.Verdict, m.Reason = Improved, fmt.Sprintf("better by more than the %s tolerance", pct(m.Tolerance))
	default:
		m.Verdict, m.Reason = Same, fmt.Sprintf("within the %s tolerance", pct(m.Tolerance))
	}
	return m
}

// delta returns new/old − 1, ±Inf when old is 0 and new is not.
func delta(old, new float64) float64 {
	switch {
	case old == new:
		return 0
	case old == 0:
		return math.Copysign(math.Inf(1), new)
	}
	return new/old - 1
}

// pct formats a fraction as a percentage with as many decimals as it needs.
func pct(f float64) string {
	return fmt.Sprintf("%g%%", math.Round(f*100*1e6)/1e6)
}

// uTestNeed returns the fewest samples per side with which the two-sided
// Mann-Whitney U test can reach p ≤ alpha: its smallest p with n and n
// samples is 2 / C(2n, n) (benchmath's uTestMinP).
func uTestNeed(alpha float64) int {
	c := 1.0 // C(2n, n)
	n := 1
	for ; n < 50; n++ {
		c = c * float64(2*n) * float64(2*n-1) / float64(n*n)
		if 2/c <= alpha {
			break
		}
	}
	return n
}

// uTestMinP returns the smallest p value the two-sided Mann-Whitney U test
// can give with n1 and n2 samples: 2 / C(n1+n2, n1), reached when the two
// samples do not overlap (ties only raise it). It is 1 when a side is empty.
func uTestMinP(n1, n2 int) float64 {
	if n1 < 1 || n2 < 1 {
		return 1
	}
	c := 1.0 // C(n1+n2, k) for k = 1…n1, which stays exact in a float64 for the sizes that matter
	for k := 1; k <= n1; k++ {
		c = c * float64(n2+k) / float64(k)
	}
	return min(1, 2/c)
}
