package compare

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"golang.org/x/perf/benchunit"

	"github.com/fanbench/fanbench/harness/result"
)

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
