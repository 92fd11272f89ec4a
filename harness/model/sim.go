package model

import (
	"container/heap"
	"math"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/fanout"
	"github.com/fanbench/fanbench/harness/upload/strategy"
	"github.com/fanbench/fanbench/harness/wire"
	"github.com/fanbench/fanbench/harness/xorname"
)

// --- the simulation ---------------------------------------------------------

// sim is one wave's stores, sends, connections and uplink over simulated
// time, in nanoseconds. Work at one instant runs in order: what is ready
// runs first in first out, as package simtime runs tasks, then the next
// timer fires.
type sim struct {
	in         *Input
	def        strategy.Def  // the strategy's registry entry
	env        wire.Envelope // the client's, the same for every send
	w          int
	live, best Prediction

	now    int64
	ready  []func()
	timers timers
	seq    int64
	conns  map[int]*conn
	up     uplink
}

func newSim(in *Input, w int) *sim {
	rate := in.UplinkBitsPerSec / 8 / 1e9 // bytes per nanosecond
	if rate <= 0 {
		rate = 1
	}
	s := &sim{in: in, w: w, conns: map[int]*conn{}}
	s.env = wire.NewClientEnvelope(xorname.Name{}, fanout.EnvelopeTimestamp)
	s.def, _ = in.Strategy.Def()
	s.up.rate = rate
	return s
}

// add changes the live bytes of site by d, and those held by held.
func (s *sim) add(site buffer.Site, d int64, held *[buffer.NumSites]int64) {
	s.live.Sites[site] += d
	s.live.Peak += d
	if held != nil {
		held[site] += d
	}
	if s.live.Peak > s.best.Peak {
		s.best = s.live
	}
}

// drop frees everything held.
func (s *sim) drop(held *[buffer.NumSites]int64) {
	for site, v := range held {
		if v != 0 {
			s.add(buffer.Site(site), -v, held)
		}
	}
}

// soon runs f after what is ready now.
func (s *sim) soon(f func()) { s.ready = append(s.ready, f) }

// at runs f at time t.
func (s *sim) at(t int64, f func()) *timer {
	s.seq++
	tm := &timer{at: t, seq: s.seq, f: f}
	heap.Push(&s.timers, tm)
	return tm
}

// run runs until nothing is left to do.
func (s *sim) run() {
	for {
		for len(s.ready) > 0 {
			f := s.ready[0]
			s.ready = s.ready[1:]
			f()
		}
		if len(s.timers) == 0 {
			return
		}
		tm := heap.Pop(&s.timers).(*timer)
		if tm.dead {
			continue
		}
		s.now = tm.at
		tm.f()
	}
}

// conn is one peer connection: the bytes QUIC holds unacknowledged, the
// writers waiting for credit, and the peer's permit for large sends.
type conn struct {
	unacked int64
	credit  []func() // writers waiting for credit, in turn
	permit  bool     // held
	waiting []func() // sends waiting for the permit, in turn
}

func (s *sim) conn(peer int) *conn {
	c := s.conns[peer]
	if c == nil {
		c = &conn{}
		s.conns[peer] = c
	}
	return c
}

// store is one chunk's store in flight.
type store struct {
	held [buffer.NumSites]int64 // what goes when it ends: its chunk, its proof (single), proof clones, the shared message
	left int                    // sends not yet answered
	end  func()
}

// send is one send of a store.
type send struct {
	st    *store
	peer  int
	F     int64 // bytes on the wire
	head  int64 // streamed: bytes before the shared chunk in the frame
	chunk int64 // streamed: the shared chunk's bytes, which QUIC does not copy
	off   int64 // bytes QUIC has taken
	large bool  // takes the peer's permit
	held  [buffer.NumSites]int64
	ret   [buffer.NumSites]int64 // what goes when the send returns
}

// start starts the store of chunk i; end runs when it has ended.
func (s *sim) start(i int, end func()) {
	in := s.in
	c, p := in.Waves[s.w][i], in.proof(s.w, i)
	st := &store{left: fanout.CloseGroupMajority, end: end}
	h := &st.held
	P := int64(p)
	switch {
	case in.Client.Waves.LoadPerRecord:
		s.add(buffer.SpillRead, int64(c), h) // loaded when its store starts
	case in.Merkle || in.DropChunks:
		h[buffer.SpillRead] = int64(c) // the wave's read chunk, dropped when its store ends
	}
	if !in.Merkle && !in.Client.Waves.KeepProofs {
		h[buffer.Proof] = P // the proof moves into the store and goes with it
	}
	switch {
	case in.Merkle:
		s.add(buffer.ProofCopy, P, h) // proofs.get(&addr).cloned()
	case in.Client.Waves.LoadPerRecord:
		s.add(buffer.ProofCopy, P, h) // the PaidChunk (reuse_prepared)
		s.add(buffer.ProofCopy, P, h) // and its clone for a retry round
	default:
		s.add(buffer.ProofCopy, P, h) // the PaidChunk clone, for a retry
	}
	put := wire.Put{RequestID: fanout.ModelRequestID, Content: content(c), Proof: content(p)}
	L := int64(put.Len())
	fp := s.def.Footprint(&put)
	for _, b := range fp.Store {
		s.add(b.Site, b.Bytes, h)
	}
	env := &s.env
	t := in.Client.Transport
	// Every send of the store carries the same frame.
	F := int64(env.Len(int(L)))
	var head, S, W int64
	if fp.ByReference {
		// The envelope's header and the message's around the chunk,
		// which QUIC takes by reference.
		head = int64(len(env.WireHeader(nil, int(L))) + put.HeaderLen())
	} else {
		S, W = int64(env.SignableGrowth(int(L)).Cap()), int64(env.WireGrowth(int(L)).Cap())
	}
	for j := range fanout.CloseGroupMajority {
		sd := &send{st: st, peer: in.peer(s.w, i, j), F: L}
		h := &sd.held
		for _, b := range fp.Send {
			s.add(b.Site, b.Bytes, h)
		}
		enc := fp.Encoded // the send's own encoded message, if any
		s.add(buffer.Encode, enc, h)
		sd.ret[buffer.Encode] = enc
		if !in.Transport {
			s.transmit(sd) // sent bare, held until answered
			continue
		}
		sd.F = F
		if fp.ByReference {
			sd.head, sd.chunk = head, int64(c)
		} else {
			s.add(buffer.RetryClone, L, h)
			s.add(buffer.ChannelClone, L, h)
			s.add(buffer.Signable, S, h)
			s.add(buffer.Signable, -S, h)
			s.add(buffer.WireFrame, W, h)
			s.add(buffer.ChannelClone, -L, h)
			sd.ret[buffer.RetryClone], sd.ret[buffer.WireFrame] = L, W
		}
		sd.large = t.Permit && sd.F >= int64(t.PermitMin)
		cn := s.conn(sd.peer)
		switch {
		case !sd.large:
			s.write(sd)
		case cn.permit:
			cn.waiting = append(cn.waiting, func() { s.write(sd) })
		default:
			cn.permit = true
			s.write(sd)
		}
	}
}

// write lets QUIC take as much of sd's frame as its connection's window
// has room for, waiting for credit for the rest; once QUIC holds it all,
// the frame goes on the wire.
func (s *sim) write(sd *send) {
	cn := s.conn(sd.peer)
	window := s.in.Client.Transport.SendWindow
	if window <= 0 {
		window = math.MaxInt64 // no window, as in package transport
	}
	room := window - cn.unacked
	if room <= 0 {
		cn.credit = append(cn.credit, func() { s.write(sd) })
		return
	}
	n := min(sd.F-sd.off, room)
	// QUIC copies the bytes it takes but a streamed send's chunk.
	shared := max(0, min(sd.off+n, sd.head+sd.chunk)-max(sd.off, sd.head))
	s.add(buffer.QuicSend, n-shared, &sd.held)
	cn.unacked += n
	sd.off += n
	if sd.off < sd.F {
		cn.credit = append(cn.credit, func() { s.write(sd) })
		return
	}
	s.transmit(sd)
	if s.in.Client.Transport.AckWait == client.NoAckWait {
		s.returned(sd)
	}
}

// returned is sd's send returning: its retry clone, frame and encoded
// message go, and its permit passes to the next send waiting for it.
func (s *sim) returned(sd *send) {
	for site, v := range sd.ret {
		if v != 0 {
			s.add(buffer.Site(site), -v, &sd.held)
		}
	}
	if !sd.large {
		return
	}
	cn := s.conn(sd.peer)
	if len(cn.waiting) == 0 {
		cn.permit = false
		return
	}
	next := cn.waiting[0]
	cn.waiting = cn.waiting[1:]
	s.soon(next)
}

// transmit puts sd's frame on the uplink; one round trip after its last
// byte, QUIC frees its copy and the credit, and the answer is there.
func (s *sim) transmit(sd *send) {
	s.up.join(s, sd.F, func() {
		s.at(s.now+2*int64(s.in.latency(sd.peer)), func() { s.acked(sd) })
	})
}

// acked is sd's acknowledgement and answer.
func (s *sim) acked(sd *send) {
	if s.in.Transport {
		s.add(buffer.QuicSend, -sd.held[buffer.QuicSend], &sd.held)
		cn := s.conn(sd.peer)
		cn.unacked -= sd.F
		waiters := cn.credit
		cn.credit = nil
		for _, f := range waiters {
			s.soon(f)
		}
	}
	s.soon(func() {
		if !s.in.Transport || s.in.Client.Transport.AckWait != client.NoAckWait {
			s.returned(sd)
		}
		s.drop(&sd.held) // the answer: the copy and the proof clone go
		st := sd.st
		s.soon(func() {
			if st.left--; st.left == 0 {
				s.drop(&st.held)
				st.end()
			}
		})
	})
}
