package runner

import (
	"context"
	"slices"

	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/limiter"
	"github.com/fanbench/fanbench/harness/model"
	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/testnet"
	"github.com/fanbench/fanbench/harness/upload"
	"github.com/fanbench/fanbench/harness/xorname"
)

// Upload is what the analytic model needs of c's upload before any run:
// its chunks in upload order, the peers each one's first sends go to, and
// those peers' latencies, as a run of c would find them.
type Upload struct {
	c     Case
	Sizes []int // bytes, in upload order
	addrs []xorname.Name
	net   *testnet.Testnet
}

// NewUpload encrypts c's source in this process, or takes its spill from
// the cache when c has one (where c's runs then find it), and builds c's
// simulated network, whose peers' closeness and latencies the model uses.
// Close releases the network.
func NewUpload(ctx context.Context, c Case) (*Upload, error) {
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
	sizes, err := enc.ChunkSizes()
	if err != nil {
		return nil, err
	}
	net, err := testnet.New(c.Net)
	if err != nil {
		return nil, err
	}
	return &Upload{c: c, Sizes: sizes, addrs: enc.Chunks(), net: net}, nil
}

// Close releases the upload's network.
func (u *Upload) Close() { u.net.Close() }

// PredictAtCap returns the analytic model's peak of live tracked bytes for
// the upload with every wave at a store cap of cap (bounded by the client's
// byte budget, where it has one), before any run. It knows less than a
// run's own prediction (Record.ModelPeak): the proofs' sizes are estimated
// (56,000 bytes on the single-node path, 128,000 merkle), and a client
// that reads its cap per slot is taken to keep it at cap.
func (u *Upload) PredictAtCap(cap int) int64 {
	c, sizes := u.c, u.Sizes
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
	in.Peers, in.Latency = targets(u.net, u.addrs, wave)
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
