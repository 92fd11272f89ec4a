package upload

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/limiter"
	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/transport"
	"github.com/fanbench/fanbench/harness/xorname"
	"github.com/zeebo/blake3"
)

// run is the state of one upload phase.
type run struct {
	cfg    *Config
	meter  buffer.Meter
	net    Network
	tx     *transport.Sender
	policy limiter.Policy
	enc    *Encrypted
	// cpu is the one token the transport's part of a send's build (its
	// clones, signing and serialisation) holds. Builds take no simulated
	// time (the clock stands still meanwhile), so running that part one
	// send at a time changes no send's timing; it fixes which transient
	// copies (a channel clone, the signable bytes) can coincide at the
	// peak: exactly one send's. Departure: the real client builds on a
	// tokio worker per core, so up to that many can be half done at once,
	// a few MB more.
	cpu   chan struct{}
	total int
	c     counters
	res   Result
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
func (u *Uploader) Upload(ctx context.Context, enc *Encrypted, net Network) (Result, error) {
	start, simStart := time.Now(), net.Clock().Now()
	r := &run{cfg: &u.cfg, meter: u.cfg.meter(), net: net, policy: u.cfg.Store(), enc: enc, cpu: make(chan struct{}, 1)}
	r.tx = newClientSender(net, r.meter, u.cfg.Transport, r.build)
	addrs := enc.Chunks()
	r.total = len(addrs)
	r.res.Chunks = len(addrs)

	merkle := payment.UseMerkle(len(addrs), u.cfg.Payment)
	var err error
	if merkle {
		r.res.Mode = payment.Merkle
		var paid bool
		paid, err = r.merkle(ctx, addrs)
		// Auto falls back to single waves when merkle payment cannot find
		// enough peers (file.rs L1178-1191), but not once part of it is
		// paid.
		if !paid && u.cfg.Payment == payment.Auto && errors.Is(err, payment.ErrInsufficientPeers) && !errors.Is(err, payment.ErrPartialPayment) {
			r.res.FellBack = true
			merkle = false
		}
	}
	if !merkle {
		r.res.Mode = payment.Single
		err = r.single(ctx, addrs)
	}
	r.res.Stored = int(r.c.stored.Load())
	r.res.AlreadyStored = int(r.c.alreadyStored.Load())
	r.res.Sends, r.res.Fallbacks = r.c.sends.Load(), r.c.fallbacks.Load()
	r.res.PeerErrors, r.res.PeerTimeouts = r.c.errs.Load(), r.c.touts.Load()
	r.res.Elapsed, r.res.SimElapsed = time.Since(start), net.Clock().Now()-simStart
	return r.res, err
}

func newClientSender(net Network, m buffer.Meter, copies bool, build func() func()) *transport.Sender {
	key := make([]byte, clientKeySize)
	blake3.DeriveKey("fanbench client public key", nil, key)
	return transport.NewSender(net, m, copies, xorname.FromContent(key), EnvelopeTimestamp, key, build)
}

// build marks the start of the transport's part of a send's build and
// returns the function that marks its end: it takes the token and freezes
// the simulated clock meanwhile.
func (r *run) build() (done func()) {
	r.cpu <- struct{}{}
	idle := r.net.Clock().Busy()
	return func() {
		idle()
		<-r.cpu
	}
}

// readWave reads every chunk of a wave from the spill (read_wave). Disk
// work takes no simulated time.
func (r *run) readWave(addrs []xorname.Name) ([]*buffer.Buf, error) {
	defer r.net.Clock().Busy()()
	bufs := make([]*buffer.Buf, len(addrs))
	for i, a := range addrs {
		b, err := r.enc.dir.Read(a, r.meter)
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
// address and round instead of a counter, so every strategy writes the same
// bytes whatever order the sends run in; it stays below 2^34.
func requestID(addr xorname.Name, round int) uint64 {
	return uint64(binary.LittleEndian.Uint32(addr[:4]))<<2 | uint64(round&3)
}

// unordered runs do(i) for i in [0, n) with at most k running at once, like
// futures' buffer_unordered(k): a new one starts as each finishes. It stops
// starting new ones once ctx ends. Each do starts with the simulated clock
// held (see launch) and must call started when it first waits.
func (r *run) unordered(ctx context.Context, n, k int, do func(i int, started func())) {
	sem := make(chan struct{}, k)
	var wg sync.WaitGroup
	// The launcher holds the clock too while it starts tasks, so nothing
	// moves between one task's start and the next's.
	launching := r.hold()
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		select {
		case sem <- struct{}{}:
		default:
			// Every slot is busy: let the clock run until one frees.
			launching()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				wg.Wait()
				return
			}
			launching = r.hold()
		}
		started := r.hold()
		wg.Go(func() {
			defer func() { <-sem }()
			defer started()
			do(i, started)
		})
	}
	launching()
	wg.Wait()
}

// hold freezes the simulated clock for a task about to start and returns
// the function (safe to call more than once) that lets it go. Futures
// polled together all run to their first await at the same instant; a
// goroutine starts a little later, and the clock would run meanwhile, so a
// task holds the clock from its launch until its first wait.
func (r *run) hold() func() {
	rel := r.net.Clock().Busy()
	var once sync.Once
	return func() { once.Do(rel) }
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
		if err := r.singleWave(ctx, wave); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) singleWave(ctx context.Context, wave []xorname.Name) error {
	r.res.Waves++
	bufs, err := r.readWave(wave)
	if err != nil {
		return err
	}
	defer release(bufs)

	// Quote every chunk (prepare_wave, batch.rs L462-527).
	preps := make([]*prepared, len(wave))
	errs := make([]error, len(wave))
	r.unordered(ctx, len(wave), min(r.cfg.QuoteConcurrency, len(wave)), func(i int, started func()) {
		started()
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
	idle := r.net.Clock().Busy()
	txs := r.net.Ledger().PayQuotes(transfers)
	r.res.Transactions += len(txs)
	for _, p := range todo {
		// An exact-size copy: the encoder's own buffer is sized for the
		// worst case, about twice the proof, and becomes garbage here.
		p.proof = buffer.Copy(r.meter, buffer.Proof, payment.EncodeSingleProof(p.quotes, txs))
		r.res.Proofs++
		r.res.ProofBytes += int64(len(p.proof.B))
	}
	idle()
	defer func() {
		for _, p := range todo {
			p.proof.Release()
		}
	}()

	// Store, then retry the failures as a set (batch.rs L545-641).
	for round := 0; ; round++ {
		if round > 0 {
			r.res.RetryRounds++
			if err := r.net.Clock().Sleep(ctx, BaseDelay<<(round-1)); err != nil {
				return err
			}
		}
		k := r.policy.Limit(len(todo))
		r.res.Caps = append(r.res.Caps, k)
		failed := make([]bool, len(todo))
		r.unordered(ctx, len(todo), k, func(i int, started func()) {
			p := todo[i]
			// PaidChunk is cloned per in-flight chunk for a possible retry;
			// the clone copies the proof bytes.
			idle := r.net.Clock().Busy()
			paid := buffer.Copy(r.meter, buffer.ProofCopy, p.proof.B)
			idle()
			defer paid.Release()
			err := r.observe(ctx, func() error {
				return r.putToCloseGroup(ctx, p.addr, bufs[p.idx], paid.B, p.peers, r.cfg.SingleStoreTimeout, requestID(p.addr, round), started)
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
	ctx, cancel := r.net.Clock().WithTimeout(ctx, r.cfg.QuoteOverallTimeout)
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
	var wg sync.WaitGroup
	for i, p := range peers {
		wg.Go(func() {
			qctx, cancel := r.net.Clock().WithTimeout(ctx, r.cfg.QuoteTimeout)
			defer cancel()
			q, stored, err := r.net.Quote(qctx, p, addr, size)
			answers[i] = answer{q: q, stored: stored, ok: err == nil}
		})
	}
	wg.Wait()
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
	clock := r.net.Clock()
	start := clock.Now()
	err := put()
	if ctx.Err() != nil {
		return err // cancelled by the caller, not a capacity signal
	}
	r.policy.Observe(limiter.Sample{Outcome: classify(err), Latency: clock.Now() - start})
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
	idle := r.net.Clock().Busy()
	held := make(map[xorname.Name]*buffer.Buf, len(proofs))
	for a, p := range proofs {
		held[a] = buffer.Copy(r.meter, buffer.Proof, p)
		r.res.Proofs++
		r.res.ProofBytes += int64(len(p))
	}
	clear(proofs)
	idle()
	defer func() {
		for _, b := range held {
			b.Release()
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
		wctx, cancel := context.WithCancel(ctx)
		var once sync.Once
		var first error
		r.unordered(wctx, len(wave), k, func(i int, started func()) {
			// Each future owns its chunk and drops it when it completes.
			chunk := bufs[i]
			bufs[i] = nil
			defer chunk.Release()
			addr := wave[i]
			peers := r.net.Closest(addr, CloseGroupSize)
			err := r.observe(wctx, func() error {
				return r.putToCloseGroup(wctx, addr, chunk, held[addr].B, peers, r.cfg.MerkleStoreTimeout, requestID(addr, 0), started)
			})
			if err != nil {
				once.Do(func() { first = err; cancel() })
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
