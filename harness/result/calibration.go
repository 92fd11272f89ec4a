package result

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// CalibrationFile is where fanbench calibrate writes its rows in a results
// directory, and where the report looks for them.
const CalibrationFile = "calibration.json"

// Calibration is one row of calibration.json: a traced run's figures
// beside those of a real Rust process (fanbench-replay, harness/replay)
// that replayed the run's allocation trace with glibc malloc. Byte figures
// are bytes.
type Calibration struct {
	Scenario string `json:"scenario"`
	Strategy string `json:"strategy"`
	Limiter  string `json:"limiter"`
	Rep      int    `json:"rep"`
	// Trace is the trace's path, relative to the results directory.
	Trace string `json:"trace"`
	// Batch is the batch of the run's record (Record.Batch); "" without a
	// record.
	Batch string `json:"batch,omitempty"`

	// PeakLive is fanbench's peak live: the record's, or the trace's own
	// count when PeakLiveFrom is "trace" (no record).
	PeakLive     int64  `json:"peak_live"`
	PeakLiveFrom string `json:"peak_live_from"`
	// ReplayPeakLive is the replay's own count of its live Vecs'
	// capacities at its peak. It equals PeakLive when the trace is
	// faithful.
	ReplayPeakLive int64 `json:"replay_peak_live"`

	// ClientResident is fanbench's prediction of the resident peak of the
	// client's buffers alone: the record's Memory.PeakResident less
	// Client.Baseline, which is what the replay's ReplayVmHWM measures. 0
	// when the record has no client figures, ClientResidentNote saying why.
	ClientResident int64 `json:"client_resident"`
	// ClientBaseline is the record's Client.Baseline, the client's declared
	// memory besides its buffers, and ClientPeakResident its
	// Memory.PeakResident, which includes it.
	ClientBaseline     int64  `json:"client_baseline"`
	ClientPeakResident int64  `json:"client_peak_resident"`
	ClientResidentNote string `json:"client_resident_note,omitempty"`
	// Allocator is the allocator the run modelled (Client.Allocator); the
	// replay always uses glibc malloc.
	Allocator string `json:"allocator,omitempty"`

	// ReplayVmHWM is the replay's highest VmHWM less its baseline's (read
	// before the first event): what its buffers, as glibc keeps them, cost
	// in resident memory. ReplayVmHWMRaw and ReplayBaselineVmHWM are the
	// two readings.
	ReplayVmHWM         int64 `json:"replay_vmhwm"`
	ReplayVmHWMRaw      int64 `json:"replay_vmhwm_raw"`
	ReplayBaselineVmHWM int64 `json:"replay_baseline_vmhwm"`
	// ReplayRssAnon is the replay's highest RssAnon less the baseline's;
	// ReplayRssAnonAtPeak the same at the event of its live peak.
	ReplayRssAnon       int64 `json:"replay_rss_anon"`
	ReplayRssAnonAtPeak int64 `json:"replay_rss_anon_at_peak"`
	// ResidentRatio is ClientResident / ReplayVmHWM; 0 when either is
	// absent.
	ResidentRatio float64 `json:"resident_ratio,omitempty"`

	// GrownSites are the sites whose buffers the trace grows (Vec growth,
	// RawVecInner::finish_grow in the real client), and GrownAtPeak their
	// live bytes at the trace's peak.
	GrownSites  []string `json:"grown_sites"`
	GrownAtPeak int64    `json:"grown_at_peak"`

	// Threads is the replay's worker threads (0: all on the main thread);
	// HWMReset says it could reset VmHWM before the first event; Events
	// is the trace's event count.
	Threads  int  `json:"threads"`
	HWMReset bool `json:"hwm_reset"`
	Events   int  `json:"events"`

	// With fanbench calibrate -heaptrack: heaptrack's peak heap of the
	// replay, its bytes at the peak under RawVecInner::finish_grow, the
	// share of the peak mapped onto fanbench's sites, and the capture and
	// its heaptrack_print text, relative to the results directory.
	HeaptrackPeakHeap    int64   `json:"heaptrack_peak_heap,omitempty"`
	HeaptrackFinishGrow  int64   `json:"heaptrack_finish_grow,omitempty"`
	HeaptrackMappedShare float64 `json:"heaptrack_mapped_share,omitempty"`
	HeaptrackCapture     string  `json:"heaptrack_capture,omitempty"`
	HeaptrackText        string  `json:"heaptrack_text,omitempty"`
}

// DecodeCalibration decodes calibration.json: a list of rows, each naming
// its strategy. name is the file's name in errors.
func DecodeCalibration(data []byte, name string) ([]Calibration, error) {
	var rows []Calibration
	if err := json.Unmarshal(data, &rows); err != nil {
		return nil, fmt.Errorf("result: %s: %w", name, err)
	}
	for i, r := range rows {
		if r.Strategy == "" {
			return nil, fmt.Errorf("result: %s: row %d: no strategy", name, i)
		}
	}
	return rows, nil
}

// ReadCalibration reads dir's calibration.json. It returns nil rows and no
// error when there is none.
func ReadCalibration(dir string) ([]Calibration, error) {
	path := filepath.Join(dir, CalibrationFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("result: %w", err)
	}
	return DecodeCalibration(data, path)
}
