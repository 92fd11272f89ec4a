package upload

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/fanout"
	"github.com/fanbench/fanbench/harness/limiter"
	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/uploader"
	"github.com/fanbench/fanbench/harness/xorname"
)

// run is the state of one upload phase.
type run struct {
	cfg    *Config
	env    uploader.Env
	heap   *buffer.Heap
	put    *fanout.Putter
	policy limiter.Policy
	enc    *uploader.Encrypted
	sizes  []int // every chunk's size, in upload order
	total  int
	// stored and alreadyStored count chunks as they end.
	stored, alreadyStored atomic.Int64
	res                   uploader.Result
}

// Upload runs the upload phase: it pays for and stores every chunk of enc
// on env's network. It returns an error wrapping uploader.ErrPartialUpload
// when chunks remain unstored; the Result still says how far it got.
//
// The phase is a simulation on env's virtual clock: the upload and every
// concurrent future of the real client (a chunk's store, a per-peer send,
// a quote request) is a simtime task, and they run one at a time, so the
// buffers live at each virtual instant, and the outcome, depend on the
// model and its inputs only. CPU and disk work take no virtual time.
func (u *Uploader) Upload(ctx context.Context, enc *uploader.Encrypted, env uploader.Env) (uploader.Result, error) {
	clock := env.Clock
	start, simStart := time.Now(), clock.Now()
	r := &run{cfg: &u.cfg, env: env, heap: env.HeapOrGo(), policy: u.cfg.Store(), enc: enc}
	put, err := fanout.New(r.heap, fanout.NewSender(env.Net, r.heap, u.cfg.Transport, u.cfg.Client), u.cfg.Strategy)
	if err != nil {
		return uploader.Result{}, err
	}
	r.put = put
	addrs := enc.Chunks()
	sizes, err := enc.ChunkSizes()
	if err != nil {
		return uploader.Result{}, err
	}
	r.sizes = sizes
	r.total = len(addrs)
	r.res.Chunks = len(addrs)
	err = clock.Run(ctx, "upload", func(ctx context.Context) error { return r.upload(ctx, addrs) })
	r.res.Stored = int(r.stored.Load())
	r.res.AlreadyStored = int(r.alreadyStored.Load())
	c := &r.put.Counts
	r.res.Sends, r.res.Fallbacks = c.Sends.Load(), c.Fallbacks.Load()
	r.res.PeerErrors, r.res.PeerTimeouts = c.Errors.Load(), c.Timeouts.Load()
	r.res.Elapsed, r.res.SimElapsed = time.Since(start), clock.Now()-simStart
	return r.res, err
}

// upload is the phase's first task: merkle or single waves, as Auto picks.
func (r *run) upload(ctx context.Context, addrs []xorname.Name) error {
	merkle := payment.UseMerkle(len(addrs), r.cfg.Payment)
	var err error
	rolling := r.cfg.Client.Store.CapRead == client.PerSlot
	if merkle {
		r.res.Mode = payment.Merkle
		var paid bool
		if rolling {
			paid, err = r.merkleRolling(ctx, addrs)
		} else {
			paid, err = r.merkle(ctx, addrs)
		}
		// Auto falls back to single waves when merkle payment cannot find
		// enough peers (file.rs L1178-1191), but not once part of it is
		// paid.
		if !paid && r.cfg.Payment == payment.Auto && errors.Is(err, payment.ErrInsufficientPeers) && !errors.Is(err, payment.ErrPartialPayment) {
			r.res.FellBack = true
			merkle = false
		}
	}
	if !merkle {
		r.res.Mode = payment.Single
		if rolling {
			err = r.singleRolling(ctx, addrs)
		} else {
			err = r.single(ctx, addrs)
		}
	}
	// How the waves held their chunks and proofs: as the client's profile
	// says; a rolling client stores every merkle chunk in one pass.
	r.res.Held = uploader.Held{Wave: r.cfg.waves(), PerRecord: r.cfg.Client.Waves.LoadPerRecord, KeepProofs: r.cfg.Client.Waves.KeepProofs}
	if merkle && rolling {
		r.res.Held.Wave = len(addrs)
	}
	return err
}

// limit returns the store concurrency for items chunks whose largest is
// largest bytes: the policy's, bounded by the client's byte budget (or the
// policy's own, for the budget limiter) as max(1, budget / largest).
func (r *run) limit(items int, largest int) int {
	return limiter.StoreCap(r.policy, items, int64(largest), r.cfg.Client.Store.ByteBudget)
}

// largest returns the size of the largest chunk among addrs, which start
// at index first of the upload.
func (r *run) largest(first, n int) int {
	m := 0
	for _, s := range r.sizes[first : first+n] {
		m = max(m, s)
	}
	return m
}

// readWave reads every chunk of a wave from the spill (read_wave).
func (r *run) readWave(addrs []xorname.Name) ([]*buffer.Buf, error) {
	return r.enc.ReadChunks(addrs, r.heap)
}

func release(bufs []*buffer.Buf) {
	for _, b := range bufs {
		b.Release()
	}
}

// proofMade counts the payment proof of the i-th chunk in upload order.
func (r *run) proofMade(i, size int) { r.res.ProofMade(i, r.total, size) }

func (r *run) chunkStored() {
	s := r.stored.Add(1)
	if r.env.Progress != nil {
		r.env.Progress(int(s), r.total)
	}
}

// observe runs one close-group put and feeds its outcome and latency to the
// store policy, as observe_op does: one sample per chunk.
func (r *run) observe(ctx context.Context, put func() error) error {
	return fanout.Observe(ctx, r.policy, put)
}
