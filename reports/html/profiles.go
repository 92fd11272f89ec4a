package html

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/google/pprof/profile"

	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/reports/runs"
)

// topN is how many in-use sites a peak profile lists.
const topN = 5

// site is one leaf function's in-use bytes in a profile.
type site struct {
	Func  string
	Bytes int64
	Share float64 // of the profile's in-use total, 0..1
}

// peakProfile is one record's peak profile as the page shows it.
type peakProfile struct {
	Scenario, Strategy, Limiter string
	Rep                         int
	Profile                     bool
	Path                        string // Options.Dir joined with PeakProfile
	Command                     string
	Note                        string // why there are no sites, if there are none
	Total                       int64  // in-use bytes in all
	Top                         []site
}

// peakProfiles reads the peak profile of every record naming one, once per
// path, in the order of the records sorted by scenario, strategy, limiter
// and repetition. A missing file gets a note; an unreadable one is an error.
func peakProfiles(recs []*result.Record, dir string) ([]peakProfile, error) {
	var rs []*result.Record
	for _, r := range recs {
		if r != nil && r.PeakProfile != "" {
			rs = append(rs, r)
		}
	}
	slices.SortStableFunc(rs, func(a, b *result.Record) int {
		return cmp.Or(cmp.Compare(a.Scenario, b.Scenario), runs.CompareStrategies(a.Strategy, b.Strategy),
			runs.CompareLimiters(a.Limiter, b.Limiter), cmp.Compare(a.Rep, b.Rep))
	})
	var out []peakProfile
	seen := map[string]bool{}
	for _, r := range rs {
		path := filepath.Join(dir, filepath.FromSlash(r.PeakProfile))
		if seen[path] {
			continue
		}
		seen[path] = true
		pp := peakProfile{Scenario: r.Scenario, Strategy: r.Strategy, Limiter: r.Limiter, Rep: r.Rep,
			Profile: r.Profile, Path: path, Command: "go tool pprof -http=127.0.0.1:0 " + path}
		top, total, err := topSites(path, topN)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			pp.Note = "profile file not found"
		case err != nil:
			return nil, err
		}
		pp.Top, pp.Total = top, total
		out = append(out, pp)
	}
	return out, nil
}

// topSites returns the n leaf functions holding the most inuse_space bytes
// in the profile at path, and the in-use total in bytes.
func topSites(path string, n int) ([]site, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		return nil, 0, fmt.Errorf("html: %s: %w", path, err)
	}
	idx := slices.IndexFunc(p.SampleType, func(st *profile.ValueType) bool { return st.Type == "inuse_space" })
	if idx < 0 {
		return nil, 0, fmt.Errorf("html: %s: no inuse_space samples", path)
	}
	by := map[string]int64{}
	var total int64
	for _, s := range p.Sample {
		v := s.Value[idx]
		total += v
		by[leaf(s)] += v
	}
	sites := make([]site, 0, len(by))
	for fn, v := range by {
		sh := 0.0
		if total > 0 {
			sh = float64(v) / float64(total)
		}
		sites = append(sites, site{Func: fn, Bytes: v, Share: sh})
	}
	slices.SortFunc(sites, func(a, b site) int { return cmp.Or(cmp.Compare(b.Bytes, a.Bytes), cmp.Compare(a.Func, b.Func)) })
	return sites[:min(n, len(sites))], total, nil
}

// leaf names the innermost function of a sample's leaf location (Line[0]
// is the innermost of inlined frames), or its address when unsymbolized.
func leaf(s *profile.Sample) string {
	if len(s.Location) == 0 {
		return "(unknown)"
	}
	loc := s.Location[0]
	if len(loc.Line) == 0 || loc.Line[0].Function == nil {
		return fmt.Sprintf("%#x", loc.Address)
	}
	return loc.Line[0].Function.Name
}
