package runner

import (
	"context"
	"slices"
	"time"

	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/fanout"
	"github.com/fanbench/fanbench/harness/limiter"
	"github.com/fanbench/fanbench/harness/model"
	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/testnet"
	"github.com/fanbench/fanbench/harness/upload"
	"github.com/fanbench/fanbench/harness/uploader"
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
//
// It follows the default uploader's waves (package upload), and returns 0
// for a case of another uploader.
func (u *Upload) PredictAtCap(cap int) int64 {
	c, sizes := u.c, u.Sizes
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
	in.Peers, in.Latency = targets(u.net, u.addrs, wave)
	for _, w := range in.Waves {
		in.Caps = append(in.Caps, limiter.StoreCap(limiter.Fixed(cap), len(w), int64(slices.Max(w)), prof.Store.ByteBudget))
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

// targets numbers the peers each chunk's first sends go to, for the
// model's connections, in waves as the model takes them: with no faults
// both paths send to the chunk's closest peers, nearest first; and the
// one-way latency of each peer so numbered.
func targets(net *testnet.Testnet, addrs []xorname.Name, size int) (peers [][][]int, latency []time.Duration) {
	number := map[xorname.Name]int{}
	for w := 0; w < len(addrs); w += size {
		var wave [][]int
		for _, a := range addrs[w:min(w+size, len(addrs))] {
			var ps []int
			for _, p := range net.Closest(a, fanout.CloseGroupMajority) {
				n, ok := number[p]
				if !ok {
					n = len(number)
					number[p] = n
					latency = append(latency, net.Latency(p))
				}
				ps = append(ps, n)
			}
			wave = append(wave, ps)
		}
		peers = append(peers, wave)
	}
	return peers, latency
}

// modelInput describes c's upload for the model: waves of the chunk sizes,
// wave chunks each, merkle as Auto would choose.
func modelInput(c Case, wave int, sizes []int, proofSize int) model.Input {
	in := model.Input{Strategy: c.Strategy, Transport: c.Transport, Merkle: payment.UseMerkle(len(sizes), c.Payment), ProofSize: proofSize}
	if proofSize == 0 {
		in.ProofSize = 56_000 // a hint only: the real size comes from the run
		if in.Merkle {
			in.ProofSize = 128_000
		}
	}
	for w := 0; w < len(sizes); w += wave {
		in.Waves = append(in.Waves, sizes[w:min(w+wave, len(sizes))])
	}
	return in
}
