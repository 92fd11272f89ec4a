package simtime

import (
	"container/heap"
	"context"
	"time"
)

// timer is a pending event: at virtual time at, it wakes the waiters of q,
// cancels ctx, or starts fn as a task.
type timer struct {
	at    time.Duration
	seq   uint64
	index int // in Clock.timers; -1 when not pending

	q    waitq
	ctx  *cancelCtx
	fn   func()
	name string
}

func (tm *timer) fireLocked(c *Clock) {
	switch {
	case tm.ctx != nil:
		tm.ctx.timer = nil
		tm.ctx.cancelLocked(context.DeadlineExceeded)
	case tm.fn != nil:
		c.runq.pushBack(c.spawnLocked(tm.name, tm.fn))
	default:
		c.wakeAllLocked(&tm.q)
	}
}

// setTimerLocked schedules tm at virtual time at (not before now).
func (c *Clock) setTimerLocked(tm *timer, at time.Duration) {
	if now := c.Now(); at < now {
		at = now
	}
	if tm.index >= 0 && len(c.timers) > tm.index && c.timers[tm.index] == tm {
		heap.Remove(&c.timers, tm.index)
	}
	c.seq++
	tm.at, tm.seq = at, c.seq
	heap.Push(&c.timers, tm)
}

// stopTimerLocked unschedules tm and reports whether it was pending.
func (c *Clock) stopTimerLocked(tm *timer) bool {
	if tm.index < 0 {
		return false
	}
	heap.Remove(&c.timers, tm.index)
	return true
}

// timerHeap orders timers by (at, seq), for container/heap.
type timerHeap []*timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *timerHeap) Push(x any) {
	tm := x.(*timer)
	tm.index = len(*h)
	*h = append(*h, tm)
}
func (h *timerHeap) Pop() any {
	old := *h
	tm := old[len(old)-1]
	old[len(old)-1] = nil
	tm.index = -1
	*h = old[:len(old)-1]
	return tm
}
