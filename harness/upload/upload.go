package upload

import (
	"context"
	"encoding/binary"
	"errors"
	"time"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/limiter"
	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/simtime"
	"github.com/fanbench/fanbench/harness/transport"
	"github.com/fanbench/fanbench/harness/upload/strategy"
	"github.com/fanbench/fanbench/harness/xorname"
	"github.com/zeebo/blake3"
)

// run is the state of one upload phase.
type run struct {
	cfg    *Config
	def    strategy.Def // the buffer strategy's
	heap   *buffer.Heap
	net    Network
	tx     *transport.Sender
	policy limiter.Policy
	enc    *Encrypted
	sizes  []int // every chunk's size, in upload order
	total  int
	c      counters
	res    Result
}

// clientKeySize is the ML-DSA-65 public key size the client's envelopes
// carry (saorsa-core WireMessage.public_key).
const clientKeySize = 1952

// EnvelopeTimestamp is the fixed timestamp (Unix seconds, 2026-04-28) the
// model's envelopes carry, so every strategy puts the same bytes on the
// wire.
const EnvelopeTimestamp = 1777334400

// Upload runs the upload phase: it pays for and stores every chunk of enc
// on net. It returns an error wrapping ErrPartialUpload when chunks remain
// unstored; the Result still says how far it got.
//
// The phase is a simulation on net's virtual clock: the upload and every
// concurrent future of the real client (a chunk's store, a per-peer send,
// a quote request) is a simtime task, and they run one at a time, so the
// buffers live at each virtual instant, and the outcome, depend on the
// model and its inputs only. CPU and disk work take no virtual time.
func (u *Uploader) Upload(ctx context.Context, enc *Encrypted, net Network) (Result, error) {
	clock := net.Clock()
	start, simStart := time.Now(), clock.Now()
	r := &run{cfg: &u.cfg, heap: u.cfg.heap(), net: net, policy: u.cfg.Store(), enc: enc}
	r.def, _ = u.cfg.Strategy.Def() // New checked it
	r.tx = newClientSender(net, r.heap, u.cfg.Transport, u.cfg.Client)
	addrs := enc.Chunks()
	sizes, err := enc.ChunkSizes()
	if err != nil {
		return Result{}, err
	}
	r.sizes = sizes
	r.total = len(addrs)
	r.res.Chunks = len(addrs)
	err = clock.Run(ctx, "upload", func(ctx context.Context) error { return r.upload(ctx, addrs) })
	r.res.Stored = int(r.c.stored.Load())
	r.res.AlreadyStored = int(r.c.alreadyStored.Load())
	r.res.Sends, r.res.Fallbacks = r.c.sends.Load(), r.c.fallbacks.Load()
	r.res.PeerErrors, r.res.PeerTimeouts = r.c.errs.Load(), r.c.touts.Load()
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
	return err
}

func newClientSender(net Network, h *buffer.Heap, copies bool, p client.Profile) *transport.Sender {
	key := make([]byte, clientKeySize)
	blake3.DeriveKey("fanbench client public key", nil, key)
	return transport.NewSender(net, h, copies, p.Transport, xorname.FromContent(key), EnvelopeTimestamp, key)
}

// limit returns the store concurrency for items chunks whose largest is
// largest bytes: the policy's, bounded by the client's byte budget (or the
// policy's own, for the budget limiter) as max(1, budget / largest).
func (r *run) limit(items int, largest int) int {
	k := r.policy.Limit(items)
	if b, ok := r.policy.(limiter.WaveLimiter); ok {
		k = b.LimitFor(items, int64(largest))
	}
	if budget := r.cfg.Client.Store.ByteBudget; budget > 0 {
		k = max(1, min(k, limiter.BudgetBound(budget, int64(largest))))
	}
	return k
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

// readWave reads every chunk of a wave from the spill (read_wave). Disk
// work takes no virtual time.
func (r *run) readWave(addrs []xorname.Name) ([]*buffer.Buf, error) {
	bufs := make([]*buffer.Buf, len(addrs))
	for i, a := range addrs {
		b, err := r.enc.dir.Read(a, r.heap)
		if err != nil {
			release(bufs)
			return nil, err
		}
		bufs[i] = b
	}
	return bufs, nil
}

func release(bufs []*buffer.Buf) {
	for _, b := range bufs {
		b.Release()
	}
}

// proofMade counts the payment proof of the i-th chunk in upload order.
func (r *run) proofMade(i, size int) {
	if r.res.ProofSizes == nil {
		r.res.ProofSizes = make([]int, r.total)
	}
	r.res.ProofSizes[i] = size
	r.res.Proofs++
	r.res.ProofBytes += int64(size)
}

func (r *run) stored(n int) {
	s := r.c.stored.Add(int64(n))
	if r.cfg.Progress != nil {
		r.cfg.Progress(int(s), r.total)
	}
}

// requestID is the ChunkMessage request id of a chunk's store round. The
// real client takes ids from a counter starting at 1, so they stay far below
// 2^56 and their varint never changes the encode buffer's growth (an id of 9
// or more varint bytes would start the Vec at 9 or 10 bytes instead of 8 and
// end it at 4.5 or 5 MiB instead of 8 MiB). The model derives the id from the
// address and round instead, so every strategy writes the same bytes; it
// lies in [2^28, 2^35), so its varint is always RequestIDLen bytes and the
// analytic model knows every message's length. Departure: 3 or 4 bytes more
// per message than the counter's 1 or 2, which no Vec's capacity notices.
func requestID(addr xorname.Name, round int) uint64 {
	return 1<<34 | uint64(binary.LittleEndian.Uint32(addr[:4]))<<2 | uint64(round&3)
}

// ModelRequestID is a request id of the same varint length as every id
// the model sends (5 bytes), for computing message lengths.
const ModelRequestID = 1 << 34

// unordered runs do(ctx, i) for i in [0, n) with at most k running at
// once, like futures' buffer_unordered(k): each is a task named name, and a
// new one starts as each finishes, at the same virtual instant. It stops
// starting new ones once ctx ends, and returns when every one started has
// finished.
func (r *run) unordered(ctx context.Context, name string, n, k int, do func(ctx context.Context, i int)) {
	slots := simtime.NewSemaphore(ctx, k)
	var g simtime.Group
	for i := range n {
		if slots.Acquire(ctx) != nil {
			break
		}
		g.Go(ctx, name, func(ctx context.Context) {
			defer slots.Release()
			do(ctx, i)
		})
	}
	g.Wait()
}

// observe runs one close-group put and feeds its outcome and latency to the
// store policy, as observe_op does: one sample per chunk.
func (r *run) observe(ctx context.Context, put func() error) error {
	start := simtime.Now(ctx)
	err := put()
	if ctx.Err() != nil {
		return err // cancelled by the caller, not a capacity signal
	}
	r.policy.Observe(limiter.Sample{Outcome: classify(err), Latency: simtime.Now(ctx) - start})
	return err
}

// classify maps a store error to an AIMD outcome (classify_error, mod.rs
// L50-70): InsufficientPeers and remote errors are network errors.
func classify(err error) limiter.Outcome {
	switch {
	case err == nil:
		return limiter.Success
	case errors.Is(err, transport.ErrTimeout):
		return limiter.Timeout
	default:
		return limiter.NetworkError
	}
}
