package upload

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/simtime"
	"github.com/fanbench/fanbench/harness/transport"
	"github.com/fanbench/fanbench/harness/wire"
	"github.com/fanbench/fanbench/harness/xorname"
)

// message is what the peer sends of one chunk store share. Which fields are
// set depends on the strategy: EncodeOnce shares one encoded frame,
// Streamed shares a header and a trailer around the chunk.
type message struct {
	put         wire.Put    // Content and Proof alias the caller's buffers
	content     *buffer.Buf // the wave's chunk (bytes::Bytes)
	frame       *buffer.Buf // EncodeOnce
	head, trail *buffer.Buf // Streamed
}

func (r *run) newMessage(addr xorname.Name, content *buffer.Buf, proof []byte, reqID uint64) *message {
	m := &message{put: wire.Put{RequestID: reqID, Address: addr, Content: content.B, Proof: proof}, content: content}
	switch r.cfg.Strategy {
	case EncodeOnce:
		m.frame = r.encode(&m.put, wire.ContentBytes)
	case Streamed:
		m.head = buffer.New(r.heap, buffer.Encode, m.put.HeaderLen(), m.put.HeaderLen())
		m.head.B = m.put.AppendHeader(m.head.B)
		m.trail = buffer.New(r.heap, buffer.Encode, m.put.TrailerLen(), m.put.TrailerLen())
		m.trail.B = m.put.AppendTrailer(m.trail.B)
	}
	return m
}

func (m *message) release() {
	m.frame.Release()
	m.head.Release()
	m.trail.Release()
}

// encode runs the model of postcard::to_stdvec: a buffer at site Encode with
// the capacity the real Vec ends with.
func (r *run) encode(p *wire.Put, k wire.ContentKind) *buffer.Buf {
	b := buffer.NewVec(r.heap, buffer.Encode, p.Growth(k))
	b.B = p.Append(b.B)
	return b
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
	defer m.release()

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
func (r *run) putToPeer(ctx context.Context, peer xorname.Name, m *message, timeout time.Duration) error {
	var (
		reply transport.Reply
		err   error
	)
	switch r.cfg.Strategy {
	case CopyPerPeer:
		// ChunkPutRequest::with_payment(address, content.to_vec(), proof.clone())
		content := buffer.Copy(r.heap, buffer.PeerCopy, m.content.B)
		defer content.Release()
		proof := buffer.Copy(r.heap, buffer.ProofCopy, m.put.Proof)
		defer proof.Release()
		put := m.put
		put.Content, put.Proof = content.B, proof.B
		enc := r.encode(&put, wire.ContentVec)
		reply, err = r.tx.Send(ctx, peer, enc.B)
		enc.Release() // the encoded message lives until the send returns
	case SharedBuffer:
		// The Bytes is shared; the proof is still cloned per peer.
		content := m.content.Retain()
		defer content.Release()
		proof := buffer.Copy(r.heap, buffer.ProofCopy, m.put.Proof)
		defer proof.Release()
		put := m.put
		put.Proof = proof.B
		enc := r.encode(&put, wire.ContentBytes)
		reply, err = r.tx.Send(ctx, peer, enc.B)
		enc.Release()
	case EncodeOnce:
		frame := m.frame.Retain()
		reply, err = r.tx.Send(ctx, peer, frame.B)
		frame.Release()
	case Streamed:
		content := m.content.Retain()
		defer content.Release()
		reply, err = r.tx.Send(ctx, peer, m.head.B, content.B, m.trail.B)
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
