package externalsigner

import (
	"context"
	"errors"
	"fmt"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/fanout"
	"github.com/fanbench/fanbench/harness/limiter"
	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/simtime"
	"github.com/fanbench/fanbench/harness/uploader"
	"github.com/fanbench/fanbench/harness/xorname"
)

// errMerklePrepare marks an error of the merkle prepare, which Auto may
// fall back from.
var errMerklePrepare = errors.New("external merkle prepare")

// merkle prepares and pays the merkle batch of addrs, waits for the
// wallet and stores every chunk; bodies holds every chunk's body before
// 0.3.3 and is nil since.
func (r *run) merkle(ctx context.Context, addrs []xorname.Name, bodies []*buffer.Buf) error {
	if r.cfg.Version == HoldsBodies && len(addrs) > payment.MaxLeaves {
		// One MerkleTree of at most MAX_LEAVES leaves per prepared upload
		// until 0.3.3 (CHANGELOG [0.3.3]).
		return fmt.Errorf("%w: %d chunks: before ant-client 0.3.3 an external merkle upload is one payment batch of at most %d", errMerklePrepare, len(addrs), payment.MaxLeaves)
	}
	held, err := r.payMerkle(ctx, addrs)
	if err != nil {
		return err
	}
	defer func() {
		for _, a := range addrs {
			held[a].Release()
		}
	}()
	if err := r.signWait(ctx); err != nil {
		return err
	}
	r.res.Waves++
	if r.cfg.Version == HoldsBodies {
		return r.storeHeld(ctx, addrs, bodies, held)
	}
	return r.storeFromSpill(ctx, addrs, held)
}

// payMerkle pays for addrs by merkle batches and returns each paid chunk's
// proof (site Proof), for the caller to release: the batch prepared
// (candidate pools gathered) and, as the ledger sees it, paid by the
// wallet. An error before any payment wraps errMerklePrepare.
func (r *run) payMerkle(ctx context.Context, addrs []xorname.Name) (map[xorname.Name]*buffer.Buf, error) {
	before := r.env.Ledger.Transactions()
	// Each proof is copied to its site as it is made, in upload order.
	held := make(map[xorname.Name]*buffer.Buf, len(addrs))
	err := r.env.Ledger.PayMerkleEach(ctx, addrs, r.env.Net.Candidates, func(i int, proof []byte) {
		held[addrs[i]] = buffer.Copy(r.heap, buffer.Proof, proof)
		r.res.ProofMade(i, len(addrs), len(proof))
	})
	r.res.Transactions += r.env.Ledger.Transactions() - before
	if err != nil && len(held) == 0 {
		return nil, fmt.Errorf("%w: merkle payment: %w", errMerklePrepare, err)
	}
	// A later sub-batch unpaid (since 0.3.3, several batches): the paid
	// ones store, the unpaid chunks fail at their store.
	return held, nil
}

// storeHeld stores every chunk before 0.3.3 (merkle_upload_chunks and
// merkle_store_with_retry, 95a23be merkle.rs L819-1010): the cap
// min(current, chunks) read once; each store clones its proof at launch
// (batch_result.proofs.get(&addr).cloned()) and carries its body, which
// it drops when it ends stored; a chunk short of quorum keeps its body
// for the next attempt, MerkleRetryBackoff later, up to
// MerkleStoreMaxAttempts in all; any other failure ends the upload.
func (r *run) storeHeld(ctx context.Context, addrs []xorname.Name, bodies []*buffer.Buf, held map[xorname.Name]*buffer.Buf) error {
	// store_limiter.current().min(batch_size), with no byte budget
	k := limiter.StoreCap(r.policy, len(addrs), r.largest(nil), 0)
	r.res.Caps = append(r.res.Caps, k)
	pending := make([]int, len(addrs))
	for i := range pending {
		pending[i] = i
	}
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			r.res.RetryRounds++
			if err := simtime.Sleep(ctx, MerkleRetryBackoff); err != nil {
				return err
			}
		}
		var short []int // chunks short of quorum, bodies kept
		var fatal error
		actx, cancel := simtime.WithCancel(ctx)
		simtime.Unordered(actx, "store chunk", len(pending), max(1, min(k, len(pending))), func(ctx context.Context, j int) {
			i := pending[j]
			addr := addrs[i]
			proof := held[addr]
			if proof == nil {
				if fatal == nil {
					fatal = fmt.Errorf("chunk %s: no merkle proof", addr.Short())
					cancel()
				}
				return
			}
			clone := buffer.Copy(r.heap, buffer.ProofCopy, proof.B)
			peers := r.env.Net.Closest(addr, fanout.CloseGroupSize)
			err := fanout.Observe(ctx, r.policy, func() error {
				return r.put.Put(ctx, addr, bodies[i], clone.B, peers, r.cfg.Client.Timeouts.Merkle, fanout.RequestID(addr, attempt))
			})
			clone.Release() // it moved into the store, which has ended
			switch {
			case err == nil:
				bodies[i].Release()
				bodies[i] = nil
				r.chunkStored()
			case errors.Is(err, fanout.ErrInsufficientPeers):
				short = append(short, i)
			case fatal == nil:
				fatal = err
				cancel()
			}
		})
		cancel()
		if fatal != nil {
			return fmt.Errorf("%w: chunk failed: %w", uploader.ErrPartialUpload, fatal)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if len(short) == 0 {
			return nil
		}
		if attempt+1 == MerkleStoreMaxAttempts {
			return fmt.Errorf("%w: %d chunks short of quorum after %d attempts", uploader.ErrPartialUpload, len(short), MerkleStoreMaxAttempts)
		}
		pending = short
	}
}

// storeFromSpill stores every paid chunk since 0.3.3
// (upload_merkle_from_spill, native.rs id 61613608677;
// merkle_store_with_retry and merkle_deferred_retry, merkle.rs id
// 61780559716): one rolling pass whose cap, clamp(current, 1,
// MerkleStoreMaxInFlight), is read again whenever a slot frees; each store
// clones its proof, then reads its body from the spill, and drops both when
// it ends; chunks that fail are retried in deferred rounds after
// DeferredDelays. The chunks of a batch the wallet did not pay are not
// stored: they end the upload partial (CHANGELOG [0.3.3]).
func (r *run) storeFromSpill(ctx context.Context, addrs []xorname.Name, held map[xorname.Name]*buffer.Buf) error {
	var todo []int
	for i, a := range addrs {
		if held[a] != nil {
			todo = append(todo, i)
		}
	}
	unpaid := len(addrs) - len(todo)
	largest := r.largest(nil)
	for round := 0; ; round++ {
		failed := make([]bool, len(todo))
		errs := make([]error, len(todo))
		// merkle_store_cap(store.current()), with no byte budget
		capOf := func() int { return min(limiter.StoreCap(r.policy, len(todo), largest, 0), MerkleStoreMaxInFlight) }
		simtime.Rolling(ctx, "store chunk", len(todo), capOf, func(k, ended int) {
			r.res.NoteCap(k)
			r.res.LaunchAfter = append(r.res.LaunchAfter, ended)
		}, func(ctx context.Context, j int) {
			addr := addrs[todo[j]]
			clone := buffer.Copy(r.heap, buffer.ProofCopy, held[addr].B)
			defer clone.Release()
			body, err := r.enc.Spill().Read(addr, r.heap)
			if err != nil {
				failed[j], errs[j] = true, err
				return
			}
			defer body.Release()
			peers := r.env.Net.Closest(addr, fanout.CloseGroupSize)
			err = fanout.Observe(ctx, r.policy, func() error {
				return r.put.Put(ctx, addr, body, clone.B, peers, r.cfg.Client.Timeouts.Merkle, fanout.RequestID(addr, round))
			})
			if err != nil {
				failed[j], errs[j] = true, err
				return
			}
			r.chunkStored()
		})
		if err := ctx.Err(); err != nil {
			return err
		}
		var next []int
		var last []error
		for j, f := range failed {
			if f {
				next, last = append(next, todo[j]), append(last, errs[j])
			}
		}
		if len(next) == 0 && unpaid > 0 {
			return fmt.Errorf("%w: %d chunks of unpaid merkle batches", uploader.ErrPartialUpload, unpaid)
		}
		if len(next) == 0 {
			return nil
		}
		if round == len(DeferredDelays) {
			return fmt.Errorf("%w: %d chunks not stored after %d deferred rounds: %w", uploader.ErrPartialUpload, len(next), len(DeferredDelays), errors.Join(last...))
		}
		r.res.RetryRounds++
		if err := simtime.Sleep(ctx, DeferredDelays[round]); err != nil {
			return err
		}
		todo = next
	}
}
