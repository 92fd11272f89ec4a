package table

import (
	"bytes"
	"flag"
	"path/filepath"
	"testing"

	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// run is a finished measured run of strategy at limiter in scenario s.
func run(s, strategy, limiter string, rep int, live, model, rss int64) *result.Record {
	return &result.Record{Scenario: s, Strategy: strategy, Limiter: limiter, Rep: rep, Status: result.OK, Stored: 9, Total: 9,
		Live: result.Live{Peak: live}, ModelPeak: model, Memory: result.Memory{PeakResident: live + 22<<20},
		Runtime: result.Runtime{PeakHeap: live + 30<<20}, OS: result.OS{PeakRSS: rss},
		Upload: result.Upload{Caps: []int{8}, Sim: 7_008_000_000, Wall: 382_000_000 + int64(rep)*1_000_000}}
}

// TestWrite renders the table of a batch of two scenarios: medians with
// their spread, a case with a failed run, a case whose runs were all killed
// (figures marked ≥), and profiling runs left out.
func TestWrite(t *testing.T) {
	const mib = 1 << 20
	oom := func(s, strategy string, rep int, live int64) *result.Record {
		return &result.Record{Scenario: s, Strategy: strategy, Limiter: "warm:64", Rep: rep, Status: result.OOM, Stored: 0, Total: 260,
			Live: result.Live{Peak: live}, Memory: result.Memory{PeakResident: live}, OS: result.OS{PeakRSS: live}}
	}
	recs := []*result.Record{
		run("seed-20mb", "copy-per-peer", "aimd", 1, 201*mib, 201*mib, 250*mib),
		run("seed-20mb", "copy-per-peer", "aimd", 2, 201*mib, 201*mib, 252*mib),
		run("seed-20mb", "streamed", "aimd", 1, 23*mib, 23*mib, 74*mib),
		run("seed-20mb", "streamed", "aimd", 2, 23*mib, 23*mib, 75*mib),
		{Scenario: "seed-20mb", Strategy: "streamed", Limiter: "aimd", Rep: 3, Status: result.Timeout, Total: 9},
		oom("vm4g-1gb", "copy-per-peer", 1, 4400*mib),
		oom("vm4g-1gb", "copy-per-peer", 2, 4410*mib),
		{Scenario: "seed-20mb", Strategy: "streamed", Limiter: "aimd", Profile: true, Status: result.OK, Live: result.Live{Peak: 99 * mib}},
	}
	var b bytes.Buffer
	if err := Write(&b, recs); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "table.golden"), b.Bytes(), *update)

	// One scenario: no scenario column.
	b.Reset()
	if err := Write(&b, recs[:4]); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "one-scenario.golden"), b.Bytes(), *update)
}
