package externalsigner

import (
	"context"
	"errors"
	"fmt"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/fanout"
	"github.com/fanbench/fanbench/harness/limiter"
	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/quote"
	"github.com/fanbench/fanbench/harness/simtime"
	"github.com/fanbench/fanbench/harness/uploader"
	"github.com/fanbench/fanbench/harness/xorname"
)

// paidChunk is a chunk of the wave-batch variant: a PreparedChunk (its
// body, its quotes and peers), then, once paid, a PaidChunk (its proof).
type paidChunk struct {
	idx    int // index in the upload
	quotes []payment.PeerQuote
	peers  []xorname.Name
	proof  *buffer.Buf // site Proof, then ProofCopy after a failed round
}

// waveBatch runs the wave-batch variant over every chunk of addrs, whose
// bodies are held in bodies: it quotes them all, each prepared chunk
// holding its body (prepare_wave_batch_external_chunks, 95a23be file.rs
// L1638-1700); waits for the wallet; pays every quote in one transaction
// and gives each chunk its proof (finalize_batch_payment); and stores the
// paid chunks (store_paid_chunks_with_events, batch.rs L732-): per round
// the client's cap over the chunks left, read once; each store clones its
// PaidChunk at launch; a store that ends stored drops the chunk's body and
// proofs, one that fails keeps the clone, body included, for the next
// round, WaveBaseDelay doubling, up to WaveMaxRetries more rounds.
func (r *run) waveBatch(ctx context.Context, addrs []xorname.Name, bodies []*buffer.Buf) error {
	r.res.Waves++
	chunks := make([]*paidChunk, len(addrs))
	errs := make([]error, len(addrs))
	simtime.Unordered(ctx, "quote chunk", len(addrs), min(r.cfg.QuoteConcurrency, len(addrs)), func(ctx context.Context, i int) {
		q, err := quote.Chunk(ctx, r.env.Net, addrs[i], r.sizes[i], r.cfg.QuoteTimeout, r.cfg.QuoteOverallTimeout)
		if q == nil || err != nil {
			errs[i] = err
			return
		}
		chunks[i] = &paidChunk{idx: i, quotes: q.Quotes, peers: q.Peers}
	})
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("quote: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var todo []*paidChunk
	for i, c := range chunks {
		if c == nil { // already stored: its body went with its quote
			bodies[i].Release()
			bodies[i] = nil
			r.alreadyStored.Add(1)
			r.chunkStored()
			continue
		}
		todo = append(todo, c)
	}
	if len(todo) == 0 {
		return nil
	}
	if err := r.signWait(ctx); err != nil {
		return err
	}

	var transfers []payment.Transfer
	for _, c := range todo {
		transfers = append(transfers, payment.SinglePayment(c.quotes)...)
	}
	txs := r.env.Ledger.PayQuotes(transfers)
	r.res.Transactions += len(txs)
	for _, c := range todo {
		c.proof = buffer.Copy(r.heap, buffer.Proof, payment.EncodeSingleProof(c.quotes, txs))
		r.res.ProofMade(c.idx, len(addrs), len(c.proof.B))
	}
	defer func() {
		for _, c := range todo {
			c.proof.Release()
		}
	}()

	idx := make([]int, len(todo))
	for j, c := range todo {
		idx[j] = c.idx
	}
	largest := r.largest(idx) // max_chunk_bytes, over the paid chunks
	for round := 0; ; round++ {
		if round > 0 {
			r.res.RetryRounds++
			if err := simtime.Sleep(ctx, WaveBaseDelay<<(round-1)); err != nil {
				return err
			}
		}
		k := limiter.StoreCap(r.policy, len(todo), largest, r.cfg.Client.Store.ByteBudget)
		r.res.Caps = append(r.res.Caps, k)
		failed := make([]bool, len(todo))
		simtime.Unordered(ctx, "store chunk", len(todo), k, func(ctx context.Context, j int) {
			c := todo[j]
			addr := addrs[c.idx]
			clone := buffer.Copy(r.heap, buffer.ProofCopy, c.proof.B) // chunk.clone()
			err := fanout.Observe(ctx, r.policy, func() error {
				return r.put.Put(ctx, addr, bodies[c.idx], c.proof.B, c.peers, r.cfg.Client.Timeouts.Single, fanout.RequestID(addr, round))
			})
			c.proof.Release() // it moved into the store, which has ended
			c.proof = clone
			if err != nil {
				failed[j] = true
				return
			}
			c.proof.Release()
			c.proof = nil
			bodies[c.idx].Release()
			bodies[c.idx] = nil
			r.chunkStored()
		})
		if err := ctx.Err(); err != nil {
			return err
		}
		var next []*paidChunk
		for j, f := range failed {
			if f {
				next = append(next, todo[j])
			}
		}
		if len(next) == 0 {
			return nil
		}
		if round == WaveMaxRetries {
			return fmt.Errorf("%w: %d chunks not stored after %d retries", uploader.ErrPartialUpload, len(next), WaveMaxRetries)
		}
		todo = next
	}
}
