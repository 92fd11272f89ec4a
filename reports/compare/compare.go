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
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchunit"

	"github.com/fanbench/fanbench/harness/result"
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

// DefaultTolerance is the tolerance of a unit that Options.Tolerance does
// not name: a relative change of 5 %.
const DefaultTolerance = 0.05

// Options are the thresholds of a comparison. The zero value of a field
// means its default in DefaultOptions.
type Options struct {
	// Alpha is the significance level of the U test: a difference is
	// significant when p ≤ Alpha. 0 means 0.05.
	Alpha float64
	// Confidence is the level of the medians' confidence intervals, in
	// (0, 1). 0 means 0.95.
	Confidence float64
	// Tolerance is the relative change, per unit, that a significant
	// difference must exceed to be Regressed or Improved: 0.05 is 5 %. Units
	// may be named as written ("ns/op") or as tidied ("sec/op"), and must be
	// in one of the files; a unit not named has DefaultTolerance.
	Tolerance map[string]float64
	// Metrics are the units whose regression fails the comparison
	// (Report.Outcome Fail). Each must be in one of the files at least, or
	// Compare returns an *InputError. nil means those of
	// DefaultOptions.Metrics that the files hold; an empty non-nil slice
	// gates nothing.
	Metrics []string
}

// ParseTolerance reads per-unit tolerances written as the -tolerance flag
// takes them, "unit=fraction,unit=fraction" (peak-live-B=0.01), into a map
// for Options.Tolerance.
func ParseTolerance(s string) (map[string]float64, error) {
	t := map[string]float64{}
	for _, kv := range strings.Split(s, ",") {
		unit, v, ok := strings.Cut(kv, "=")
		f, err := strconv.ParseFloat(v, 64)
		if !ok || err != nil || f < 0 {
			return nil, fmt.Errorf("%q is not unit=fraction", kv)
		}
		t[unit] = f
	}
	return t, nil
}

// DefaultOptions gate on the three memory peaks at α = 0.05 with a 5 %
// tolerance. The CLI's flags start from it.
var DefaultOptions = Options{
	Alpha:      0.05,
	Confidence: 0.95,
	Metrics:    []string{result.UnitPeakLive, result.UnitPeakRSS, result.UnitPeakHeap},
}

// resolved returns o with its defaults filled in and every unit tidied, or
// an error for a threshold out of range.
func (o Options) resolved() (Options, error) {
	r := Options{Alpha: o.Alpha, Confidence: o.Confidence, Tolerance: map[string]float64{}}
	if r.Alpha == 0 {
		r.Alpha = DefaultOptions.Alpha
	}
	if r.Confidence == 0 {
		r.Confidence = DefaultOptions.Confidence
	}
	if !(r.Alpha > 0 && r.Alpha < 1) {
		return r, fmt.Errorf("compare: alpha %v is not in (0, 1)", r.Alpha)
	}
	if !(r.Confidence > 0 && r.Confidence < 1) {
		return r, fmt.Errorf("compare: confidence %v is not in (0, 1)", r.Confidence)
	}
	for u, t := range o.Tolerance {
		if !(t >= 0) || math.IsInf(t, 0) {
			return r, fmt.Errorf("compare: tolerance %v of %s is not a finite fraction ≥ 0", t, u)
		}
		r.Tolerance[tidy(u)] = t
	}
	metrics := o.Metrics
	if metrics == nil {
		metrics = DefaultOptions.Metrics
	}
	r.Metrics = []string{}
	for _, u := range metrics {
		r.Metrics = append(r.Metrics, tidy(u))
	}
	return r, nil
}

func (o Options) tolerance(unit string) float64 {
	if t, ok := o.Tolerance[unit]; ok {
		return t
	}
	return DefaultTolerance
}

func tidy(unit string) string {
	_, u := benchunit.Tidy(1, unit)
	return u
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

// key identifies a metric: a benchmark's full name and a tidied unit.
type key struct{ name, unit string }

// file holds the samples of one input.
type file struct {
	name    string
	names   []string // benchmarks in order of first appearance
	has     map[string]bool
	units   []string // tidied units in order of first appearance
	samples map[key][]float64
	meta    benchfmt.UnitMetadataMap
	config  map[string][]string // file key → distinct values in order
	keys    []string            // file keys in order of first appearance
}

// maxSyntaxErrors bounds the syntax errors reported per file.
const maxSyntaxErrors = 10

// read reads one benchmark file; every syntax error is an *InputError.
func read(r io.Reader, name string) (*file, error) {
	f := &file{name: name, has: map[string]bool{}, samples: map[key][]float64{}, config: map[string][]string{}}
	br := benchfmt.NewReader(r, name)
	var errs []error
	nerr := 0
	for br.Scan() {
		switch rec := br.Result().(type) {
		case *benchfmt.SyntaxError:
			if nerr++; nerr <= maxSyntaxErrors {
				errs = append(errs, &InputError{File: rec.FileName, Line: rec.Line, Err: errors.New(rec.Msg)})
			}
		case *benchfmt.Result:
			n := rec.Name.String()
			if !f.has[n] {
				f.has[n] = true
				f.names = append(f.names, n)
			}
			for _, v := range rec.Values {
				if math.IsNaN(v.Value) || math.IsInf(v.Value, 0) {
					// The U test loops forever on NaN (go-moremath's tie
					// counting never advances past it): refuse the file.
					if nerr++; nerr <= maxSyntaxErrors {
						_, line := rec.Pos()
						errs = append(errs, &InputError{File: name, Line: line,
							Err: fmt.Errorf("%s: %s is %v, not a finite number", rec.Name, unitAsWritten(v), v.Value)})
					}
					continue
				}
				k := key{n, v.Unit}
				if _, ok := f.samples[k]; !ok && !slices.Contains(f.units, v.Unit) {
					f.units = append(f.units, v.Unit)
				}
				f.samples[k] = append(f.samples[k], v.Value)
			}
			for _, c := range rec.Config {
				if !c.File {
					continue
				}
				vals, seen := f.config[c.Key]
				if !seen {
					f.keys = append(f.keys, c.Key)
				}
				if v := string(c.Value); !slices.Contains(vals, v) {
					f.config[c.Key] = append(vals, v)
				}
			}
		}
	}
	if nerr > maxSyntaxErrors {
		errs = append(errs, &InputError{File: name, Err: fmt.Errorf("%d more syntax errors", nerr-maxSyntaxErrors)})
	}
	if err := br.Err(); err != nil {
		if u := errors.Unwrap(err); u != nil {
			err = u // the reader's message repeats the file name
		}
		errs = append(errs, &InputError{File: name, Err: err})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(f.names) == 0 {
		return nil, &InputError{File: name, Err: errors.New("no benchmark results")}
	}
	f.meta = br.Units()
	return f, nil
}

// unitAsWritten is the unit of v as the file wrote it.
func unitAsWritten(v benchfmt.Value) string {
	if v.OrigUnit != "" {
		return v.OrigUnit
	}
	return v.Unit
}

// assumption returns whether unit is exact, which requires both files to say
// so, and which direction is better; disagreements and a missing direction
// are added to warnings.
func (a *file) assumption(unit string, b *file, warnings *[]string) (exact bool, better int) {
	ea, eb := a.meta.GetAssumption(unit) == benchmath.AssumeExact, b.meta.GetAssumption(unit) == benchmath.AssumeExact
	exact = ea && eb
	if ea != eb {
		*warnings = append(*warnings, fmt.Sprintf("only one file declares %s assume=exact; using the U test", unit))
	}
	ba, bb := a.meta.GetBetter(unit), b.meta.GetBetter(unit)
	switch {
	case ba != 0 && bb != 0 && ba != bb:
		*warnings = append(*warnings, fmt.Sprintf("the files disagree on better= for %s; using %s's", unit, b.name))
		better = bb
	case bb != 0:
		better = bb
	case ba != 0:
		better = ba
	default:
		*warnings = append(*warnings, fmt.Sprintf("no better= metadata for %s; taking lower as better", unit))
		better = -1
	}
	return exact, better
}

// configDiffs lists the file keys whose values differ between a and b.
func configDiffs(a, b *file) []ConfigDiff {
	var diffs []ConfigDiff
	keys := slices.Clone(a.keys)
	for _, k := range b.keys {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		if !slices.Equal(a.config[k], b.config[k]) {
			diffs = append(diffs, ConfigDiff{Key: k, Old: a.config[k], New: b.config[k]})
		}
	}
	return diffs
}
