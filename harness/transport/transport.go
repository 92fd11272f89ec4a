// Package transport models the client side of the send path
// (saorsa-core's P2PNode::send_message and saorsa-transport's QUIC stream,
// restated in shared/reference/uploader.md §6 and since-april.md §1-2): the
// copies it makes of every message, the QUIC send buffer, and when a send
// returns, each buffer through package buffer at its own site.
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
//     held until the send returns;
//  5. writes the frame to the peer's QUIC connection: quinn copies every
//     write into its send buffer (site QuicSend), as much as the
//     connection's send window has room for (client.Transport.SendWindow,
//     5 MiB, shared by every stream to that peer), blocking for the rest;
//     in one segment per write, or 64 KiB ones where the client writes in
//     slices;
//  6. the bytes cross the simulated uplink; the peer's acknowledgement of
//     the last byte, and its answer, come back one round trip after it left
//     (twice the peer's one-way latency); the QUIC copy is freed then;
//  7. the send returns when the frame is all in QUIC (client.NoAckWait) or
//     once it is acknowledged (client.BoundedAckWait, AckWaitUnbounded),
//     and the retry clone, the frame and, with the caller, the encoded
//     message go then.
//
// A message given as three parts (header, payload, trailer) is a streamed
// send: the transport signs the parts in one pass and writes the envelope
// around them with no payload-sized buffer, as saorsa-transport's unmerged
// exp-chunk-streaming branch (7c73d984) does, and hands QUIC the payload by
// reference (quinn's write_chunk with the shared Bytes, which no upstream
// client calls: the branch copies each 64 KiB it reads): QUIC copies the
// small parts, and the caller's chunk stays pinned until the answer. With
// copies off, Send writes the message bare, with neither saorsa-core's
// copies nor QUIC's, and returns once it is delivered.
//
// Departures: the envelope's signature is a BLAKE3 keyed hash padded to the
// ML-DSA-65 signature size (3309 bytes), not an ML-DSA-65 signature over the
// signable bytes, because hashing 4 MB with SHAKE256 on every send would
// dominate the CPU time of a run while changing no buffer (the payment
// proofs the peers check are real ML-DSA-65, package payment). quinn returns
// a connection's credit per acknowledged range; the model returns a
// frame's credit, and frees its QUIC copy (every segment of it), when its
// last byte is acknowledged, and a frame that did not fit the window waits
// for that before its bytes move: at the instant sends are built, what QUIC
// holds is exact.
package transport

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/simtime"
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
	// Wait blocks until the peer answers or ctx ends; it returns ctx's
	// error then, and the caller, which knows whose deadline it was, says
	// whether that is the response timeout (package fanout: ErrTimeout).
	Wait(ctx context.Context) (Status, error)
}

// Link moves bytes to one peer: the simulated network. Transmit returns,
// in virtual time, once the last byte has left the client, with the peer's
// answer decided; enveloped says whether parts form a WireMessage or a bare
// ChunkMessage. Latency is the one-way latency to peer.
type Link interface {
	Transmit(ctx context.Context, peer xorname.Name, enveloped bool, parts [][]byte) (Reply, error)
	Latency(peer xorname.Name) time.Duration
}

// ErrAckTimeout is a send whose bytes were not acknowledged within the
// client's bounded wait (client.BoundedAckWait): a failed send.
var ErrAckTimeout = errors.New("delivery not acknowledged in time")

// Sender is the client's transport for one upload: its QUIC connections to
// the peers and what they hold. Its methods are called from the tasks of
// one simtime clock.
type Sender struct {
	link   Link
	heap   *buffer.Heap
	copies bool
	opt    client.Transport
	env    wire.Envelope
	key    [32]byte
	conns  map[xorname.Name]*conn
}

// conn is the client's QUIC connection to one peer.
type conn struct {
	unacked int64           // bytes admitted and not yet acknowledged
	credit  *simtime.Signal // fired, and replaced, when unacked falls
	permit  *simtime.Semaphore
}

// NewSender returns a transport that writes through link and keeps its
// buffers in h (nil: Go slices, counted by nobody), behaving as opt says.
// With copies false it writes messages bare. self is the client's peer id,
// timestamp the envelope's fixed timestamp (seconds), and publicKey the
// client's ML-DSA-65 public key as carried in each envelope.
func NewSender(link Link, h *buffer.Heap, copies bool, opt client.Transport, self xorname.Name, timestamp uint64, publicKey []byte) *Sender {
	if h == nil {
		h = buffer.GoHeap(nil)
	}
	if opt.SendWindow <= 0 {
		opt.SendWindow = math.MaxInt64
	}
	s := &Sender{link: link, heap: h, copies: copies, opt: opt, conns: map[xorname.Name]*conn{}}
	s.env = wire.NewClientEnvelope(self, timestamp)
	s.env.PublicKey = publicKey
	s.key = blake3.Sum256(publicKey)
	return s
}

// Copies reports whether the transport makes its own copies.
func (s *Sender) Copies() bool { return s.copies }

// release returns n bytes of credit, acknowledged or never sent, and wakes
// the writers waiting for it.
func (c *conn) release(ctx context.Context, n int64) {
	c.unacked -= n
	c.credit.Fire()
	c.credit = simtime.NewSignal(ctx)
}

func (s *Sender) conn(ctx context.Context, peer xorname.Name) *conn {
	c := s.conns[peer]
	if c == nil {
		c = &conn{credit: simtime.NewSignal(ctx), permit: simtime.NewSemaphore(ctx, 1)}
		s.conns[peer] = c
	}
	return c
}

// Send writes one message to peer and returns as the client's transport
// does (see the package doc): with the Reply to wait for the peer's answer
// on. msg is either one contiguous encoded ChunkMessage or, for a streamed
// send, its header, payload and trailer. The caller keeps ownership of msg,
// and must keep a streamed payload until the answer.
func (s *Sender) Send(ctx context.Context, peer xorname.Name, msg ...[]byte) (Reply, error) {
	if !s.copies {
		d := s.deliver(ctx, peer, false, msg, nil, nil, 0)
		if err := d.done.Wait(ctx); err != nil {
			return nil, err
		}
		return d, nil
	}
	start := simtime.Now(ctx)
	var parts [][]byte
	var shared int = -1 // the part QUIC takes by reference, if any
	switch len(msg) {
	case 1:
		frame, retry := s.frame(msg[0])
		defer retry.Release()
		defer frame.Release()
		parts = [][]byte{frame.B}
	case 3:
		parts, shared = s.streamed(msg), 2
	default:
		panic(fmt.Sprintf("transport: a message in %d parts (want 1, or 3 for a streamed send)", len(msg)))
	}
	size := partsLen(parts)
	c := s.conn(ctx, peer)
	if s.opt.Permit && size >= s.opt.PermitMin {
		if err := c.permit.Acquire(ctx); err != nil {
			return nil, err
		}
		defer c.permit.Release()
	}
	segs, out, err := s.write(ctx, c, parts, shared)
	if err != nil {
		return nil, err
	}
	d := s.deliver(ctx, peer, true, out, c, segs, size)
	switch s.opt.AckWait {
	case client.NoAckWait:
		return d, nil
	case client.BoundedAckWait:
		wait := s.opt.AckTimeout(size)
		if s.opt.ConnTimeout > 0 {
			wait = min(wait, s.opt.ConnTimeout-(simtime.Now(ctx)-start))
		}
		wctx, cancel := simtime.WithTimeout(ctx, wait)
		defer cancel()
		if err := d.done.Wait(wctx); err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			return nil, fmt.Errorf("send to %s: %w", peer.Short(), ErrAckTimeout)
		}
	default:
		if err := d.done.Wait(ctx); err != nil {
			return nil, err
		}
	}
	if d.err != nil {
		return nil, fmt.Errorf("send to %s: %w", peer.Short(), d.err)
	}
	return d, nil
}

// frame makes saorsa-core's copies of payload and returns the wire frame
// and the retry clone, both the caller's to release; the channel clone and
// the signable bytes are gone by then.
func (s *Sender) frame(payload []byte) (frame, retry *buffer.Buf) {
	retry = buffer.Copy(s.heap, buffer.RetryClone, payload)
	channel := buffer.Copy(s.heap, buffer.ChannelClone, payload)
	env := s.env // a copy: the signature differs per message
	env.Signature = make([]byte, wire.SignatureSize)

	signable := buffer.NewVec(s.heap, buffer.Signable, env.SignableGrowth(len(payload)))
	signable.B = env.AppendSignable(signable.B, channel.B)
	s.sign(env.Signature, signable.B)
	signable.Release()

	frame = buffer.NewVec(s.heap, buffer.WireFrame, env.WireGrowth(len(payload)))
	frame.B = env.AppendWire(frame.B, channel.B)
	channel.Release() // the WireMessage that owned it is dropped once serialised
	return frame, retry
}

// streamed signs the parts in one pass and returns them inside the
// envelope's header and trailer, with no payload-sized buffer. The signable
// bytes are hashed as the same postcard stream AppendSignable would build.
func (s *Sender) streamed(parts [][]byte) [][]byte {
	n := partsLen(parts)
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
	out := make([][]byte, 0, len(parts)+2)
	out = append(out, env.WireHeader(nil, n))
	out = append(out, parts...)
	return append(out, env.WireTrailer(nil))
}

// write admits parts into c's QUIC send buffer as the connection's window
// lets it, waiting for credit, and returns the segments (the caller's until
// they are acknowledged) and the bytes to send: copies, and the shared part
// (index shared, -1 for none) by reference. On an error nothing stays
// admitted.
func (s *Sender) write(ctx context.Context, c *conn, parts [][]byte, shared int) ([]*buffer.Buf, [][]byte, error) {
	// A part is admitted in one piece, or in segments of opt.Segment bytes
	// but for the shared part; the window may cut it into more.
	pieces := len(parts)
	if s.opt.Segment > 0 {
		pieces = 0
		for i, p := range parts {
			if i == shared {
				pieces++
			} else {
				pieces += (len(p) + s.opt.Segment - 1) / s.opt.Segment
			}
		}
	}
	segs := make([]*buffer.Buf, 0, pieces)
	out := make([][]byte, 0, pieces)
	var admitted int64
	undo := func(err error) ([]*buffer.Buf, [][]byte, error) {
		for _, b := range segs {
			b.Release()
		}
		c.release(ctx, admitted)
		return nil, nil, err
	}
	for i, p := range parts {
		for off := 0; off < len(p); {
			room := s.opt.SendWindow - c.unacked
			if room <= 0 {
				if err := c.credit.Wait(ctx); err != nil {
					return undo(err)
				}
				continue
			}
			n := int(min(int64(len(p)-off), room))
			if i != shared && s.opt.Segment > 0 {
				n = min(n, s.opt.Segment)
			}
			piece := p[off : off+n : off+n]
			if i == shared {
				out = append(out, piece)
			} else {
				b := buffer.New(s.heap, buffer.QuicSend, n, n)
				b.B = append(b.B, piece...)
				segs = append(segs, b)
				out = append(out, b.B)
			}
			c.unacked += int64(n)
			admitted += int64(n)
			off += n
		}
	}
	return segs, out, nil
}

// delivery is one send's bytes on their way: a task moves them to the peer
// and waits out the round trip; then the QUIC copy is freed, the credit
// returned, and the peer's answer is at hand. It is the Reply Send returns.
type delivery struct {
	done  *simtime.Signal
	reply Reply
	err   error
}

// deliver starts the delivery of parts to peer, on a task that outlives
// the sender's context: the bytes QUIC holds go whatever the sender does.
// With QUIC (c not nil) size bytes were admitted on c, and segs hold its
// copies; both are given back one round trip after the last byte left.
func (s *Sender) deliver(ctx context.Context, peer xorname.Name, enveloped bool, parts [][]byte, c *conn, segs []*buffer.Buf, size int) *delivery {
	d := &delivery{done: simtime.NewSignal(ctx)}
	simtime.Go(simtime.Detach(ctx), "quic delivery", func(ctx context.Context) {
		r, err := s.link.Transmit(ctx, peer, enveloped, parts)
		if err == nil {
			// The last byte's acknowledgement, and the answer, come back
			// one round trip after it left.
			err = simtime.Sleep(ctx, 2*s.link.Latency(peer))
		}
		for _, b := range segs {
			b.Release()
		}
		if c != nil {
			c.release(ctx, int64(size))
		}
		d.reply, d.err = r, err
		d.done.Fire()
	})
	return d
}

// Wait waits for the delivery, then for the peer's answer.
func (d *delivery) Wait(ctx context.Context) (Status, error) {
	if err := d.done.Wait(ctx); err != nil {
		return 0, err
	}
	if d.err != nil {
		return 0, d.err
	}
	return d.reply.Wait(ctx)
}

func partsLen(parts [][]byte) int {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	return n
}

const signContext = "fanbench transport signature v1"

// sign fills sig with the keyed hash of the signable bytes.
func (s *Sender) sign(sig, signable []byte) {
	h := blake3.NewDeriveKey(signContext)
	h.Write(s.key[:])
	h.Write(signable)
	h.Digest().Read(sig)
}
