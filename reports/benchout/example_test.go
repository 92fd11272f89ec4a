package benchout_test

import (
	"log"
	"os"

	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/reports/benchout"
)

// Write turns records into a file that benchstat reads; the limiter
// fixed:8 is written fixed8 (see NameValue), and the -2 is GOMAXPROCS.
func ExampleWrite() {
	recs := []*result.Record{{
		Scenario: "smoke", Strategy: "streamed", Limiter: "fixed:8", Rep: 1, Status: result.OK,
		Env:     result.Env{GOOS: "linux", GOARCH: "amd64", GOMAXPROCS: 2, GOGC: 100},
		Upload:  result.Upload{Wall: 250_000_000, Sim: 7_000_000_000},
		Live:    result.Live{Peak: 22_382_807},
		Runtime: result.Runtime{PeakHeap: 57_616_696, AllocBytes: 41_642_376, AllocObjects: 14_014},
		OS:      result.OS{PeakRSS: 68_026_368, PeakRSSSource: "vmhwm"},
		// No ModelPeak: the model does not cover this run.
	}}
	cfg := benchout.ConfigOf(recs)
	cfg.Version = "v0.1.0"
	if err := benchout.Write(os.Stdout, recs, cfg); err != nil {
		log.Fatal(err)
	}
	// Output:
	// Unit ns/op better=lower
	// Unit ns/op assume=nothing
	// Unit peak-live-B better=lower
	// Unit peak-live-B assume=exact
	// Unit client-resident-B better=lower
	// Unit client-resident-B assume=exact
	// Unit peak-heap-B better=lower
	// Unit peak-heap-B assume=nothing
	// Unit peak-RSS-B better=lower
	// Unit peak-RSS-B assume=nothing
	// Unit alloc-B better=lower
	// Unit alloc-B assume=nothing
	// Unit allocs better=lower
	// Unit allocs assume=nothing
	// Unit model-peak-B better=lower
	// Unit model-peak-B assume=exact
	// Unit sim-ns/op better=lower
	// Unit sim-ns/op assume=exact
	//
	// goos: linux
	// goarch: amd64
	// gomaxprocs: 2
	// gogc: 100
	// fanbench-version: v0.1.0
	//
	// BenchmarkUpload/scenario=smoke/mode=streamed/limiter=fixed8-2 1 2.5e+08 ns/op 2.2382807e+07 peak-live-B 5.7616696e+07 peak-heap-B 6.8026368e+07 peak-RSS-B 4.1642376e+07 alloc-B 14014 allocs 7e+09 sim-ns/op
}
