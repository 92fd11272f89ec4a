package compare

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
)

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
