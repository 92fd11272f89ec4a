package runner

import (
	"context"
	"testing"

	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/upload/strategy"
)

// TestPredictAtCap checks the prediction made before any run against a
// run's own, for every client: the same chunks, peers and latencies, so
// they differ only by the proofs, whose sizes the first estimates (56,000
// bytes each; a run's are its own, a few hundred bytes apart).
func TestPredictAtCap(t *testing.T) {
	for _, cl := range client.Names() {
		c := smallCase(t, strategy.CopyPerPeer, true)
		c.Client = cl
		up, err := NewUpload(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		before := up.PredictAtCap(8)
		up.Close()
		rec := RunChild(context.Background(), DefaultJob(c, 1, t.TempDir()), nil)
		if rec.Status != result.OK || rec.ModelPeak == 0 {
			t.Fatalf("%s: %s %s, model %d", cl, rec.Status, rec.Error, rec.ModelPeak)
		}
		// Each chunk's proof is held a few times over (the wave's, the
		// PaidChunk, the per-peer clones): at most 16 copies of 3 proofs.
		if d := before - rec.ModelPeak; d < -16*3*2000 || d > 16*3*2000 {
			t.Errorf("%s: predicted %d before the run, %d by it", cl, before, rec.ModelPeak)
		}
	}
}
