package upload

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/simtime"
	"github.com/fanbench/fanbench/harness/transport"
	"github.com/fanbench/fanbench/harness/upload/strategy"
	"github.com/fanbench/fanbench/harness/wire"
	"github.com/fanbench/fanbench/harness/xorname"
)

// newMessage prepares one chunk store's message: what its sends share, as
// the strategy builds it.
func (r *run) newMessage(addr xorname.Name, content *buffer.Buf, proof []byte, reqID uint64) *strategy.Message {
	m := &strategy.Message{Put: wire.Put{RequestID: reqID, Address: addr, Content: content.B, Proof: proof}, Content: content}
	if r.def.Prepare != nil {
		r.def.Prepare(r.heap, m)
	}
	return m
}

// putToCloseGroup stores one chunk on its close group
// (chunk_put_to_close_group, ant-client chunk.rs L98-154): the first
// CloseGroupMajority peers concurrently, the next peer in line for each
// failure, done at CloseGroupMajority successes (AlreadyExists counts),
// leftovers cancelled; ErrInsufficientPeers once the list is exhausted.
// Each per-peer send is a task.
func (r *run) putToCloseGroup(ctx context.Context, addr xorname.Name, content *buffer.Buf, proof []byte, peers []xorname.Name, timeout time.Duration, reqID uint64) error {
	ctx, cancel := simtime.WithCancel(ctx)
	defer cancel()
	m := r.newMessage(addr, content, proof, reqID)
	defer m.Release()

	results := simtime.NewQueue[error](ctx)
	launch := func(p xorname.Name) {
		r.c.sends.Add(1)
		simtime.Go(ctx, "put to peer", func(ctx context.Context) {
			results.Put(r.putToPeer(ctx, p, m, timeout))
		})
	}
	next := min(len(peers), CloseGroupMajority)
	for _, p := range peers[:next] {
		launch(p)
	}
	inflight, ok := next, 0
	var errs []error
	for inflight > 0 {
		err := results.Get()
		inflight--
		switch {
		case err == nil:
			ok++
			if ok == CloseGroupMajority {
				cancel() // drop the leftovers; wait for them to let go
			}
		case ok >= CloseGroupMajority:
			// a leftover ended by the cancel
		default:
			errs = append(errs, err)
			if errors.Is(err, transport.ErrTimeout) {
				r.c.touts.Add(1)
			} else {
				r.c.errs.Add(1)
			}
			if next < len(peers) && ctx.Err() == nil {
				r.c.fallbacks.Add(1)
				launch(peers[next])
				next++
				inflight++
			}
		}
	}
	if ok >= CloseGroupMajority {
		return nil
	}
	if err := ctx.Err(); err != nil && len(errs) == 0 {
		return err
	}
	return fmt.Errorf("chunk %s: %w: stored on %d peers, need %d: %w", addr.Short(), ErrInsufficientPeers, ok, CloseGroupMajority, errors.Join(errs...))
}

// putToPeer sends one PUT and waits for the answer (chunk_put_with_proof,
// chunk.rs L181-247). The per-peer buffers are what the strategies differ
// in; the response timeout starts only once the body is written
// (ant-protocol chunk_protocol.rs L45-54).
func (r *run) putToPeer(ctx context.Context, peer xorname.Name, m *strategy.Message, timeout time.Duration) error {
	out := r.def.Send(r.heap, m)
	if out.Done != nil {
		defer out.Done()
	}
	reply, err := r.tx.Send(ctx, peer, out.Parts...)
	if out.Sent != nil {
		out.Sent() // what lives only as long as the send goes now
	}
	if err != nil {
		return err
	}
	wctx, cancel := simtime.WithTimeout(ctx, timeout)
	defer cancel()
	_, err = reply.Wait(wctx)
	if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		err = transport.ErrTimeout
	}
	return err
}
