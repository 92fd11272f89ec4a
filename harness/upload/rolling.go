package upload

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/fanout"
	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/simtime"
	"github.com/fanbench/fanbench/harness/uploader"
	"github.com/fanbench/fanbench/harness/xorname"
)

// --- the rolling paths: clients that read the cap per slot -----------------
//
// The newest client (client profile "newest") uploads records through
// upload_records (ant-client upload.rs, stored-file id 71652717909;
// native.rs id 68481434895): every record is loaded and checked once, one
// at a time; stores run through rolling_unordered, which re-reads the cap
// every time a slot frees (client_engine.rs id 65819248909); each store
// loads its chunk from the spill when it starts and drops it when it ends;
// every paid proof stays in UploadState for the whole upload
// (upload_state.rs id 68775549571).

// deferredDelays are the waits before the merkle path's deferred retry
// rounds (DEFERRED_ROUND_DELAYS_SECS = [0, 15, 45], merkle.rs id
// 61780559716).
var deferredDelays = []time.Duration{0, 15 * time.Second, 45 * time.Second}

// rolling runs do(ctx, i) for i in [0, n) through simtime.Rolling, which
// reads capOf before every launch as rolling_unordered does, and records
// each cap it read and the schedule it made (Result.Caps, LaunchAfter).
func (r *run) rolling(ctx context.Context, name string, n int, capOf func() int, do func(ctx context.Context, i int)) {
	simtime.Rolling(ctx, name, n, capOf, func(k, ended int) {
		r.res.NoteCap(k)
		r.res.LaunchAfter = append(r.res.LaunchAfter, ended)
	}, do)
}

// preflight loads and checks every chunk once, one at a time, before any
// store (upload_records' preflight: adapter.load, size and hash).
func (r *run) preflight(addrs []xorname.Name) error {
	for _, a := range addrs {
		b, err := r.enc.Spill().Read(a, r.heap)
		if err != nil {
			return err
		}
		ok := xorname.FromContent(b.B) == a
		b.Release()
		if !ok {
			return fmt.Errorf("chunk %s: content does not match its address", a.Short())
		}
	}
	return nil
}

// singleRolling uploads in waves of WaveSize: wave w's stores run beside
// the quoting of wave w+1 (futures::join!; after them unless the client
// overlaps them, client.Waves), which holds quotes only; each
// store loads its chunk at launch, retries inside its slot (store_paid_
// chunks_with_events: up to MaxRetries more rounds, BaseDelay doubling) and
// drops the chunk when it ends; every proof stays for the whole upload.
func (r *run) singleRolling(ctx context.Context, addrs []xorname.Name) error {
	if err := r.preflight(addrs); err != nil {
		return err
	}
	var kept []*buffer.Buf // every proof, for the whole upload
	defer func() { release(kept) }()
	size := r.cfg.waves()
	preps, err := r.prepareWave(ctx, 0, addrs[:min(size, len(addrs))])
	for w := 0; w < len(addrs); w += size {
		if err != nil {
			return err
		}
		wave := addrs[w:min(w+size, len(addrs))]
		r.res.Waves++
		var todo []*prepared
		for _, p := range preps {
			if p == nil { // already stored on the network
				r.alreadyStored.Add(1)
				r.chunkStored()
				continue
			}
			todo = append(todo, p)
		}
		kept = append(kept, r.paySingle(todo)...)

		var next []*prepared
		var nextErr error
		var g simtime.Group
		quoteNext := func(ctx context.Context) {
			if w+size < len(addrs) {
				next, nextErr = r.prepareWave(ctx, w+size, addrs[w+size:min(w+2*size, len(addrs))])
			}
		}
		if r.cfg.Client.Waves.OverlapQuotes {
			g.Go(ctx, "quote next wave", quoteNext)
		}
		largest := r.largest(w, len(wave))
		var failed []error
		r.rolling(ctx, "store chunk", len(todo), func() int { return r.limit(len(todo), largest) }, func(ctx context.Context, i int) {
			if err := r.storeRecord(ctx, todo[i]); err != nil {
				failed = append(failed, err)
				return
			}
			r.chunkStored()
		})
		g.Wait()
		if err := ctx.Err(); err != nil {
			return err
		}
		if len(failed) > 0 {
			return fmt.Errorf("%w: %d chunks of the wave not stored after %d retries: %w", uploader.ErrPartialUpload, len(failed), MaxRetries, errors.Join(failed...))
		}
		if !r.cfg.Client.Waves.OverlapQuotes {
			quoteNext(ctx)
		}
		preps, err = next, nextErr
	}
	return nil
}

// prepareWave quotes every chunk of wave, which starts at index first of
// the upload (prepare_upload_wave): nil for a chunk already stored.
func (r *run) prepareWave(ctx context.Context, first int, wave []xorname.Name) ([]*prepared, error) {
	preps := make([]*prepared, len(wave))
	errs := make([]error, len(wave))
	simtime.Unordered(ctx, "quote chunk", len(wave), min(r.cfg.QuoteConcurrency, len(wave)), func(ctx context.Context, i int) {
		preps[i], errs[i] = r.quoteChunk(ctx, i, wave[i], r.sizes[first+i])
		if preps[i] != nil {
			preps[i].idx = first + i // the index in the upload
		}
	})
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("quote: %w", err)
	}
	return preps, ctx.Err()
}

// paySingle pays for todo in one transaction and gives each its proof
// (site Proof), returned for the caller to keep. Each prepared's idx is
// its index in the upload.
func (r *run) paySingle(todo []*prepared) []*buffer.Buf {
	if len(todo) == 0 {
		return nil
	}
	var transfers []payment.Transfer
	for _, p := range todo {
		transfers = append(transfers, payment.SinglePayment(p.quotes)...)
	}
	txs := r.env.Ledger.PayQuotes(transfers)
	r.res.Transactions += len(txs)
	proofs := make([]*buffer.Buf, len(todo))
	for i, p := range todo {
		p.proof = buffer.Copy(r.heap, buffer.Proof, payment.EncodeSingleProof(p.quotes, txs))
		proofs[i] = p.proof
		r.proofMade(p.idx, len(p.proof.B))
	}
	return proofs
}

// storeRecord stores one paid chunk as its slot's future does: it loads the
// chunk, clones the proof into a PaidChunk (reuse_prepared), and runs up to
// 1 + MaxRetries rounds, each with one more clone kept to the round's end
// for a retry, the wait between rounds doubling from BaseDelay.
func (r *run) storeRecord(ctx context.Context, p *prepared) error {
	chunk, err := r.enc.Spill().Read(p.addr, r.heap)
	if err != nil {
		return err
	}
	defer chunk.Release()
	paid := buffer.Copy(r.heap, buffer.ProofCopy, p.proof.B)
	defer func() { paid.Release() }()
	for round := 0; ; round++ {
		if round > 0 {
			r.res.RetryRounds++
			if err := simtime.Sleep(ctx, BaseDelay<<(round-1)); err != nil {
				return err
			}
		}
		clone := buffer.Copy(r.heap, buffer.ProofCopy, paid.B) // chunk_clone
		err := r.observe(ctx, func() error {
			return r.put.Put(ctx, p.addr, chunk, paid.B, p.peers, r.cfg.Client.Timeouts.Single, fanout.RequestID(p.addr, round))
		})
		paid.Release()
		paid = clone
		if err == nil || round == MaxRetries || ctx.Err() != nil {
			return err
		}
	}
}

// merkleRolling pays for every chunk up front and keeps every proof, then
// stores all chunks in one rolling pass, the cap bounded by the byte budget
// over the largest of all records (store_upload_merkle); each store loads
// its chunk and clones its proof (state.proof(&address).cloned()) at
// launch. Chunks that fail are retried in deferred rounds after
// deferredDelays. paid reports whether the payment succeeded.
func (r *run) merkleRolling(ctx context.Context, addrs []xorname.Name) (paid bool, err error) {
	if err := r.preflight(addrs); err != nil {
		return false, err
	}
	held, err := r.payMerkle(ctx, addrs)
	if err != nil {
		return false, err
	}
	defer func() {
		for _, a := range addrs {
			held[a].Release()
		}
	}()
	r.res.Waves++
	largest := r.largest(0, len(addrs))
	todo := addrs
	for round := 0; ; round++ {
		failed := make([]bool, len(todo))
		errs := make([]error, len(todo))
		r.rolling(ctx, "store chunk", len(todo), func() int { return r.limit(len(todo), largest) }, func(ctx context.Context, i int) {
			addr := todo[i]
			proof := held[addr]
			if proof == nil {
				failed[i], errs[i] = true, fmt.Errorf("chunk %s: no payment proof", addr.Short())
				return
			}
			chunk, err := r.enc.Spill().Read(addr, r.heap)
			if err != nil {
				failed[i], errs[i] = true, err
				return
			}
			defer chunk.Release()
			clone := buffer.Copy(r.heap, buffer.ProofCopy, proof.B)
			defer clone.Release()
			peers := r.env.Net.Closest(addr, fanout.CloseGroupSize)
			err = r.observe(ctx, func() error {
				return r.put.Put(ctx, addr, chunk, clone.B, peers, r.cfg.Client.Timeouts.Merkle, fanout.RequestID(addr, round))
			})
			if err != nil {
				failed[i], errs[i] = true, err
				return
			}
			r.chunkStored()
		})
		if err := ctx.Err(); err != nil {
			return true, err
		}
		var next []xorname.Name
		var last []error
		for i, f := range failed {
			if f {
				next, last = append(next, todo[i]), append(last, errs[i])
			}
		}
		if len(next) == 0 {
			return true, nil
		}
		if round == len(deferredDelays) {
			return true, fmt.Errorf("%w: %d chunks not stored after %d deferred rounds: %w", uploader.ErrPartialUpload, len(next), len(deferredDelays), errors.Join(last...))
		}
		r.res.RetryRounds++
		if err := simtime.Sleep(ctx, deferredDelays[round]); err != nil {
			return true, err
		}
		todo = next
	}
}
