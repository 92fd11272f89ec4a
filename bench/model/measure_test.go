package model_test

import (
	"context"
	"testing"

	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/runner"
	"github.com/fanbench/fanbench/harness/upload/strategy"
)

// BenchmarkOverhead runs the same upload (the seed case, -size to change
// it) with measurement on and off, in this process, and reports the upload
// phase's wall time (ns/op), the bytes allocated during it (alloc-B) and,
// with measurement on, the tracked peak (peak-live-B). The harness's own
// allocations are alloc-B(on) − alloc-B(off); the goal is ≤ 2 % of
// peak-live-B, and ≤ 5 % more wall time.
func BenchmarkOverhead(b *testing.B) {
	c := runner.SeedCase()
	c.Source.Size = *size
	c.Limiter = "fixed:8"
	c.CacheRoot = b.TempDir()
	for _, s := range []strategy.Strategy{strategy.CopyPerPeer, strategy.Streamed} {
		c.Strategy = s
		for _, bare := range []bool{false, true} {
			name := "mode=" + s.String() + "/measure=on"
			if bare {
				name = "mode=" + s.String() + "/measure=off"
			}
			b.Run(name, func(b *testing.B) {
				var wall, alloc, peak float64
				n := 0
				for b.Loop() {
					job := runner.DefaultJob(c, 1, b.TempDir())
					job.Bare = bare
					rec := runner.RunChild(context.Background(), job, nil)
					if rec.Status != result.OK {
						b.Fatalf("%s: %s", rec.Status, rec.Error)
					}
					wall += float64(rec.Upload.Wall)
					alloc += float64(rec.Runtime.AllocBytes)
					peak += float64(rec.Live.Peak)
					n++
				}
				// The loop's own time includes setup; report the phase's.
				b.ReportMetric(wall/float64(n), "upload-ns/op")
				b.ReportMetric(alloc/float64(n), "alloc-B")
				if !bare {
					b.ReportMetric(peak/float64(n), "peak-live-B")
				}
			})
		}
	}
}
