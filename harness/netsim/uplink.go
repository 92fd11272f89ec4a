package netsim

import (
	"container/heap"
	"context"
	"fmt"
	"math"
	"time"

	"github.com/fanbench/fanbench/harness/simtime"
	"github.com/fanbench/fanbench/harness/xorname"
)

// Transfer moves the concatenation of parts from the client to the peer to
// through the client's uplink, and returns in virtual time when the last
// byte has crossed it. The uplink's Config.UplinkBitsPerSec is shared
// equally by all transfers in flight, so one transfer of B bytes alone takes
// B·8/bits seconds and N equal transfers started together each take N times
// that. Propagation latency is not included; see Delay. ctx must come from
// the network's clock, and Transfer must be called from one of its tasks.
//
// Once the last byte has crossed, Transfer hands the bytes to sink, from
// the calling task, in order, in steps of Config.Segment bytes (the last
// may be shorter), all at that virtual instant: the peer decodes the
// message as a whole once it has arrived. sink receives sub-slices of
// parts, capped so that append cannot reach the next part's bytes: the
// payload is never copied, and a step that spans two parts is handed over
// as two calls. sink must not modify the bytes, and may keep them only as
// long as the caller keeps parts alive. If sink returns an error, Transfer
// stops and returns it.
//
// Cancelling ctx aborts the transfer with ctx.Err(); the link time its
// remaining bytes would have taken goes to the other transfers, and sink
// sees nothing. Empty parts are skipped, and a transfer with no bytes
// returns nil at once. Transfer to a peer that is not in the network
// returns an error.
func (n *Network) Transfer(ctx context.Context, to xorname.Name, parts [][]byte, sink func(seg []byte) error) error {
	if !n.Has(to) {
		return fmt.Errorf("netsim: transfer to unknown peer %s", to.Short())
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var total int64
	for _, p := range parts {
		total += int64(len(p))
	}
	if total == 0 {
		return nil
	}

	n.inFlight++
	n.peak = max(n.peak, n.inFlight)
	defer func() { n.inFlight-- }()

	s := n.link.join(ctx, total)
	if err := s.done.Wait(ctx); err != nil {
		n.link.leave(ctx, s)
		return err
	}
	seg := int64(n.cfg.Segment)
	var (
		delivered int64 // bytes handed to sink
		part      int   // index into parts of the next byte to hand over
		off       int   // offset of that byte in parts[part]
	)
	for delivered < total {
		for step := min(seg, total-delivered); step > 0; {
			p := parts[part]
			if off == len(p) {
				part, off = part+1, 0
				continue
			}
			m := min(int64(len(p)-off), step)
			chunk := p[off : off+int(m) : off+int(m)]
			off += int(m)
			step -= m
			delivered += m
			if err := sink(chunk); err != nil {
				return err
			}
			n.sent += m
		}
	}
	return nil
}

// uplink is a fluid processor-sharing model of one link in virtual time.
// While N streams are active each is served at rate/N bytes per
// nanosecond: v is the service every active stream has received since the
// link last went idle, and a stream that joined at v = start with total
// bytes leaves at v = start + total. Every active stream gains service at
// the same pace, so streams leave in order of their finish; a heap keyed on
// it finds the next departure, and a timer of the clock fires at it.
//
// Departure times are whole nanoseconds, computed by one formula from the
// state as of the last change of membership (v0 at t0 with N streams), so
// the timer and every later look agree exactly: the first stream leaves at
// t0 + ⌈(finish − v0) · N / rate⌉. It is served at most a nanosecond's
// share more than it needs, and the link stays deterministic: the products
// are rounded explicitly, so no platform may fuse them differently.
//
// The uplink is used only by the clock's tasks, one at a time, so it needs
// no lock.
type uplink struct {
	rate float64 // bytes per virtual nanosecond

	v0     float64       // per-stream service at t0, in bytes
	t0     time.Duration // virtual time of the last change
	active streamHeap    // by finish
	timer  *simtime.Timer
}

// stream is one transfer's share of the uplink.
type stream struct {
	finish float64 // v at departure
	index  int     // position in active, -1 once gone
	done   *simtime.Signal
}

func (u *uplink) init(rate float64) { u.rate = rate }

// join adds a stream of total > 0 bytes now.
func (u *uplink) join(ctx context.Context, total int64) *stream {
	now := simtime.Now(ctx)
	u.advance(now)
	u.settle(now)
	s := &stream{finish: float64(u.v0 + float64(total)), done: simtime.NewSignal(ctx)}
	heap.Push(&u.active, s)
	u.schedule(ctx)
	return s
}

// leave removes s if it has not finished; the bytes it had left are never
// sent, and their link time goes to the others.
func (u *uplink) leave(ctx context.Context, s *stream) {
	now := simtime.Now(ctx)
	u.advance(now)
	if s.index < 0 {
		return
	}
	u.settle(now)
	heap.Remove(&u.active, s.index)
	if len(u.active) == 0 {
		u.v0 = 0
	}
	u.schedule(ctx)
}

// departure returns the virtual time at which the first active stream
// leaves, if nobody joins or leaves first.
func (u *uplink) departure() time.Duration {
	need := float64(u.active[0].finish - u.v0)
	ns := math.Ceil(float64(need*float64(len(u.active))) / u.rate)
	return u.t0 + time.Duration(ns)
}

// advance retires, at the moments they leave, the streams that have left
// by now.
func (u *uplink) advance(now time.Duration) {
	for len(u.active) > 0 {
		at := u.departure()
		if at > now {
			return
		}
		first := heap.Pop(&u.active).(*stream)
		u.v0, u.t0 = first.finish, at
		first.done.Fire()
	}
	u.v0, u.t0 = 0, now
}

// settle moves the reference point (v0, t0) to now, before the membership
// changes. advance(now) must have run.
func (u *uplink) settle(now time.Duration) {
	if len(u.active) > 0 {
		perNs := float64(u.rate / float64(len(u.active)))
		u.v0 += float64(float64(now-u.t0) * perNs)
	}
	u.t0 = now
}

// schedule sets the timer for the next departure.
func (u *uplink) schedule(ctx context.Context) {
	if len(u.active) == 0 {
		if u.timer != nil {
			u.timer.Stop()
		}
		return
	}
	d := u.departure() - simtime.Now(ctx)
	if u.timer == nil {
		u.timer = simtime.AfterFunc(ctx, "uplink departure", d, u.depart)
		return
	}
	u.timer.Reset(d)
}

// depart runs at a departure: it retires the streams that are done and
// sets the timer for the next.
func (u *uplink) depart(ctx context.Context) {
	u.advance(simtime.Now(ctx))
	u.schedule(ctx)
}

// streamHeap is a min-heap of streams by finish, for container/heap.
type streamHeap []*stream

func (h streamHeap) Len() int           { return len(h) }
func (h streamHeap) Less(i, j int) bool { return h[i].finish < h[j].finish }
func (h streamHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *streamHeap) Push(x any) {
	s := x.(*stream)
	s.index = len(*h)
	*h = append(*h, s)
}
func (h *streamHeap) Pop() any {
	old := *h
	s := old[len(old)-1]
	old[len(old)-1] = nil
	s.index = -1
	*h = old[:len(old)-1]
	return s
}
