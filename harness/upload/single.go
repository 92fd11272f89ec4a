package upload

import (
	"context"
	"errors"
	"fmt"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/fanout"
	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/quote"
	"github.com/fanbench/fanbench/harness/simtime"
	"github.com/fanbench/fanbench/harness/uploader"
	"github.com/fanbench/fanbench/harness/xorname"
)

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
// buffers stay resident until the wave ends, a chunk's proof until its
// store ends.
func (r *run) single(ctx context.Context, addrs []xorname.Name) error {
	size := r.cfg.waves()
	for w := 0; w < len(addrs); w += size {
		wave := addrs[w:min(w+size, len(addrs))]
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
	simtime.Unordered(ctx, "quote chunk", len(wave), min(r.cfg.QuoteConcurrency, len(wave)), func(ctx context.Context, i int) {
		preps[i], errs[i] = r.quoteChunk(ctx, i, wave[i], r.sizes[first+i])
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
			r.alreadyStored.Add(1)
			r.chunkStored()
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
	txs := r.env.Ledger.PayQuotes(transfers)
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
		k := r.limit(len(todo), r.largest(first, len(wave)))
		r.res.Caps = append(r.res.Caps, k)
		failed := make([]bool, len(todo))
		simtime.Unordered(ctx, "store chunk", len(todo), k, func(ctx context.Context, i int) {
			p := todo[i]
			// PaidChunk is cloned per in-flight chunk for a possible retry;
			// the clone copies the proof bytes.
			paid := buffer.Copy(r.heap, buffer.ProofCopy, p.proof.B)
			defer paid.Release()
			err := r.observe(ctx, func() error {
				return r.put.Put(ctx, p.addr, bufs[p.idx], paid.B, p.peers, r.cfg.Client.Timeouts.Single, fanout.RequestID(p.addr, round))
			})
			if err != nil {
				failed[i] = true
				return
			}
			// The proof moved into the chunk's store future and goes when
			// that store ends (batch.rs L564-586 at 6cada1d), not at the
			// wave's end.
			p.proof.Release()
			p.proof = nil
			r.chunkStored()
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
			return fmt.Errorf("%w: %d chunks of the wave not stored after %d retries", uploader.ErrPartialUpload, len(next), MaxRetries)
		}
		todo = next
	}
}

// quoteChunk collects quotes for one chunk (package quote): nil for a
// chunk already stored on the network.
func (r *run) quoteChunk(ctx context.Context, idx int, addr xorname.Name, size int) (*prepared, error) {
	q, err := quote.Chunk(ctx, r.env.Net, addr, size, r.cfg.QuoteTimeout, r.cfg.QuoteOverallTimeout)
	if q == nil || err != nil {
		return nil, err
	}
	return &prepared{idx: idx, addr: addr, quotes: q.Quotes, peers: q.Peers}, nil
}
