package result

import (
	"slices"
	"testing"
)

// TestMetrics checks each metric against the record field it names, on a
// record whose figures all differ, and the registry's lists.
func TestMetrics(t *testing.T) {
	r := &Record{
		Upload:    Upload{Wall: 11, Sim: 19},
		Live:      Live{Peak: 13},
		Memory:    Memory{PeakResident: 17},
		Runtime:   Runtime{PeakHeap: 23, AllocBytes: 29, AllocObjects: 31},
		OS:        OS{PeakRSS: 37, PeakRSSSource: "vmhwm"},
		ModelPeak: 41,
	}
	for _, tc := range []struct {
		unit          string
		v             int64
		exact, budget bool
	}{
		{UnitWall, 11, false, true},
		{UnitPeakLive, 13, true, true},
		{UnitResident, 17, true, true},
		{UnitPeakHeap, 23, false, true},
		{UnitPeakRSS, 37, false, true},
		{UnitAlloc, 29, false, true},
		{UnitAllocs, 31, false, false},
		{UnitModelPeak, 41, true, false},
		{UnitSim, 19, true, false},
	} {
		m, ok := LookupMetric(tc.unit)
		switch {
		case !ok:
			t.Errorf("%s: not a metric", tc.unit)
		case m.Of(r) != tc.v || m.Exact != tc.exact || m.Budget != tc.budget:
			t.Errorf("%s: reads %d, exact %v, budget %v; want %d, %v, %v", tc.unit, m.Of(r), m.Exact, m.Budget, tc.v, tc.exact, tc.budget)
		case m.Absent != nil && m.Absent(r):
			t.Errorf("%s: absent from a record that has it", tc.unit)
		}
	}
	if len(Metrics()) != 9 {
		t.Errorf("%d metrics, want the 9 above", len(Metrics()))
	}
	if _, ok := LookupMetric("peak-live"); ok {
		t.Errorf("LookupMetric(peak-live) found a metric")
	}
	if !slices.Contains(MetricUnits(func(m Metric) bool { return m.Budget }), ModelMetric) {
		t.Errorf("ModelMetric %s cannot be budgeted", ModelMetric)
	}
	// Figures a record may lack.
	bare := &Record{OS: OS{PeakRSS: 37, PeakRSSSource: "maxrss"}}
	for _, u := range []string{UnitResident, UnitPeakRSS, UnitModelPeak} {
		if m, _ := LookupMetric(u); m.Absent == nil || !m.Absent(bare) {
			t.Errorf("%s: not absent from a record without it", u)
		}
	}
}
