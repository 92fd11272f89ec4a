// Package result is the record of one measured run: what ran, how it
// ended, and every figure measured. It is the leaf both sides share: the
// runner writes records, the reports read them; it imports nothing of
// fanbench.
//
// Records are JSON on disk, versioned by Version, and written atomically
// (Write renames a finished temporary file into place), so a batch that is
// interrupted keeps every run that finished.
package result

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Version is the record format's version. It changes whenever a field
// changes meaning.
const Version = 1

// Status says how a run ended.
type Status string

const (
	OK      Status = "ok"      // the upload finished and every figure is present
	Failed  Status = "error"   // the uploader model returned an error (e.g. a partial upload)
	OOM     Status = "oom"     // the client's resident memory reached the memory limit: killed
	Crash   Status = "crash"   // the child died (panic, signal) without a record
	Timeout Status = "timeout" // the child ran past its time limit and was killed
	// Cancelled: the batch was interrupted (SIGINT, SIGTERM) while the run
	// was in flight, and the child was killed. It says nothing about the
	// case: it is neither a failure nor a sample.
	Cancelled Status = "cancelled"
)

// DefaultUploader is the name of the uploader every record ran before
// uploaders had names (package upload, ant-client's file uploader), so a
// record whose Uploader is "" ran it. Package uploader registers it under
// this name.
const DefaultUploader = "ant-client"

// UploaderName returns the uploader that ran r: r.Uploader, or
// DefaultUploader for a record written before uploaders had names.
func (r *Record) UploaderName() string {
	if r.Uploader == "" {
		return DefaultUploader
	}
	return r.Uploader
}

// Record is one (scenario, strategy, limiter, repetition) run. Byte figures
// are bytes; times are nanoseconds unless named otherwise.
type Record struct {
	Version  int    `json:"version"`
	Scenario string `json:"scenario"`
	Strategy string `json:"strategy"`
	Limiter  string `json:"limiter"`
	Payment  string `json:"payment"`
	// Transport says the transport's own copies were modelled.
	Transport bool `json:"transport"`
	// Client is the client profile that ran (package client): which
	// upstream ant-client the uploader model followed.
	Client string `json:"client"`
	// Uploader is the uploader that ran (the registry of package
	// uploader). Records written before uploaders had names hold "": they
	// ran DefaultUploader.
	Uploader string `json:"uploader,omitempty"`
	Rep      int    `json:"rep"` // 1-based repetition
	// Profile marks a profiling run: its heap profiles were taken at the
	// peak after forced GCs, so its heap and RSS peaks are not comparable
	// with the measured repetitions'.
	Profile bool   `json:"profile,omitempty"`
	Seed    uint64 `json:"seed"`
	Size    int64  `json:"size"`
	// Batch is the ID of the batch that ran the record (Batch.ID), and
	// Commit the code under test that produced it (Batch.Commit); both are
	// set by the parent process.
	Batch  string `json:"batch,omitempty"`
	Commit string `json:"commit,omitempty"`
	// Expected is the outcome other than OK that the scenario expected of
	// the run (OOM on a 4 GiB VM, say), or "" when it was expected to
	// finish.
	Expected Status `json:"expected,omitempty"`

	Env Env `json:"env"`

	Status Status `json:"status"`
	Error  string `json:"error,omitempty"`
	// Warnings are one-line notes about setup that the user must see even
	// when the run succeeded (a damaged spill cache entry rebuilt, say).
	Warnings []string `json:"warnings,omitempty"`
	// Stored and Total are the chunks stored of all, as far as the run got.
	Stored int `json:"stored"`
	Total  int `json:"total"`

	Upload Upload `json:"upload"`
	Live   Live   `json:"live"`
	// Memory is the modelled client's memory as its allocator holds it;
	// Runtime and OS are the harness process's own figures.
	Memory  Memory  `json:"memory"`
	Runtime Runtime `json:"runtime"`
	OS      OS      `json:"os"`
	// ModelPeak is the analytic model's predicted peak of live tracked
	// bytes for the run's structure, and ModelSites its share by site; 0
	// when the analytic model does not cover the run (faults, AIMD changes).
	ModelPeak  int64            `json:"model_peak,omitempty"`
	ModelSites map[string]int64 `json:"model_sites,omitempty"`

	// PeakProfile and EndProfile are the heap profiles' paths, relative to
	// the results directory.
	PeakProfile string `json:"peak_profile,omitempty"`
	EndProfile  string `json:"end_profile,omitempty"`
	// Trace is the path of the run's allocation trace, relative to the
	// results directory, when one was written.
	Trace string `json:"trace,omitempty"`
	// ProfileLive is the live tracked bytes when the peak profile was taken.
	ProfileLive int64 `json:"profile_live,omitempty"`
}

// Env is what the child ran with.
type Env struct {
	GoVersion      string `json:"go_version"`
	GOOS           string `json:"goos"`
	GOARCH         string `json:"goarch"`
	CPU            string `json:"cpu,omitempty"`
	GOMAXPROCS     int    `json:"gomaxprocs"`
	GOGC           int    `json:"gogc"`       // percent; -1 off
	GOMEMLIMIT     int64  `json:"gomemlimit"` // bytes; math.MaxInt64 means none
	MemProfileRate int    `json:"mem_profile_rate"`
	// MemoryLimit is the emulated machine's memory (bytes), 0 for none:
	// the run is killed when the client's resident memory reaches it.
	MemoryLimit int64 `json:"memory_limit,omitempty"`
}

// Memory is the modelled client's memory during the upload phase, as its
// allocator (glibc malloc, mimalloc, or Go slices) places its tracked
// buffers outside the harness's Go heap, counted page by page.
type Memory struct {
	// Allocator is the policy that placed the buffers: glibc, mimalloc or
	// go (Go slices, whose resident figure is only the touched pages of
	// live buffers).
	Allocator string `json:"allocator"`
	// Baseline is the declared resident memory the client holds besides
	// its tracked buffers, included in PeakResident and EndResident.
	Baseline int64 `json:"baseline"`
	// PeakResident is the client's highest resident memory: its buffers'
	// resident pages (live or kept by the allocator) plus Baseline. It is
	// what a memory limit judges.
	PeakResident int64 `json:"peak_resident"`
	// EndResident is the same when the upload phase ended (or the run was
	// killed); Retained the part of it that is freed memory the allocator
	// keeps; Returned what the allocator gave back to the OS in all.
	EndResident int64 `json:"end_resident"`
	Retained    int64 `json:"retained"`
	Returned    int64 `json:"returned"`
}

// Upload is what the uploader model reported.
type Upload struct {
	Mode         string `json:"mode"`
	Waves        int    `json:"waves"`
	RetryRounds  int    `json:"retry_rounds"`
	Caps         []int  `json:"caps"`
	Transactions int    `json:"transactions"`
	Sends        int64  `json:"sends"`
	Fallbacks    int64  `json:"fallbacks"`
	PeerErrors   int64  `json:"peer_errors"`
	PeerTimeouts int64  `json:"peer_timeouts"`
	Wall         int64  `json:"wall_ns"` // upload phase, real time
	Sim          int64  `json:"sim_ns"`  // upload phase, simulated time
	Encrypt      int64  `json:"encrypt_ns"`
	Cached       bool   `json:"cached"`
	PeakStreams  int    `json:"peak_streams"`
}

// Live holds the exact figures of the tracked buffers during the upload
// phase.
type Live struct {
	Peak int64 `json:"peak"`
	// PeakSim and PeakReal are when the peak was reached, in simulated and
	// real time since the upload phase began.
	PeakSim  int64 `json:"peak_sim_ns"`
	PeakReal int64 `json:"peak_real_ns"`
	// AtPeak is each site's live bytes at the moment of the peak.
	AtPeak map[string]int64 `json:"at_peak"`
	// SitePeaks is each site's own highest live bytes; Allocated each
	// site's bytes allocated in all, growth included.
	SitePeaks map[string]int64 `json:"site_peaks"`
	Allocated map[string]int64 `json:"allocated"`
	// Timeline is the live bytes over simulated time, bounded in length:
	// each point is the highest total in its interval, with the sites'
	// shares at that moment in the order of Sites.
	Sites    []string `json:"sites"`
	Timeline []Point  `json:"timeline"`
}

// Point is one timeline sample: at T (simulated ns since the upload phase
// began; for the RSS timeline, real ns), the value V and, for the live
// timeline, the sites' shares.
type Point struct {
	T     int64   `json:"t"`
	V     int64   `json:"v"`
	Sites []int64 `json:"s,omitempty"`
}

// Runtime holds the Go runtime's figures for the upload phase.
type Runtime struct {
	// PeakHeap is the highest /memory/classes/heap/objects:bytes sampled;
	// PeakMapped the highest total − released memory the runtime mapped.
	PeakHeap   int64 `json:"peak_heap"`
	PeakMapped int64 `json:"peak_mapped"`
	// Interval is the sampler's period in ns; Samples how many it took.
	Interval int64 `json:"interval_ns"`
	Samples  int   `json:"samples"`
	// AllocBytes and AllocObjects are allocated during the upload phase.
	AllocBytes   int64 `json:"alloc_bytes"`
	AllocObjects int64 `json:"alloc_objects"`
	GCCycles     int64 `json:"gc_cycles"`
	// Heap is the sampled heap over real time, bounded in length.
	Heap []Point `json:"heap,omitempty"`
}

// OS holds the operating system's view of the child.
type OS struct {
	// PeakRSS is the child's peak resident set during the upload phase,
	// from PeakRSSSource: "vmhwm" (VmHWM after a clear_refs reset at the
	// end of setup) or "maxrss" (wait4's whole-life figure).
	PeakRSS       int64  `json:"peak_rss"`
	PeakRSSSource string `json:"peak_rss_source"`
	VmHWM         int64  `json:"vmhwm"`
	// BaseRSS is the child's resident set when the upload phase began,
	// just after the reset: what PeakRSS rose from.
	BaseRSS int64 `json:"base_rss,omitempty"`
	MaxRSS  int64 `json:"maxrss"`
	// RSS is the child's resident set over real time, sampled by the
	// parent.
	RSS []Point `json:"rss,omitempty"`
}

// Write stores r as JSON at path atomically: a temporary file in the same
// directory, synced, then renamed into place. Missing directories are made.
func Write(path string, r *Record) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("result: %w", err)
	}
	return WriteFileAtomic(path, append(b, '\n'))
}

// WriteFileAtomic writes data to path through a temporary file and a rename.
func WriteFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("result: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("result: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644) // CreateTemp makes it 0600
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("result: write %s: %w", path, err)
	}
	return nil
}

// Read loads a record written by Write. A record of another version, or
// one without a scenario or strategy, is an error naming the file.
func Read(path string) (*Record, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("result: %w", err)
	}
	return Decode(b, path)
}

// Decode decodes a record as Write writes it; name is the file's name in
// errors.
func Decode(data []byte, name string) (*Record, error) {
	var r *Record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("result: %s: %w", name, err)
	}
	if err := check(r); err != nil {
		return nil, fmt.Errorf("result: %s: %w", name, err)
	}
	return r, nil
}
