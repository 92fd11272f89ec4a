// Package transport models the client side of saorsa-core's send path
// (P2PNode::send_message, v0.24.x, restated in shared/reference/uploader.md
// §6): the copies it makes of every message before the bytes reach the
// QUIC stream, each through package buffer at its own site.
//
// For a contiguous message of L bytes, Send does what the real path does:
//  1. clones the payload for a possible retry (retry_data, network.rs
//     L1548), held until the send returns;
//  2. clones it again for the channel attempt (transport_handle.rs L1609),
//     held until the wire message is serialised;
//  3. re-serialises the payload with postcard to sign it
//     (compute_signable_bytes, L2030): a Vec grown byte by byte, dropped
//     after signing;
//  4. serialises the whole WireMessage with postcard: another grown Vec,
//     held through the write;
//  5. writes the result to the peer through the Link.
//
// A message given in several parts is a streamed send: the transport signs
// the parts in one pass and writes the envelope around them with no
// payload-sized buffer, as saorsa-transport's unmerged exp-chunk-streaming
// branch (7c73d984) does. With copies off, Send writes the message bare.
//
// Departure: the envelope's signature is a BLAKE3 keyed hash padded to the
// ML-DSA-65 signature size (3309 bytes), not an ML-DSA-65 signature over the
// signable bytes, because hashing 4 MB with SHAKE256 on every send would
// dominate the CPU time of a run while changing no buffer. The payment
// proofs the peers check are real ML-DSA-65 (package payment).
package transport

import (
	"context"
	"errors"
	"fmt"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/wire"
	"github.com/fanbench/fanbench/harness/xorname"
	"github.com/zeebo/blake3"
)

// Status is a peer's successful answer to a PUT.
type Status int

const (
	// Stored means the peer stored the chunk.
	Stored Status = iota
	// AlreadyExists means the peer already held it; it counts as success.
	AlreadyExists
)

func (s Status) String() string {
	if s == AlreadyExists {
		return "already-exists"
	}
	return "stored"
}

// Errors a send or its reply can end with. Remote errors wrap ErrRemote.
var (
	// ErrRemote is a PUT the peer refused: a wrong address, a bad or
	// missing payment, an internal error.
	ErrRemote = errors.New("remote error")
	// ErrTimeout is a reply that did not arrive within the response timeout.
	ErrTimeout = errors.New("response timeout")
	// ErrDial is a peer that could not be reached.
	ErrDial = errors.New("peer unreachable")
)

// Reply is the pending answer to one PUT.
type Reply interface {
	// Wait blocks until the peer answers or ctx ends; a ctx deadline is
	// reported as ErrTimeout.
	Wait(ctx context.Context) (Status, error)
}

// Link moves bytes to one peer: the simulated network. Transmit returns once
// every byte has been written; enveloped says whether parts form a
// WireMessage or a bare ChunkMessage.
type Link interface {
	Transmit(ctx context.Context, peer xorname.Name, enveloped bool, parts [][]byte) (Reply, error)
}

// Sender is the client's transport. It is safe for concurrent use.
type Sender struct {
	link   Link
	heap   *buffer.Heap
	copies bool
	env    wire.Envelope
	key    [32]byte
}

// NewSender returns a transport that writes through link and keeps its
// buffers in h (nil: Go slices, counted by nobody). With copies false it writes messages bare. self is the
// client's peer id, timestamp the envelope's fixed timestamp (seconds), and
// publicKey the client's ML-DSA-65 public key as carried in each envelope.
func NewSender(link Link, h *buffer.Heap, copies bool, self xorname.Name, timestamp uint64, publicKey []byte) *Sender {
	if h == nil {
		h = buffer.GoHeap(nil)
	}
	s := &Sender{link: link, heap: h, copies: copies}
	s.env = wire.NewClientEnvelope(self, timestamp)
	s.env.PublicKey = publicKey
	s.key = blake3.Sum256(publicKey)
	return s
}

// Copies reports whether the transport makes its own copies.
func (s *Sender) Copies() bool { return s.copies }

// Send writes one message to peer and returns when the bytes are written.
// msg is either one contiguous encoded ChunkMessage or, for a streamed send,
// its parts in order. The caller keeps ownership of msg.
func (s *Sender) Send(ctx context.Context, peer xorname.Name, msg ...[]byte) (Reply, error) {
	if !s.copies {
		return s.link.Transmit(ctx, peer, false, msg)
	}
	if len(msg) != 1 {
		return s.sendStreamed(ctx, peer, msg)
	}
	payload := msg[0]
	retry := buffer.Copy(s.heap, buffer.RetryClone, payload)
	defer retry.Release()

	channel := buffer.Copy(s.heap, buffer.ChannelClone, payload)
	env := s.env // a copy: the signature differs per message
	env.Signature = make([]byte, wire.SignatureSize)

	signable := buffer.NewVec(s.heap, buffer.Signable, env.SignableGrowth(len(payload)))
	signable.B = env.AppendSignable(signable.B, channel.B)
	s.sign(env.Signature, signable.B)
	signable.Release()

	frame := buffer.NewVec(s.heap, buffer.WireFrame, env.WireGrowth(len(payload)))
	frame.B = env.AppendWire(frame.B, channel.B)
	channel.Release() // the WireMessage that owned it is dropped once serialised
	defer frame.Release()

	r, err := s.link.Transmit(ctx, peer, true, [][]byte{frame.B})
	if err != nil {
		return nil, fmt.Errorf("send to %s: %w", peer.Short(), err)
	}
	return r, nil
}

// sendStreamed signs the parts in one pass and writes the envelope around
// them without a payload-sized buffer. The signable bytes are hashed as the
// same postcard stream AppendSignable would build.
func (s *Sender) sendStreamed(ctx context.Context, peer xorname.Name, parts [][]byte) (Reply, error) {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	env := s.env
	env.Signature = make([]byte, wire.SignatureSize)
	h := blake3.NewDeriveKey(signContext)
	h.Write(s.key[:])
	var small [256]byte
	h.Write(env.WireHeader(small[:0], n))
	for _, p := range parts {
		h.Write(p)
	}
	h.Write(env.SignableTrailer(small[:0]))
	h.Digest().Read(env.Signature)

	head := env.WireHeader(nil, n)
	tail := env.WireTrailer(nil)
	out := make([][]byte, 0, len(parts)+2)
	out = append(out, head)
	out = append(out, parts...)
	out = append(out, tail)
	r, err := s.link.Transmit(ctx, peer, true, out)
	if err != nil {
		return nil, fmt.Errorf("send to %s: %w", peer.Short(), err)
	}
	return r, nil
}

const signContext = "fanbench transport signature v1"

// sign fills sig with the keyed hash of the signable bytes.
func (s *Sender) sign(sig, signable []byte) {
	h := blake3.NewDeriveKey(signContext)
	h.Write(s.key[:])
	h.Write(signable)
	h.Digest().Read(sig)
}
