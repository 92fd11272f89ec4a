package simtime

import (
	"context"
	"time"
)

// Go starts f as a new task of ctx's clock, with ctx as its context, and
// runs it at once until it first blocks; then the calling task goes on,
// at the same virtual instant. That is how a Rust future's first poll runs
// it to its first await inside the poll of the future that holds it, so
// futures started together are built one after another, in order. name
// identifies the task in deadlock reports.
func Go(ctx context.Context, name string, f func(ctx context.Context)) {
	c := from(ctx).c
	c.mu.Lock()
	defer c.mu.Unlock()
	c.runFirstLocked(c.spawnLocked(name, func() { f(ctx) }))
}

// Sleep blocks the calling task for d of virtual time. It returns
// ctx.Err() if ctx is cancelled first (or already), otherwise nil; d ≤ 0
// returns at once.
func Sleep(ctx context.Context, d time.Duration) error {
	x := from(ctx)
	c := x.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := x.cause(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	t := c.self()
	tm := &timer{index: -1}
	c.setTimerLocked(tm, c.Now()+d)
	byTimer := t.waitOn(&tm.q)
	t.waitOn(&x.q)
	if c.block(t, "sleep") == byTimer {
		return nil
	}
	c.stopTimerLocked(tm)
	return x.cause()
}

// Wait blocks the calling task until ctx is cancelled and returns
// ctx.Err(): a peer that never answers.
func Wait(ctx context.Context) error {
	x := from(ctx)
	c := x.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := x.cause(); err == nil {
		t := c.self()
		t.waitOn(&x.q)
		c.block(t, "context")
	}
	return x.cause()
}

// Signal is a one-shot event: Fire wakes every task waiting on it and
// every later Wait returns at once. Build one with NewSignal.
type Signal struct {
	c     *Clock
	fired bool
	q     waitq
}

// NewSignal returns an unfired signal on ctx's clock.
func NewSignal(ctx context.Context) *Signal { return &Signal{c: from(ctx).c} }

// Fire fires the signal; later calls do nothing. It does not block.
func (s *Signal) Fire() {
	s.c.mu.Lock()
	if !s.fired {
		s.fired = true
		s.c.wakeAllLocked(&s.q)
	}
	s.c.mu.Unlock()
}

// Wait blocks the calling task until the signal fires, returning nil, or
// until ctx is cancelled, returning ctx.Err(). A fired signal wins over a
// cancelled context.
func (s *Signal) Wait(ctx context.Context) error {
	x := from(ctx)
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if s.fired {
		return nil
	}
	if err := x.cause(); err != nil {
		return err
	}
	t := c.self()
	t.waitOn(&s.q)
	t.waitOn(&x.q)
	c.block(t, "signal")
	if s.fired {
		return nil
	}
	return x.cause()
}

// Group waits for a set of tasks, like sync.WaitGroup. The zero value is
// ready to use; a Group must not be copied after first use.
type Group struct {
	c *Clock
	n int // tasks started by Go and not finished
	q waitq
}

// Go starts f as a task (see the package's Go: it runs at once until it
// first blocks) and counts it in g.
func (g *Group) Go(ctx context.Context, name string, f func(ctx context.Context)) {
	c := from(ctx).c
	c.mu.Lock()
	defer c.mu.Unlock()
	if g.c == nil {
		g.c = c
	}
	g.n++
	t := c.spawnLocked(name, func() { f(ctx) })
	t.group = g
	c.runFirstLocked(t)
}

// Wait blocks the calling task until every task started by g.Go has
// finished. It cannot be cancelled: the tasks watch their own contexts.
func (g *Group) Wait() {
	c := g.c
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for g.n > 0 {
		t := c.self()
		t.waitOn(&g.q)
		c.block(t, "group")
	}
}

// Queue is an unbounded FIFO of values between tasks, like a channel with
// no capacity limit. Build one with NewQueue.
type Queue[T any] struct {
	c     *Clock
	items []T
	q     waitq
}

// NewQueue returns an empty queue on ctx's clock.
func NewQueue[T any](ctx context.Context) *Queue[T] { return &Queue[T]{c: from(ctx).c} }

// Put appends v and wakes the first task waiting in Get. It does not block.
func (q *Queue[T]) Put(v T) {
	q.c.mu.Lock()
	q.items = append(q.items, v)
	q.c.wakeOneLocked(&q.q)
	q.c.mu.Unlock()
}

// Get removes and returns the first value, blocking the calling task while
// the queue is empty.
func (q *Queue[T]) Get() T {
	c := q.c
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(q.items) == 0 {
		t := c.self()
		t.waitOn(&q.q)
		c.block(t, "queue")
	}
	v := q.items[0]
	var zero T
	q.items[0] = zero
	q.items = q.items[1:]
	return v
}

// Semaphore holds a number of slots, like futures' buffer_unordered(k)
// limit: Acquire takes one, waiting while none is free; Release returns
// one. Build one with NewSemaphore.
type Semaphore struct {
	c    *Clock
	free int
	q    waitq
}

// NewSemaphore returns a semaphore with n free slots on ctx's clock.
func NewSemaphore(ctx context.Context, n int) *Semaphore {
	return &Semaphore{c: from(ctx).c, free: n}
}

// Acquire takes a slot, blocking the calling task while none is free. It
// returns ctx.Err(), without a slot, if ctx is cancelled first.
func (s *Semaphore) Acquire(ctx context.Context) error {
	x := from(ctx)
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	for s.free == 0 {
		if err := x.cause(); err != nil {
			return err
		}
		t := c.self()
		t.waitOn(&s.q)
		t.waitOn(&x.q)
		c.block(t, "semaphore")
	}
	if err := x.cause(); err != nil {
		s.c.wakeOneLocked(&s.q) // pass the free slot on
		return err
	}
	s.free--
	return nil
}

// Release returns a slot and wakes the first task waiting for one.
func (s *Semaphore) Release() {
	s.c.mu.Lock()
	s.free++
	s.c.wakeOneLocked(&s.q)
	s.c.mu.Unlock()
}

// Timer runs a function as a new task at a virtual time, like
// time.AfterFunc. Build one with AfterFunc.
type Timer struct {
	c  *Clock
	tm timer
}

// AfterFunc arranges for f to run as a new task named name once d of
// virtual time has passed, with ctx as its context. The returned Timer can
// be stopped or reset.
func AfterFunc(ctx context.Context, name string, d time.Duration, f func(ctx context.Context)) *Timer {
	c := from(ctx).c
	t := &Timer{c: c, tm: timer{index: -1, name: name, fn: func() { f(ctx) }}}
	c.mu.Lock()
	c.setTimerLocked(&t.tm, c.Now()+d)
	c.mu.Unlock()
	return t
}

// Stop cancels the timer and reports whether it was pending.
func (t *Timer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	return t.c.stopTimerLocked(&t.tm)
}

// Reset makes the timer fire d of virtual time from now, whether it was
// pending, stopped or fired, and reports whether it was pending.
func (t *Timer) Reset(d time.Duration) bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.c.stopTimerLocked(&t.tm)
	t.c.setTimerLocked(&t.tm, t.c.Now()+d)
	return was
}
