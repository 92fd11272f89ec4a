package netsim

import (
	"container/heap"
	"context"
	"fmt"
	"sync"

	"github.com/fanbench/fanbench/harness/xorname"
)

// Transfer moves the concatenation of parts from the client to the peer to
// through the client's uplink, and returns when the last byte has crossed
// it. The uplink's Config.UplinkBitsPerSec is shared equally by all
// transfers in flight, so one transfer of B bytes alone takes B·8/bits
// simulated seconds and N equal transfers started together each take N times
// that. Propagation latency is not included; see Delay.
//
// The bytes cross in steps of Config.Segment bytes (the last may be
// shorter). When a step has crossed, Transfer calls sink with it, from the
// calling goroutine, in order. sink receives sub-slices of parts, capped so
// that append cannot reach the next part's bytes: the payload is never
// copied, and a step that spans two parts is handed over as two calls. sink
// must not modify the bytes, and may keep them only as long as the caller
// keeps parts alive. If sink returns an error, Transfer stops and returns it.
//
// Cancelling ctx aborts the transfer between steps with ctx.Err(); the link
// time its remaining bytes would have taken goes to the other transfers.
// Empty parts are skipped, and a transfer with no bytes returns nil at once.
// Transfer to a peer that is not in the network returns an error.
//
// Transfer is safe for concurrent use; concurrent calls are what share the
// link. The link serves each transfer's bytes at its fair share whenever
// the calling goroutine runs, so a slow sink or a busy machine delays sink
// calls and Transfer's return but slows no transfer on the link. Sink calls
// are never early. While the end is more than a few milliseconds of real
// time away, steps are handed over in batches on coarse timers, up to about
// 1 ms of real time late; near the end Transfer yields in a loop instead, so
// on an idle machine it returns within microseconds of its last byte.
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

	streams := n.inFlight.Add(1)
	defer n.inFlight.Add(-1)
	for peak := n.peak.Load(); streams > peak && !n.peak.CompareAndSwap(peak, streams); peak = n.peak.Load() {
	}

	s := n.link.join(n.clock.realNow(), total)
	defer func() { n.link.leave(s, n.clock.realNow()) }()

	var w waiter
	defer w.stop()
	seg := int64(n.cfg.Segment)
	var (
		delivered int64 // bytes handed to sink
		part      int   // index into parts of the next byte to hand over
		off       int   // offset of that byte in parts[part]
	)
	for {
		end := min(delivered+seg, total) // end of the next step
		now := n.clock.realNow()
		served, next, last := n.link.progress(s, now, end)
		for end <= served {
			for step := end - delivered; step > 0; {
				p := parts[part]
				if off == len(p) {
					part, off = part+1, 0
					continue
				}
				m := min(int64(len(p)-off), step)
				chunk := p[off : off+int(m) : off+int(m)]
				off += int(m)
				step -= m
				if err := sink(chunk); err != nil {
					return err
				}
				n.sent.Add(m)
			}
			delivered = end
			if delivered == total {
				return nil
			}
			end = min(delivered+seg, total)
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		// Spin only near the end, so that Transfer returns on time. Earlier
		// steps may wait for a coarse timer: several arrive at once, up to
		// a millisecond of real time late, and the link does not care.
		if err := w.until(ctx, n.clock, next, last-now < 2*spinBelow); err != nil {
			return err
		}
	}
}

// uplink is a fluid processor-sharing model of one link. While N streams
// are active each is served at rate/N bytes per real nanosecond, exactly:
// v is the service every active stream has received since the link last
// went idle, and a stream that joined at v = start with total bytes has
// crossed v − start of them, and leaves at v = start + total. Because every
// active stream gains service at the same pace, streams leave in order of
// their finish; a heap keyed on it finds the next departure, and advance
// replays departures up to the present whenever anyone looks. Nothing here
// depends on when the streams' goroutines wake up.
//
// Why not golang.org/x/time/rate: a Limiter's FIFO reservations would share
// the link fairly enough, but (1) each step would be paced by a sleep, and a
// 64 KiB step at 100 Mbit/s × Scale 100 lasts 52 µs of real time while a
// sub-millisecond sleep on Linux lasts about 1 ms, so the link would run 20
// times too slow unless the burst were raised to milliseconds of traffic,
// which a new stream could then spend at once after an idle spell; (2) a
// reservation is granted at the start of a step, so a lone transfer would end
// one step early; and (3) WaitN fails at once when the wait would pass the
// context's deadline, where a transfer should run until the deadline passes.
// The fluid model has none of these faults and is the fair share by
// definition; the wall clock's coarseness only delays sink calls.
type uplink struct {
	rate float64 // bytes per real nanosecond

	mu     sync.Mutex
	v      float64    // per-stream service since the link last went idle, in bytes
	t      float64    // real nanoseconds (Clock.realNow) at which v was reached
	active streamHeap // by finish
}

// stream is one transfer's share of the uplink. Its fields are guarded by
// uplink.mu.
type stream struct {
	start, finish float64 // v at join and at departure
	total         int64
	index         int  // position in active, -1 once gone
	done          bool // all bytes crossed
}

func (u *uplink) init(rate float64) { u.rate = rate }

// join adds a stream of total > 0 bytes at real time now.
func (u *uplink) join(now float64, total int64) *stream {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.advance(now)
	s := &stream{start: u.v, finish: u.v + float64(total), total: total}
	heap.Push(&u.active, s)
	return s
}

// leave removes s if it has not finished; the bytes it had left are never
// sent, and their link time goes to the others.
func (u *uplink) leave(s *stream, now float64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.advance(now)
	if s.index >= 0 {
		heap.Remove(&u.active, s.index)
		if len(u.active) == 0 {
			u.v = 0
		}
	}
}

// progress returns how many of s's bytes have crossed by real time now, and
// the real times (nanoseconds, on the clock's scale) at which to ask again
// and at which s would finish if nobody joined or left. next is when target
// bytes will have crossed or the next departure speeds the link up,
// whichever is sooner; an arrival in the meantime only makes it early, and
// the caller asks again. If target bytes have crossed, next is now.
func (u *uplink) progress(s *stream, now float64, target int64) (served int64, next, last float64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.advance(now)
	now = u.t
	if s.done {
		return s.total, now, now
	}
	// The tolerance absorbs rounding in v; a millionth of a byte is no time.
	got := u.v - s.start + 1e-6
	perByte := float64(len(u.active)) / u.rate // real ns per byte of one stream's service
	last = now + (s.finish-u.v)*perByte
	if got >= float64(target) {
		return min(int64(got), s.total), now, last
	}
	next = now + min(s.start+float64(target)-u.v, u.active[0].finish-u.v)*perByte
	return int64(got), next, last
}

// advance brings v forward to real time now, retiring the streams that
// finished on the way at the moments they finished. u.mu must be held.
func (u *uplink) advance(now float64) {
	if now < u.t {
		now = u.t // callers read the clock before taking the lock
	}
	for len(u.active) > 0 {
		perByte := float64(len(u.active)) / u.rate
		first := u.active[0]
		at := u.t + (first.finish-u.v)*perByte
		if at > now {
			u.v += (now - u.t) / perByte
			break
		}
		u.v, u.t = first.finish, at
		first.done = true
		heap.Pop(&u.active)
	}
	if len(u.active) == 0 {
		u.v = 0
	}
	u.t = now
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
