// Package fanout stores one chunk on its close group, as ant-client's
// chunk_put_to_close_group does (chunk.rs L98-154): the first
// CloseGroupMajority peers concurrently, the next peer in line for each
// failure, done at CloseGroupMajority successes (AlreadyExists counts),
// leftovers cancelled. Each per-peer send builds its message as the buffer
// strategy says (package strategy) and goes through the client's transport
// (package transport), which makes its own copies. Every uploader stores
// its chunks through it; its tallies (sends, fallbacks, peer failures) are
// the uploader's.
package fanout

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/limiter"
	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/simtime"
	"github.com/fanbench/fanbench/harness/transport"
	"github.com/fanbench/fanbench/harness/upload/strategy"
	"github.com/fanbench/fanbench/harness/wire"
	"github.com/fanbench/fanbench/harness/xorname"
	"github.com/zeebo/blake3"
)

// Constants of the real client, each with its source.
const (
	// CloseGroupSize is CLOSE_GROUP_SIZE (ant-protocol src/chunk.rs L35),
	// payment's.
	CloseGroupSize = payment.CloseGroupSize
	// CloseGroupMajority is CLOSE_GROUP_SIZE/2+1 = 4 (src/chunk.rs L40):
	// the peers sent to at once and the successes a store needs.
	CloseGroupMajority = 4
)

// ErrInsufficientPeers is a close-group store that reached fewer than
// CloseGroupMajority successes, or a chunk with too few peers to quote
// (Error::InsufficientPeers).
var ErrInsufficientPeers = errors.New("insufficient peers")

// EnvelopeTimestamp is the fixed timestamp (Unix seconds, 2026-04-28) the
// model's envelopes carry, so every strategy puts the same bytes on the
// wire.
const EnvelopeTimestamp = 1777334400

// NewSender returns the client's transport for one upload over link: its
// buffers come from h, it makes the transport's own copies when copies is
// set, and behaves as p's transport does.
func NewSender(link transport.Link, h *buffer.Heap, copies bool, p client.Profile) *transport.Sender {
	key := make([]byte, wire.PublicKeySize)
	blake3.DeriveKey("fanbench client public key", nil, key)
	return transport.NewSender(link, h, copies, p.Transport, xorname.FromContent(key), EnvelopeTimestamp, key)
}

// RequestID is the ChunkMessage request id of a chunk's store round. The
// real client takes ids from a counter starting at 1, so they stay far below
// 2^56 and their varint never changes the encode buffer's growth (an id of 9
// or more varint bytes would start the Vec at 9 or 10 bytes instead of 8 and
// end it at 4.5 or 5 MiB instead of 8 MiB). The model derives the id from the
// address and round instead, so every strategy writes the same bytes; it
// lies in [2^28, 2^35), so its varint is always RequestIDLen bytes and the
// analytic model knows every message's length. Departure: 3 or 4 bytes more
// per message than the counter's 1 or 2, which no Vec's capacity notices.
func RequestID(addr xorname.Name, round int) uint64 {
	return 1<<34 | uint64(binary.LittleEndian.Uint32(addr[:4]))<<2 | uint64(round&3)
}

// ModelRequestID is a request id of the same varint length as every id
// the model sends (5 bytes), for computing message lengths.
const ModelRequestID = 1 << 34

// Counts are a Putter's tallies. They are safe for concurrent use.
type Counts struct {
	// Sends is every per-peer PUT started; Fallbacks those sent to a
	// fallback peer; Errors and Timeouts the per-peer failures.
	Sends, Fallbacks, Errors, Timeouts atomic.Int64
}

// Putter stores chunks on their close groups for one upload. Its methods
// are called from the tasks of one simtime clock.
type Putter struct {
	heap *buffer.Heap
	tx   *transport.Sender
	def  strategy.Def
	// Counts are the tallies of every Put so far.
	Counts Counts
}

// New returns a Putter whose sends build their messages as s says, from
// buffers of h, and go through tx.
func New(h *buffer.Heap, tx *transport.Sender, s strategy.Strategy) (*Putter, error) {
	d, ok := s.Def()
	if !ok {
		return nil, fmt.Errorf("fanout: strategy %v is not registered", s)
	}
	return &Putter{heap: h, tx: tx, def: d}, nil
}

// Put stores one chunk, content, with its proof on its close group, peers
// in order of preference: the first CloseGroupMajority peers concurrently,
// the next peer in line for each failure, done at CloseGroupMajority
// successes (AlreadyExists counts), leftovers cancelled; an error wrapping
// ErrInsufficientPeers once the list is exhausted. Each per-peer send is a
// task; its response timeout starts once its send has returned. The store's
// shared message (the strategy's Prepare) lives until Put returns.
func (p *Putter) Put(ctx context.Context, addr xorname.Name, content *buffer.Buf, proof []byte, peers []xorname.Name, timeout time.Duration, reqID uint64) error {
	ctx, cancel := simtime.WithCancel(ctx)
	defer cancel()
	m := &strategy.Message{Put: wire.Put{RequestID: reqID, Address: addr, Content: content.B, Proof: proof}, Content: content}
	if p.def.Prepare != nil {
		p.def.Prepare(p.heap, m)
	}
	defer m.Release()

	results := simtime.NewQueue[error](ctx)
	launch := func(peer xorname.Name) {
		p.Counts.Sends.Add(1)
		simtime.Go(ctx, "put to peer", func(ctx context.Context) {
			results.Put(p.putToPeer(ctx, peer, m, timeout))
		})
	}
	next := min(len(peers), CloseGroupMajority)
	for _, peer := range peers[:next] {
		launch(peer)
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
				p.Counts.Timeouts.Add(1)
			} else {
				p.Counts.Errors.Add(1)
			}
			if next < len(peers) && ctx.Err() == nil {
				p.Counts.Fallbacks.Add(1)
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
func (p *Putter) putToPeer(ctx context.Context, peer xorname.Name, m *strategy.Message, timeout time.Duration) error {
	out := p.def.Send(p.heap, m)
	if out.Done != nil {
		defer out.Done()
	}
	reply, err := p.tx.Send(ctx, peer, out.Parts...)
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

// Observe runs one close-group put and feeds its outcome and latency to
// the store policy, as observe_op does: one sample per chunk. A put ended
// by its caller's cancellation is no capacity signal and is not fed.
func Observe(ctx context.Context, policy limiter.Policy, put func() error) error {
	start := simtime.Now(ctx)
	err := put()
	if ctx.Err() != nil {
		return err
	}
	policy.Observe(limiter.Sample{Outcome: Classify(err), Latency: simtime.Now(ctx) - start})
	return err
}

// Classify maps a store error to an AIMD outcome (classify_error, mod.rs
// L50-70): InsufficientPeers and remote errors are network errors.
func Classify(err error) limiter.Outcome {
	switch {
	case err == nil:
		return limiter.Success
	case errors.Is(err, transport.ErrTimeout):
		return limiter.Timeout
	default:
		return limiter.NetworkError
	}
}
