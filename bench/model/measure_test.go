package model_test

import (
	"context"
	"testing"

	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/runner"
	"github.com/fanbench/fanbench/harness/upload/strategy"
)

// BenchmarkOverhead runs the same upload (the seed case at a fixed cap of
// 8, -size to change it) with measurement on and off, in this process, in
// pairs whose order alternates, so that a drift in the host's speed falls
// on both alike. It reports, per pair, the upload phase's wall time with
// measurement on and off (upload-on-ns/op, upload-off-ns/op) and how much
// longer on took (wall-overhead-%); the bytes the harness allocated during
// the phase, alloc-B(on) − alloc-B(off) (harness-alloc-B), and their share
// of the tracked peak (alloc-share-%); and the tracked peak itself
// (peak-live-B). The goals are ≤ 5 % more wall time and ≤ 2 % of the peak.
func BenchmarkOverhead(b *testing.B) {
	c := runner.SeedCase()
	c.Source.Size = *size
	c.Limiter = "fixed:8"
	c.CacheRoot = b.TempDir()
	for _, s := range []strategy.Strategy{strategy.CopyPerPeer, strategy.Streamed} {
		c.Strategy = s
		b.Run("mode="+s.String(), func(b *testing.B) {
			run := func(bare bool) *result.Record {
				job := runner.DefaultJob(c, 1, b.TempDir())
				job.Bare = bare
				rec := runner.RunChild(context.Background(), job, nil)
				if rec.Status != result.OK {
					b.Fatalf("measure=%v: %s: %s", !bare, rec.Status, rec.Error)
				}
				return rec
			}
			// A first run fills the spill cache; it is not counted.
			run(false)
			var wall, alloc [2]float64 // [on, off]
			var peak float64
			n := 0
			for b.Loop() {
				order := []bool{false, true} // bare: off
				if n%2 == 1 {
					order = []bool{true, false}
				}
				for _, bare := range order {
					rec := run(bare)
					k := 0
					if bare {
						k = 1
					} else {
						peak = float64(rec.Live.Peak)
					}
					wall[k] += float64(rec.Upload.Wall)
					alloc[k] += float64(rec.Runtime.AllocBytes)
				}
				n++
			}
			// The loop's own time includes setup; report the phase's.
			b.ReportMetric(wall[0]/float64(n), "upload-on-ns/op")
			b.ReportMetric(wall[1]/float64(n), "upload-off-ns/op")
			b.ReportMetric(100*(wall[0]/wall[1]-1), "wall-overhead-%")
			extra := (alloc[0] - alloc[1]) / float64(n)
			b.ReportMetric(extra, "harness-alloc-B")
			b.ReportMetric(100*extra/peak, "alloc-share-%")
			b.ReportMetric(peak, "peak-live-B")
		})
	}
}
