// Package pick chooses, from the records of a results directory's newest
// batch, the run a command is about: a case's peak profile (fanbench
// pprof) or a measured run (fanbench import-heaptrack), filling in what the
// flags leave out when only one choice is possible, and naming the choices
// when not.
package pick

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/fanbench/fanbench/harness/result"
)

// Profile is a profiling run's record with its peak profile's path.
type Profile struct {
	*result.Record
	Path string
}

// Records loads the records of the newest batch in DIR (see
// result.LoadDir), saying on w when they come from runs/ alone.
func Records(dir string, w io.Writer) ([]*result.Record, error) {
	res, err := result.LoadDir(dir)
	if err != nil {
		return nil, err
	}
	if res.Batch.FromRuns {
		fmt.Fprintf(w, "fanbench: batch %s wrote no results.json (killed?): reading its %d records in %s\n",
			cmp.Or(res.Batch.ID, "of unknown ID"), len(res.Records), filepath.Join(dir, result.RunsDir))
	}
	return res.Records, nil
}

// PeakProfile picks the profiling run of (scenario, mode, limiter),
// filling in scenario and limiter when only one is possible.
func PeakProfile(dir string, recs []*result.Record, scenario, mode, limiter string) (*Profile, error) {
	var profiling []*result.Record
	for _, r := range recs {
		if r.Profile {
			profiling = append(profiling, r)
		}
	}
	if len(profiling) == 0 {
		return nil, fmt.Errorf("%s holds no profiling run, so no peak profile (was it run with -profile=false?)", dir)
	}
	scens := distinct(profiling, func(r *result.Record) string { return r.Scenario })
	switch {
	case scenario == "" && len(scens) == 1:
		scenario = scens[0]
	case scenario == "":
		return nil, fmt.Errorf("%s holds several scenarios; choose one with -scenario: %s", dir, strings.Join(scens, ", "))
	case !slices.Contains(scens, scenario):
		return nil, fmt.Errorf("-scenario: no profiling run of %q in %s; scenarios there: %s", scenario, dir, strings.Join(scens, ", "))
	}
	inScen := filter(profiling, func(r *result.Record) bool { return r.Scenario == scenario })
	ofMode := filter(inScen, func(r *result.Record) bool { return r.Strategy == mode })
	if len(ofMode) == 0 {
		return nil, fmt.Errorf("-strategy: no profiling run of %s in %s; strategies there: %s", mode, scenario,
			strings.Join(distinct(inScen, func(r *result.Record) string { return r.Strategy }), ", "))
	}
	lims := distinct(ofMode, func(r *result.Record) string { return r.Limiter })
	switch {
	case limiter == "" && len(lims) == 1:
		limiter = lims[0]
	case limiter == "":
		return nil, fmt.Errorf("%s/%s ran several limiters; choose one with -limiter: %s", scenario, mode, strings.Join(lims, ", "))
	case !slices.Contains(lims, limiter):
		return nil, fmt.Errorf("-limiter: no profiling run of %s/%s with %q; limiters there: %s", scenario, mode, limiter, strings.Join(lims, ", "))
	}
	r := filter(ofMode, func(r *result.Record) bool { return r.Limiter == limiter })[0]
	return profileOf(dir, r)
}

// BaseProfile picks the profiling run of strategy base in p's
// scenario and limiter.
func BaseProfile(dir string, recs []*result.Record, p *Profile, base string) (*Profile, error) {
	same := filter(recs, func(r *result.Record) bool {
		return r.Profile && r.Scenario == p.Scenario && r.Limiter == p.Limiter
	})
	for _, r := range same {
		if r.Strategy == base {
			return profileOf(dir, r)
		}
	}
	return nil, fmt.Errorf("-base: no profiling run of %s in %s (%s); strategies there: %s", base, p.Scenario, p.Limiter,
		strings.Join(distinct(same, func(r *result.Record) string { return r.Strategy }), ", "))
}

// SameCase picks the profiling run of p's case (scenario, strategy,
// limiter) among the records of another results directory.
func SameCase(dir string, recs []*result.Record, p *Profile) (*Profile, error) {
	for _, r := range recs {
		if r.Profile && r.Scenario == p.Scenario && r.Strategy == p.Strategy && r.Limiter == p.Limiter {
			return profileOf(dir, r)
		}
	}
	var cases []string
	for _, r := range recs {
		if c := fmt.Sprintf("%s/%s (%s)", r.Scenario, r.Strategy, r.Limiter); r.Profile && !slices.Contains(cases, c) {
			cases = append(cases, c)
		}
	}
	return nil, fmt.Errorf("-base-dir: no profiling run of %s/%s (%s) in %s; profiling runs there: %s",
		p.Scenario, p.Strategy, p.Limiter, dir, cmp.Or(strings.Join(cases, ", "), "none"))
}

// IsDir reports whether p is a directory.
func IsDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func profileOf(dir string, r *result.Record) (*Profile, error) {
	name := fmt.Sprintf("%s/%s (%s)", r.Scenario, r.Strategy, r.Limiter)
	if r.PeakProfile == "" {
		why := "its record names none"
		if r.Status != result.OK {
			why = fmt.Sprintf("the run ended %s: %s", r.Status, r.Error)
		}
		return nil, fmt.Errorf("the profiling run of %s has no peak profile: %s", name, why)
	}
	p := filepath.Join(dir, r.PeakProfile)
	if _, err := os.Stat(p); err != nil {
		return nil, fmt.Errorf("the peak profile of %s: %w", name, err)
	}
	return &Profile{r, p}, nil
}

func filter(rs []*result.Record, keep func(*result.Record) bool) []*result.Record {
	var out []*result.Record
	for _, r := range rs {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

// distinct returns the sorted distinct values of f over rs.
func distinct(rs []*result.Record, f func(*result.Record) string) []string {
	var out []string
	for _, r := range rs {
		if v := f(r); !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

// Run picks the measured run of DIR the flags name: the lowest
// repetition that finished, of the one (scenario, strategy, limiter) left.
func Run(dir, scenario, mode, limiter string) (*result.Record, error) {
	recs, err := Records(dir, io.Discard)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("-dir: %w", err)
		}
		return nil, err
	}
	var keep []*result.Record
	cases := map[string]bool{}
	for _, r := range recs {
		if r.Profile || r.Status != result.OK || (scenario != "" && r.Scenario != scenario) ||
			(mode != "" && r.Strategy != mode) || (limiter != "" && r.Limiter != limiter) {
			continue
		}
		keep = append(keep, r)
		cases[r.Scenario+" -strategy "+r.Strategy+" -limiter "+r.Limiter] = true
	}
	switch {
	case len(keep) == 0:
		return nil, fmt.Errorf("%s holds no finished run of scenario %q, strategy %q, limiter %q (empty: any)", dir, scenario, mode, limiter)
	case len(cases) > 1:
		var names []string
		for k := range cases {
			names = append(names, "-scenario "+k)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("%s holds %d cases; choose one with %s", dir, len(cases), strings.Join(names, ", or "))
	}
	sort.Slice(keep, func(i, j int) bool { return keep[i].Rep < keep[j].Rep })
	return keep[0], nil
}
