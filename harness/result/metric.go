package result

// The metrics, named by the benchfmt unit results.bench writes each under.
// The names are frozen: renaming one breaks every stored history and every
// scenario budget that names it.
const (
	UnitWall      = "ns/op"             // upload phase wall time, ns (read back as sec/op)
	UnitPeakLive  = "peak-live-B"       // peak of live tracked bytes, bytes
	UnitResident  = "client-resident-B" // the client's peak resident memory (its allocator's pages and baseline), bytes
	UnitPeakHeap  = "peak-heap-B"       // peak sampled Go heap objects, bytes
	UnitPeakRSS   = "peak-RSS-B"        // peak resident set during the upload, bytes
	UnitAlloc     = "alloc-B"           // bytes allocated during the upload
	UnitAllocs    = "allocs"            // objects allocated during the upload
	UnitModelPeak = "model-peak-B"      // the analytic model's predicted peak, bytes
	UnitSim       = "sim-ns/op"         // upload phase simulated time, ns (read back as sim-sec/op)
)

// Metric is one figure of a record that fanbench writes to results.bench,
// compares between results and lets a scenario budget limit: the one place
// that names a metric, says how exact it is and reads it from a record.
// What each measures is said beside its Unit constant and in package
// reports/benchout's documentation.
type Metric struct {
	// Unit names the metric: its benchfmt unit as written, one of the
	// Unit constants.
	Unit string
	// Exact says every repetition of a seeded run gives the same value
	// (benchfmt's assume=exact); the others move with the machine and
	// take benchmath's U test.
	Exact bool
	// Budget says a scenario budget may limit it.
	Budget bool
	// Of reads the figure from a record, in the unit's scale (bytes,
	// nanoseconds, objects).
	Of func(*Record) int64
	// Absent reports a record that has no figure for the metric (Of gives
	// 0 or another figure's): results.bench leaves it out of the record's
	// line. nil means every record has one.
	Absent func(*Record) bool
}

// metrics are the metrics in the order of a results.bench line.
var metrics = []Metric{
	{Unit: UnitWall, Budget: true, Of: func(r *Record) int64 { return r.Upload.Wall }},
	{Unit: UnitPeakLive, Exact: true, Budget: true, Of: func(r *Record) int64 { return r.Live.Peak }},
	{Unit: UnitResident, Exact: true, Budget: true, Of: func(r *Record) int64 { return r.Memory.PeakResident },
		Absent: func(r *Record) bool { return r.Memory.PeakResident == 0 }},
	{Unit: UnitPeakHeap, Budget: true, Of: func(r *Record) int64 { return r.Runtime.PeakHeap }},
	// Only VmHWM after the reset is the upload's own peak; wait4's Maxrss
	// (where clear_refs is not available) includes setup, so it is left
	// out rather than compared as if the same figure.
	{Unit: UnitPeakRSS, Budget: true, Of: func(r *Record) int64 { return r.OS.PeakRSS },
		Absent: func(r *Record) bool { return r.OS.PeakRSS == 0 || r.OS.PeakRSSSource != "vmhwm" }},
	{Unit: UnitAlloc, Budget: true, Of: func(r *Record) int64 { return r.Runtime.AllocBytes }},
	{Unit: UnitAllocs, Of: func(r *Record) int64 { return r.Runtime.AllocObjects }},
	// 0 when the analytic model does not cover the run (faults, AIMD changes).
	{Unit: UnitModelPeak, Exact: true, Of: func(r *Record) int64 { return r.ModelPeak },
		Absent: func(r *Record) bool { return r.ModelPeak == 0 }},
	{Unit: UnitSim, Exact: true, Of: func(r *Record) int64 { return r.Upload.Sim }},
}

// ModelMetric is the one metric the analytic model predicts (ModelPeak), and
// so the only one a budget may hold to its prediction.
const ModelMetric = UnitPeakLive

// Metrics returns every metric in the order of a results.bench line.
func Metrics() []Metric { return append([]Metric(nil), metrics...) }

// LookupMetric returns the metric named by unit, as written ("ns/op").
func LookupMetric(unit string) (Metric, bool) {
	for _, m := range metrics {
		if m.Unit == unit {
			return m, true
		}
	}
	return Metric{}, false
}

// MetricUnits returns the units of the metrics keep accepts (every metric
// when keep is nil), in the order of Metrics.
func MetricUnits(keep func(Metric) bool) []string {
	var out []string
	for _, m := range metrics {
		if keep == nil || keep(m) {
			out = append(out, m.Unit)
		}
	}
	return out
}
