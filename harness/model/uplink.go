package model

import (
	"container/heap"
	"math"

	"github.com/fanbench/fanbench/harness/wire"
)

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
		// The rounding follows netsim's (rate per frame first), so that
		// both land on the same nanosecond.
		perNs := u.rate / float64(len(u.frames))
		u.v += float64(now-u.t0) * perNs
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
