package upload

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/limiter"
	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/simtime"
	"github.com/fanbench/fanbench/harness/transport"
	"github.com/fanbench/fanbench/harness/xorname"
	"github.com/zeebo/blake3"
)

// run is the state of one upload phase.
type run struct {
	cfg    *Config
	heap   *buffer.Heap
	net    Network
	tx     *transport.Sender
	policy limiter.Policy
	enc    *Encrypted
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
	r.tx = newClientSender(net, r.heap, u.cfg.Transport)
	addrs := enc.Chunks()
	r.total = len(addrs)
	r.res.Chunks = len(addrs)
	err := clock.Run(ctx, "upload", func(ctx context.Context) error { return r.upload(ctx, addrs) })
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
	if merkle {
		r.res.Mode = payment.Merkle
		var paid bool
		paid, err = r.merkle(ctx, addrs)
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
		err = r.single(ctx, addrs)
	}
	return err
}

func newClientSender(net Network, h *buffer.Heap, copies bool) *transport.Sender {
	key := make([]byte, clientKeySize)
	blake3.DeriveKey("fanbench client public key", nil, key)
	return transport.NewSender(net, h, copies, xorname.FromContent(key), EnvelopeTimestamp, key)
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

// --- single-node payment path -------------------------------------------

// prepared is a quoted chunk: its 7 quoted peers sorted by XOR distance and,
// after payment, its proof (site Proof).
type prepared struct {
	idx    int // index in the wave
	addr   xorname.Name
	quotes []payment.PeerQuote
	peers  []xorname.Name
	proof  *buffer.Buf
}

// single uploads in waves of WaveSize (upload_waves_single, file.rs
// L1272-1325): read, quote, pay once, store with retries; the wave's chunk
// buffers stay resident until the wave ends.
func (r *run) single(ctx context.Context, addrs []xorname.Name) error {
	for w := 0; w < len(addrs); w += WaveSize {
		wave := addrs[w:min(w+WaveSize, len(addrs))]
		if err := r.singleWave(ctx, w, wave); err != nil {
			return err
		}
	}
	return nil
}

// singleWave runs the wave of addrs starting at index first.
func (r *run) singleWave(ctx context.Context, first int, wave []xorname.Name) error {
	r.res.Waves++
	bufs, err := r.readWave(wave)
	if err != nil {
		return err
	}
	defer release(bufs)

	// Quote every chunk (prepare_wave, batch.rs L462-527).
	preps := make([]*prepared, len(wave))
	errs := make([]error, len(wave))
	r.unordered(ctx, "quote chunk", len(wave), min(r.cfg.QuoteConcurrency, len(wave)), func(ctx context.Context, i int) {
		preps[i], errs[i] = r.quoteChunk(ctx, i, wave[i], len(bufs[i].B))
	})
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("quote: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var todo []*prepared
	for _, p := range preps {
		if p == nil { // already stored on the network
			r.c.alreadyStored.Add(1)
			r.stored(1)
			continue
		}
		todo = append(todo, p)
	}
	if len(todo) == 0 {
		return nil
	}

	// One payment for the whole wave (batch_pay).
	var transfers []payment.Transfer
	for _, p := range todo {
		transfers = append(transfers, payment.SinglePayment(p.quotes)...)
	}
	txs := r.net.Ledger().PayQuotes(transfers)
	r.res.Transactions += len(txs)
	for _, p := range todo {
		// An exact-size copy: the encoder's own buffer is sized for the
		// worst case, about twice the proof, and becomes garbage here.
		p.proof = buffer.Copy(r.heap, buffer.Proof, payment.EncodeSingleProof(p.quotes, txs))
		r.proofMade(first+p.idx, len(p.proof.B))
	}
	defer func() {
		for _, p := range todo {
			p.proof.Release()
		}
	}()

	// Store, then retry the failures as a set (batch.rs L545-641).
	for round := 0; ; round++ {
		if round > 0 {
			r.res.RetryRounds++
			if err := simtime.Sleep(ctx, BaseDelay<<(round-1)); err != nil {
				return err
			}
		}
		k := r.policy.Limit(len(todo))
		r.res.Caps = append(r.res.Caps, k)
		failed := make([]bool, len(todo))
		r.unordered(ctx, "store chunk", len(todo), k, func(ctx context.Context, i int) {
			p := todo[i]
			// PaidChunk is cloned per in-flight chunk for a possible retry;
			// the clone copies the proof bytes.
			paid := buffer.Copy(r.heap, buffer.ProofCopy, p.proof.B)
			defer paid.Release()
			err := r.observe(ctx, func() error {
				return r.putToCloseGroup(ctx, p.addr, bufs[p.idx], paid.B, p.peers, r.cfg.SingleStoreTimeout, requestID(p.addr, round))
			})
			if err != nil {
				failed[i] = true
				return
			}
			r.stored(1)
		})
		if err := ctx.Err(); err != nil {
			return err
		}
		var next []*prepared
		for i, f := range failed {
			if f {
				next = append(next, todo[i])
			}
		}
		if len(next) == 0 {
			return nil
		}
		if round == MaxRetries {
			return fmt.Errorf("%w: %d chunks of the wave not stored after %d retries", ErrPartialUpload, len(next), MaxRetries)
		}
		todo = next
	}
}

// quoteChunk collects quotes for one chunk (quote.rs L47-255): the 14
// closest peers are asked concurrently; if at least 4 of the 7 closest
// respondents already store it, it is skipped (nil); otherwise the 7
// closest successful quotes are kept.
func (r *run) quoteChunk(ctx context.Context, idx int, addr xorname.Name, size int) (*prepared, error) {
	ctx, cancel := simtime.WithTimeout(ctx, r.cfg.QuoteOverallTimeout)
	defer cancel()
	peers := r.net.Closest(addr, QuotePeers)
	if len(peers) < CloseGroupSize {
		return nil, fmt.Errorf("chunk %s: %w: %d peers found", addr.Short(), ErrInsufficientPeers, len(peers))
	}
	type answer struct {
		q      payment.PeerQuote
		stored bool
		ok     bool
	}
	answers := make([]answer, len(peers))
	var g simtime.Group
	for i, p := range peers {
		g.Go(ctx, "quote request", func(ctx context.Context) {
			qctx, cancel := simtime.WithTimeout(ctx, r.cfg.QuoteTimeout)
			defer cancel()
			q, stored, err := r.net.Quote(qctx, p, addr, size)
			answers[i] = answer{q: q, stored: stored, ok: err == nil}
		})
	}
	g.Wait()
	// peers is nearest first, so answers are too.
	var kept []payment.PeerQuote
	storedVotes, closest := 0, 0
	for _, a := range answers {
		if !a.ok {
			continue
		}
		if closest < CloseGroupSize {
			closest++
			if a.stored {
				storedVotes++
			}
		}
		if len(kept) < CloseGroupSize {
			kept = append(kept, a.q)
		}
	}
	if storedVotes >= AlreadyStoredQuorum {
		return nil, nil
	}
	if len(kept) < CloseGroupSize {
		return nil, fmt.Errorf("chunk %s: %w: %d quotes", addr.Short(), ErrInsufficientPeers, len(kept))
	}
	p := &prepared{idx: idx, addr: addr, quotes: kept, peers: make([]xorname.Name, len(kept))}
	for i, q := range kept {
		p.peers[i] = q.Peer
	}
	sort.Slice(p.peers, func(i, j int) bool { return xorname.Closer(addr, p.peers[i], p.peers[j]) })
	return p, nil
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

// --- merkle payment path --------------------------------------------------

// merkle pays for every chunk up front, keeps every proof for the whole
// upload, then stores wave by wave (file.rs L1334-1433). paid reports
// whether the payment step succeeded. The first failed chunk aborts.
func (r *run) merkle(ctx context.Context, addrs []xorname.Name) (paid bool, err error) {
	before := r.net.Ledger().Transactions()
	proofs, err := payment.PayMerkle(ctx, addrs, r.net.Candidates, r.net.Ledger())
	r.res.Transactions += r.net.Ledger().Transactions() - before
	if err != nil {
		return false, fmt.Errorf("merkle payment: %w", err)
	}
	// In upload order, never the map's, so every run allocates and frees
	// in the same order.
	held := make(map[xorname.Name]*buffer.Buf, len(proofs))
	for i, a := range addrs {
		p, ok := proofs[a]
		if !ok {
			continue // a partial payment: the store of a fails
		}
		held[a] = buffer.Copy(r.heap, buffer.Proof, p)
		r.proofMade(i, len(p))
	}
	clear(proofs)
	defer func() {
		for _, a := range addrs {
			held[a].Release()
		}
	}()

	for w := 0; w < len(addrs); w += WaveSize {
		wave := addrs[w:min(w+WaveSize, len(addrs))]
		r.res.Waves++
		bufs, err := r.readWave(wave)
		if err != nil {
			return true, err
		}
		k := r.policy.Limit(len(wave))
		r.res.Caps = append(r.res.Caps, k)
		wctx, cancel := simtime.WithCancel(ctx)
		var first error
		r.unordered(wctx, "store chunk", len(wave), k, func(ctx context.Context, i int) {
			// Each future owns its chunk and drops it when it completes.
			chunk := bufs[i]
			bufs[i] = nil
			defer chunk.Release()
			addr := wave[i]
			proof := held[addr]
			if proof == nil { // a partial payment left it unpaid
				if first == nil {
					first = fmt.Errorf("chunk %s: no payment proof", addr.Short())
					cancel()
				}
				return
			}
			peers := r.net.Closest(addr, CloseGroupSize)
			err := r.observe(ctx, func() error {
				return r.putToCloseGroup(ctx, addr, chunk, proof.B, peers, r.cfg.MerkleStoreTimeout, requestID(addr, 0))
			})
			if err != nil {
				if first == nil {
					first = err
					cancel()
				}
				return
			}
			r.stored(1)
		})
		cancel()
		release(bufs) // chunks never started after an abort
		if first != nil {
			return true, fmt.Errorf("%w: chunk failed: %w", ErrPartialUpload, first)
		}
		if err := ctx.Err(); err != nil {
			return true, err
		}
	}
	return true, nil
}
