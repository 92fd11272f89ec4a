// Package model is the analytic model: the predictor of the peak of live
// tracked bytes of an upload from its structure: which chunks there are, which peers each is sent to, the
// store cap, the client profile and the network's uplink and latencies. It
// shares no code with the uploader model (package upload) but the wire
// sizes: it rebuilds, from the buffer rules of
// shared/reference/uploader.md §8 and since-april.md §1-2, the size and
// lifetime of every buffer each store and send holds, and follows them in
// a small discrete-event simulation of its own. The runner reports the
// prediction beside every measured peak; for a run with no faults the two
// agree to within the ordering of events that fall on the same
// nanosecond.
//
// The prediction, per wave (waves are independent: every store of a wave
// ends, and every byte it sent is acknowledged, before the next starts):
//
//  1. Resident: the wave's chunks, read at once (single: held to the
//     wave's end; merkle: each until its store ends) unless the client
//     loads each chunk when its store starts (client.Waves); the proofs
//     (single: the wave's, each until its chunk's store ends; merkle:
//     every chunk's, for the whole upload; a client that keeps proofs:
//     every proof paid so far).
//  2. Stores: the first cap chunks start at once, one after another, as
//     the client's store stream polls them; a new one starts each time one
//     ends (the cap is the wave's; for a client that reads it per slot,
//     each store starts after as many others ended as in the run). A store sets up (the PaidChunk clones,
//     the merkle proof clone, the shared frame or header and trailer of
//     encode-once and streamed), then builds its 4 sends in turn, each as
//     far as it goes before it must wait: the strategy's buffers
//     (copy-per-peer: the copy, the proof clone and a Vec-grown encode
//     buffer; shared-buffer: the proof clone and a Bytes-grown encode
//     buffer) and, with transport copies, the retry clone, the channel
//     clone, the signable bytes (dropped after signing), the wire frame
//     and the channel clone dropped once the frame is serialised; then a
//     large send takes its peer's one permit where the client has one, and
//     QUIC copies the frame into the peer connection's send buffer as far
//     as the connection's window has room, waiting for credit for the
//     rest (waiters are served in turn).
//  3. The wire: a frame QUIC holds whole goes out on the uplink, which
//     serves every frame on it at the same rate (processor sharing, as
//     package netsim); its acknowledgement, and the peer's answer, come
//     one round trip after its last byte. Then QUIC frees its copy and
//     gives the credit back. A send returns once QUIC holds its frame
//     where the client does not wait for the acknowledgement (its retry
//     clone, frame, encoded message and permit go then), else at the
//     acknowledgement; its copy and proof clone go with the answer. A
//     store ends with its fourth answer, and everything it holds goes.
//
// Without transport copies a send puts its message on the wire at once
// and holds its buffers until the answer. The peak is the highest total
// along the way, over all waves. It assumes no faults, retries or
// fallbacks.
package model

import (
	"container/heap"
	"math"
	"time"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/upload"
	"github.com/fanbench/fanbench/harness/wire"
	"github.com/fanbench/fanbench/harness/xorname"
)

// Input is the structure of an upload.
type Input struct {
	Strategy  upload.Strategy
	Transport bool
	Merkle    bool
	// Client is the client profile that runs (its transport, how it holds
	// waves and proofs). In the zero Profile, sends return once QUIC has
	// taken them, with no window.
	Client client.Profile
	// Waves holds the chunk sizes (bytes) of each wave, in upload order.
	Waves [][]int
	// Caps holds the store concurrency read for each wave.
	Caps []int
	// LaunchAfter, when set for a wave, holds for each of its stores how
	// many of the wave's stores had ended when it started, for a client
	// that reads the cap every time a slot frees (the cap moves; this is
	// the schedule it made). It replaces Caps[w].
	LaunchAfter [][]int
	// ProofSize is the bytes of one chunk's payment proof.
	ProofSize int
	// ProofSizes, when set, holds each chunk's proof size in bytes, shaped
	// like Waves, in place of ProofSize.
	ProofSizes [][]int
	// Peers, when set, holds the peers each chunk's first sends go to (any
	// numbers from 0 that tell peers apart), shaped like Waves: sends to
	// one peer share its QUIC connection. Without it every send has its
	// own.
	Peers [][][]int
	// Latency, when set, holds the one-way latency of each peer numbered in
	// Peers, indexed by its number; a peer without one has none.
	Latency []time.Duration
	// UplinkBitsPerSec is the client's uplink; 0 means 8 Gbit/s (a byte a
	// nanosecond). Only its ratio to the latencies shapes the prediction.
	UplinkBitsPerSec float64
}

// proof returns the proof size of chunk i of wave w.
func (in *Input) proof(w, i int) int {
	if w < len(in.ProofSizes) && i < len(in.ProofSizes[w]) {
		return in.ProofSizes[w][i]
	}
	return in.ProofSize
}

// peer returns the peer of send j of chunk i of wave w.
func (in *Input) peer(w, i, j int) int {
	if w < len(in.Peers) && i < len(in.Peers[w]) && j < len(in.Peers[w][i]) {
		return in.Peers[w][i][j]
	}
	return -1 - ((w*upload.WaveSize+i)*upload.CloseGroupMajority + j) // a peer of its own
}

// latency returns peer's one-way latency.
func (in *Input) latency(peer int) time.Duration {
	if peer >= 0 && peer < len(in.Latency) {
		return in.Latency[peer]
	}
	return 0
}

// Prediction is the predicted peak, in bytes, in total and by site.
type Prediction struct {
	Peak  int64
	Sites [buffer.NumSites]int64
}

// Predict returns the predicted peak of in.
func Predict(in Input) Prediction {
	var best Prediction
	var proofs int64 // every chunk's, which merkle holds throughout
	for w, sizes := range in.Waves {
		for i := range sizes {
			proofs += int64(in.proof(w, i))
		}
	}
	var before int64 // the proofs of the waves before, kept by some clients
	for w, sizes := range in.Waves {
		k := len(sizes)
		if w < len(in.Caps) {
			k = min(max(in.Caps[w], 1), len(sizes))
		}
		p := wave(in, w, k, proofs, before)
		if p.Peak > best.Peak {
			best = p
		}
		for i := range sizes {
			before += int64(in.proof(w, i))
		}
	}
	return best
}

// wave returns the peak of wave w with at most k stores at once; proofs is
// the size of every chunk's proof in all, before the size of the proofs of
// the waves before w.
func wave(in Input, w, k int, proofs, before int64) Prediction {
	s := newSim(&in, w)
	sizes := in.Waves[w]
	perRecord := in.Client.Waves.LoadPerRecord
	for i, c := range sizes {
		if !perRecord {
			s.add(buffer.SpillRead, int64(c), nil)
		}
		s.add(buffer.Proof, int64(in.proof(w, i)), nil)
	}
	switch {
	case in.Merkle:
		s.add(buffer.Proof, proofs-s.live.Sites[buffer.Proof], nil)
	case in.Client.Waves.KeepProofs:
		s.add(buffer.Proof, before, nil)
	}
	// may reports whether store i may start now.
	next, running, ended := 0, 0, 0
	may := func(i int) bool { return running < k }
	if w < len(in.LaunchAfter) && len(in.LaunchAfter[w]) == len(sizes) {
		may = func(i int) bool { return ended >= in.LaunchAfter[w][i] }
	}
	var launch func()
	launch = func() {
		for next < len(sizes) && may(next) {
			running++
			next++
			s.start(next-1, func() {
				running--
				ended++
				s.soon(launch) // the slot frees; the launcher runs next
			})
		}
	}
	launch()
	s.run()
	return s.best
}

// --- the simulation ---------------------------------------------------------

// sim is one wave's stores, sends, connections and uplink over simulated
// time, in nanoseconds. Work at one instant runs in order: what is ready
// runs first in first out, as package simtime runs tasks, then the next
// timer fires.
type sim struct {
	in         *Input
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
	idx  int
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
	st := &store{idx: i, left: upload.CloseGroupMajority, end: end}
	h := &st.held
	P := int64(p)
	switch {
	case in.Client.Waves.LoadPerRecord:
		s.add(buffer.SpillRead, int64(c), h) // loaded when its store starts
	case in.Merkle:
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
	put := wire.Put{RequestID: upload.ModelRequestID, Content: content(c), Proof: make([]byte, p)}
	L := int64(put.Len())
	switch in.Strategy {
	case upload.EncodeOnce:
		s.add(buffer.Encode, int64(put.Growth(wire.ContentBytes).Cap()), h)
	case upload.Streamed:
		s.add(buffer.Encode, int64(put.HeaderLen()), h)
		s.add(buffer.Encode, int64(put.TrailerLen()), h)
	}
	env := wire.NewClientEnvelope(xorname.Name{}, upload.EnvelopeTimestamp)
	t := in.Client.Transport
	for j := range upload.CloseGroupMajority {
		sd := &send{st: st, peer: in.peer(s.w, i, j), F: L}
		h := &sd.held
		var enc int64 // the send's own encoded message, if any
		switch in.Strategy {
		case upload.CopyPerPeer:
			s.add(buffer.PeerCopy, int64(c), h)
			s.add(buffer.ProofCopy, P, h)
			enc = int64(put.Growth(wire.ContentVec).Cap())
		case upload.SharedBuffer:
			s.add(buffer.ProofCopy, P, h)
			enc = int64(put.Growth(wire.ContentBytes).Cap())
		}
		s.add(buffer.Encode, enc, h)
		sd.ret[buffer.Encode] = enc
		if !in.Transport {
			s.transmit(sd) // sent bare, held until answered
			continue
		}
		sd.F = int64(env.Len(int(L)))
		if in.Strategy == upload.Streamed {
			// The envelope's header and the message's around the chunk,
			// which QUIC takes by reference.
			sd.head = int64(len(env.WireHeader(nil, int(L))) + put.HeaderLen())
			sd.chunk = int64(c)
		} else {
			S, W := int64(env.SignableGrowth(int(L)).Cap()), int64(env.WireGrowth(int(L)).Cap())
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
		window = sd.F // no window: QUIC takes every frame whole
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

// --- the uplink ---------------------------------------------------------------

// uplink serves the frames on it at an equal share of its rate each, in
// virtual service: v is the bytes each frame on it has been served since it
// was last idle, at time t0; a frame joining at v leaves at v + its bytes.
// Departures fall on whole nanoseconds, rounded up.
type uplink struct {
	rate   float64 // bytes per nanosecond
	v      float64
	t0     int64
	frames frames
	next   *timer
}

type frame struct {
	finish float64
	seq    int64
	done   func()
}

// join puts a frame of n bytes on the uplink now; done runs when its last
// byte has left.
func (u *uplink) join(s *sim, n int64, done func()) {
	u.advance(s, s.now)
	u.settle(s.now)
	s.seq++
	heap.Push(&u.frames, &frame{finish: u.v + float64(n), seq: s.seq, done: done})
	u.schedule(s)
}

// departure is when the first frame to finish leaves.
func (u *uplink) departure() int64 {
	need := u.frames[0].finish - u.v
	return u.t0 + int64(math.Ceil(need*float64(len(u.frames))/u.rate))
}

// advance lets every frame due by now leave, in order.
func (u *uplink) advance(s *sim, now int64) {
	for len(u.frames) > 0 {
		at := u.departure()
		if at > now {
			return
		}
		f := heap.Pop(&u.frames).(*frame)
		u.v, u.t0 = f.finish, at
		s.soon(f.done)
	}
	u.v, u.t0 = 0, now
}

// settle brings v up to now.
func (u *uplink) settle(now int64) {
	if len(u.frames) > 0 {
		u.v += float64(now-u.t0) * u.rate / float64(len(u.frames))
	}
	u.t0 = now
}

func (u *uplink) schedule(s *sim) {
	if u.next != nil {
		u.next.dead = true
		u.next = nil
	}
	if len(u.frames) == 0 {
		return
	}
	u.next = s.at(u.departure(), func() {
		u.next = nil
		u.advance(s, s.now)
		u.schedule(s)
	})
}

type frames []*frame

func (h frames) Len() int { return len(h) }
func (h frames) Less(i, j int) bool {
	if h[i].finish != h[j].finish {
		return h[i].finish < h[j].finish
	}
	return h[i].seq < h[j].seq
}
func (h frames) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *frames) Push(x any)   { *h = append(*h, x.(*frame)) }
func (h *frames) Pop() any {
	old := *h
	f := old[len(old)-1]
	*h = old[:len(old)-1]
	return f
}

// --- timers -------------------------------------------------------------------

type timer struct {
	at, seq int64
	f       func()
	dead    bool
}

type timers []*timer

func (h timers) Len() int { return len(h) }
func (h timers) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h timers) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *timers) Push(x any)   { *h = append(*h, x.(*timer)) }
func (h *timers) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}

// content returns a slice of length c (at most wire.MaxContentSize, the
// protocol's limit) whose bytes are never read or written: only its length
// matters to the sizes computed here. The backing array is never touched,
// so it costs no resident memory.
func content(c int) []byte { return zeros[:c] }

var zeros [wire.MaxContentSize]byte
