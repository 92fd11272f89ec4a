package heaptrack

import (
	"bytes"
	"encoding/json"
	"sort"
)

// Report is an imported capture as fanbench writes it (JSON) and prints
// it: the peak shared out among the sites, beside fanbench's own figures
// for the same sites when a run is given. Bytes are bytes.
type Report struct {
	File        string  `json:"file"`
	PeakHeap    int64   `json:"peak_heap"`
	FinishGrow  int64   `json:"finish_grow"`
	Mapped      int64   `json:"mapped"`
	MappedShare float64 `json:"mapped_share"`
	// Hidden is the part of the peak heaptrack_print listed under no
	// consumer.
	Hidden int64 `json:"hidden"`
	// Merged says the text was heaptrack_print's merged layout, whose
	// shared frames are one representative's: mapping it can misattribute.
	Merged   bool          `json:"merged"`
	Sites    []SiteRow     `json:"sites"`
	Unmapped []UnmappedRow `json:"unmapped"`
	// Run names the fanbench run beside it, when one is.
	Run string `json:"run,omitempty"`
}

// SiteRow is one site's bytes at heaptrack's peak and, when a run is
// beside it, fanbench's live bytes at its own peak for that site.
type SiteRow struct {
	Site      string `json:"site"`
	Heaptrack int64  `json:"heaptrack"`
	Consumers int    `json:"consumers"`
	Fanbench  *int64 `json:"fanbench,omitempty"`
}

// UnmappedRow is a consumer no rule maps: its bytes, calls, where the
// text has it, and its frames in short (Where).
type UnmappedRow struct {
	Bytes  int64  `json:"bytes"`
	Calls  int64  `json:"calls"`
	Line   int    `json:"line"`
	Where  string `json:"where"`
	Places int    `json:"elided_places,omitempty"`
}

// NewReport builds the report of c as m maps it.
func NewReport(c *Capture, m *Mapping) *Report {
	r := &Report{File: c.File, PeakHeap: m.PeakHeap, FinishGrow: m.FinishGrow, Mapped: m.Mapped,
		MappedShare: m.MappedShare(), Hidden: m.Hidden, Merged: c.Merged, Sites: []SiteRow{}, Unmapped: []UnmappedRow{}}
	for _, s := range m.Sites {
		r.Sites = append(r.Sites, SiteRow{Site: s.Site, Heaptrack: s.Bytes, Consumers: s.Consumers})
	}
	for _, u := range m.Unmapped {
		row := UnmappedRow{Bytes: u.Peak, Calls: u.Calls, Line: u.Line, Where: Where(u.Frames, 3)}
		if u.Elided {
			row.Places = u.Places
			row.Where = "not shown: \"other places\" of " + Where(u.Frames, 2)
		}
		r.Unmapped = append(r.Unmapped, row)
	}
	return r
}

// Beside adds fanbench's live bytes by site (a run record's Live.AtPeak)
// to the report, with a row for each site fanbench has and heaptrack not.
// Sites of zero bytes on fanbench's side are left out.
func (r *Report) Beside(run string, atPeak map[string]int64) {
	r.Run = run
	seen := map[string]bool{}
	for i := range r.Sites {
		v := atPeak[r.Sites[i].Site]
		r.Sites[i].Fanbench = &v
		seen[r.Sites[i].Site] = true
	}
	var extra []string
	for s, v := range atPeak {
		if !seen[s] && v != 0 {
			extra = append(extra, s)
		}
	}
	sort.Slice(extra, func(i, j int) bool {
		if atPeak[extra[i]] != atPeak[extra[j]] {
			return atPeak[extra[i]] > atPeak[extra[j]]
		}
		return extra[i] < extra[j]
	})
	for _, s := range extra {
		v := atPeak[s]
		r.Sites = append(r.Sites, SiteRow{Site: s, Fanbench: &v})
	}
}

// JSON returns the report as indented JSON, frames unescaped.
func (r *Report) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
