package runner

import (
	"context"
	"slices"

	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/limiter"
	"github.com/fanbench/fanbench/harness/model"
	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/upload"
	"github.com/fanbench/fanbench/harness/uploader"
)

// ChunkSizes returns the chunk sizes of c's source in upload order, in
// bytes, as a run of c would upload them: it runs the encryption phase in
// this process, or takes the spill from the cache when c has one (where
// the runs of c then find it).
func ChunkSizes(ctx context.Context, c Case) ([]int, error) {
	def, err := uploader.Lookup(c.Uploader)
	if err != nil {
		return nil, err
	}
	s := uploader.DefaultSettings()
	u, err := def.New(c.settings(s.Store, s.Client))
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
// cap (bounded by the client's byte budget, where it has one), before any
// run. It knows less than a run's own prediction (Record.ModelPeak): the
// proofs' sizes are estimated (56,000 bytes on the single-node path,
// 128,000 merkle), and every send has a connection of its own, with no
// latency, where a run's chunks share their peers'.
//
// It follows the default uploader's waves (package upload), and returns 0
// for a case of another uploader.
func PredictAtCap(c Case, sizes []int, cap int) int64 {
	if c.uploaderName() != uploader.Default {
		return 0
	}
	prof, err := c.profile()
	if err != nil {
		prof, _ = client.Lookup("")
	}
	wave := upload.WaveSize
	merkle := payment.UseMerkle(len(sizes), c.Payment)
	if merkle && prof.Store.CapRead == client.PerSlot {
		wave = len(sizes) // one rolling pass
	}
	in := modelInput(c, wave, sizes, 0)
	in.Client, in.UplinkBitsPerSec = prof, c.Net.Net.UplinkBitsPerSec
	for _, w := range in.Waves {
		k := min(cap, len(w))
		if b := prof.Store.ByteBudget; b > 0 {
			k = max(1, min(k, limiter.BudgetBound(b, int64(slices.Max(w)))))
		}
		in.Caps = append(in.Caps, k)
	}
	return model.Predict(in).Peak
}

// Baseline returns the resident memory, in bytes, c's client holds besides
// its buffers (client.Profile.Baseline).
func (c Case) Baseline() int64 {
	p, err := c.profile()
	if err != nil {
		return 0
	}
	return p.Baseline
}

// CapBound returns the highest store cap that changes how an upload of n
// chunks runs: a wave holds at most upload.WaveSize chunks, and a cap above
// a wave's chunks runs them all at once, as the cap of the wave's size does.
func CapBound(n int) int {
	return max(1, min(n, upload.WaveSize))
}
