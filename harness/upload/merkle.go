package upload

import (
	"context"
	"fmt"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/fanout"
	"github.com/fanbench/fanbench/harness/simtime"
	"github.com/fanbench/fanbench/harness/uploader"
	"github.com/fanbench/fanbench/harness/xorname"
)

// --- merkle payment path --------------------------------------------------

// merkle pays for every chunk up front, keeps every proof for the whole
// upload, then stores wave by wave (file.rs L1334-1433). paid reports
// whether the payment step succeeded. The first failed chunk aborts.
func (r *run) merkle(ctx context.Context, addrs []xorname.Name) (paid bool, err error) {
	held, err := r.payMerkle(ctx, addrs)
	if err != nil {
		return false, err
	}
	defer func() {
		for _, a := range addrs {
			held[a].Release()
		}
	}()

	size := r.cfg.waves()
	for w := 0; w < len(addrs); w += size {
		wave := addrs[w:min(w+size, len(addrs))]
		r.res.Waves++
		bufs, err := r.readWave(wave)
		if err != nil {
			return true, err
		}
		k := r.limit(len(wave), r.largest(w, len(wave)))
		r.res.Caps = append(r.res.Caps, k)
		wctx, cancel := simtime.WithCancel(ctx)
		var first error
		simtime.Unordered(wctx, "store chunk", len(wave), k, func(ctx context.Context, i int) {
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
			// batch_result.proofs.get(&addr).cloned(): one more copy of
			// the proof per chunk in flight (file.rs L1440 at 6cada1d).
			clone := buffer.Copy(r.heap, buffer.ProofCopy, proof.B)
			defer clone.Release()
			peers := r.env.Net.Closest(addr, fanout.CloseGroupSize)
			err := r.observe(ctx, func() error {
				return r.put.Put(ctx, addr, chunk, clone.B, peers, r.cfg.Client.Timeouts.Merkle, fanout.RequestID(addr, 0))
			})
			if err != nil {
				if first == nil {
					first = err
					cancel()
				}
				return
			}
			r.chunkStored()
		})
		cancel()
		release(bufs) // chunks never started after an abort
		if first != nil {
			return true, fmt.Errorf("%w: chunk failed: %w", uploader.ErrPartialUpload, first)
		}
		if err := ctx.Err(); err != nil {
			return true, err
		}
	}
	return true, nil
}

// payMerkle pays for addrs by merkle batches and returns each paid chunk's
// proof (site Proof), for the caller to release.
func (r *run) payMerkle(ctx context.Context, addrs []xorname.Name) (map[xorname.Name]*buffer.Buf, error) {
	before := r.env.Ledger.Transactions()
	// Each proof is copied to its site as it is made, in upload order, so
	// every run allocates and frees in the same order and the harness's
	// heap holds one proof at a time.
	held := make(map[xorname.Name]*buffer.Buf, len(addrs))
	err := r.env.Ledger.PayMerkleEach(ctx, addrs, r.env.Net.Candidates, func(i int, proof []byte) {
		held[addrs[i]] = buffer.Copy(r.heap, buffer.Proof, proof)
		r.proofMade(i, len(proof))
	})
	r.res.Transactions += r.env.Ledger.Transactions() - before
	if err != nil {
		for _, a := range addrs {
			held[a].Release()
		}
		return nil, fmt.Errorf("merkle payment: %w", err)
	}
	return held, nil
}
