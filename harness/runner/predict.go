package runner

import (
	"context"

	"github.com/fanbench/fanbench/harness/model"
	"github.com/fanbench/fanbench/harness/upload"
)

// ChunkSizes returns the chunk sizes of c's source in upload order, in
// bytes, as a run of c would upload them: it runs the encryption phase in
// this process, or takes the spill from the cache when c has one (where
// the runs of c then find it).
func ChunkSizes(ctx context.Context, c Case) ([]int, error) {
	cfg := upload.DefaultConfig()
	cfg.Strategy, cfg.Transport, cfg.Payment, cfg.CacheRoot = c.Strategy, c.Transport, c.Payment, c.CacheRoot
	u, err := upload.New(cfg)
	if err != nil {
		return nil, err
	}
	enc, err := u.Encrypt(ctx, c.Source)
	if err != nil {
		return nil, err
	}
	defer enc.Close()
	return enc.ChunkSizes()
}

// PredictAtCap returns the analytic model's peak of live tracked bytes for
// c's upload, of chunks of these sizes, with every wave at a store cap of
// cap, before any run: the proofs' sizes are estimated (56,000 bytes on the
// single-node path, 128,000 merkle), where a run's own prediction
// (Record.ModelPeak) takes the sizes its proofs had, so the two differ by
// a few hundred bytes per chunk at most.
func PredictAtCap(c Case, sizes []int, cap int) int64 {
	return model.Predict(modelInput(c, cap, sizes, 0)).Peak
}

// CapBound returns the highest store cap that changes how an upload of n
// chunks runs: a wave holds at most upload.WaveSize chunks, and a cap above
// a wave's chunks runs them all at once, as the cap of the wave's size does.
func CapBound(n int) int {
	return max(1, min(n, upload.WaveSize))
}
