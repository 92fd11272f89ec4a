package simtime

import (
	"context"
	"sync/atomic"
	"time"
)

// cancelCtx is a context whose cancellation is an event of its Clock:
// cancelling it makes the tasks waiting on it runnable at once, in order,
// and cancels its children in the same step. The context package's own
// cancellation hands work to goroutines (AfterFunc, propagation to
// foreign parents), which would race with the scheduler.
type cancelCtx struct {
	context.Context // the parent
	c               *Clock
	parent          *cancelCtx // nil for a Run's root
	done            chan struct{}
	err             atomic.Pointer[error] // set once, under c.mu
	q               waitq                 // tasks waiting for the cancellation
	timer           *timer

	children         childList
	prevSib, nextSib *cancelCtx
	funcs            []*afterFunc
}

type ctxKey struct{}

func newCancelCtx(c *Clock, parent context.Context, p *cancelCtx) *cancelCtx {
	x := &cancelCtx{Context: parent, c: c, parent: p, done: make(chan struct{})}
	if p != nil {
		if err := p.cause(); err != nil {
			x.cancelLocked(err)
		} else {
			p.children.push(x)
		}
	}
	return x
}

// Value returns the context itself for the package's key, so a wait can
// find the clock and the cancellation it must watch.
func (x *cancelCtx) Value(key any) any {
	if key == (ctxKey{}) {
		return x
	}
	return x.Context.Value(key)
}

// Done returns a channel closed on cancellation, for code outside the
// simulation; a task waits with Wait instead.
func (x *cancelCtx) Done() <-chan struct{} { return x.done }

// Err returns nil until the context is cancelled, then why. It takes no
// lock: the context package calls it from inside a cancellation.
func (x *cancelCtx) Err() error { return x.cause() }

func (x *cancelCtx) cause() error {
	if p := x.err.Load(); p != nil {
		return *p
	}
	return nil
}

// Deadline reports no deadline: a virtual deadline has no wall-clock time.
func (x *cancelCtx) Deadline() (time.Time, bool) { return time.Time{}, false }

// afterFunc is a function registered by the context package for a child
// context it made (context.WithCancel of a simtime context).
type afterFunc struct{ f func() }

// AfterFunc lets contexts that the context package derives from x be
// cancelled in the same step as x, instead of from a goroutine. It is the
// interface the context package looks for; call the package's own
// AfterFunc, not this.
func (x *cancelCtx) AfterFunc(f func()) (stop func() bool) {
	x.c.mu.Lock()
	defer x.c.mu.Unlock()
	a := &afterFunc{f: f}
	if x.cause() != nil {
		f()
		return func() bool { return false }
	}
	x.funcs = append(x.funcs, a)
	return func() bool {
		x.c.mu.Lock()
		defer x.c.mu.Unlock()
		for i, b := range x.funcs {
			if b == a {
				x.funcs = append(x.funcs[:i], x.funcs[i+1:]...)
				return true
			}
		}
		return false
	}
}

// cancelLocked cancels x and its children with err, waking every task
// waiting on them. c.mu is held.
func (x *cancelCtx) cancelLocked(err error) {
	if x.cause() != nil {
		return
	}
	x.err.Store(&err)
	close(x.done)
	if x.timer != nil {
		x.c.stopTimerLocked(x.timer)
		x.timer = nil
	}
	x.c.wakeAllLocked(&x.q)
	for ch := x.children.head; ch != nil; ch = x.children.head {
		x.children.remove(ch)
		ch.parent = nil
		ch.cancelLocked(err)
	}
	for _, a := range x.funcs {
		a.f()
	}
	x.funcs = nil
	if x.parent != nil {
		x.parent.children.remove(x)
		x.parent = nil
	}
}

// childList is an intrusive list of a context's live children.
type childList struct{ head, tail *cancelCtx }

func (l *childList) push(x *cancelCtx) {
	x.prevSib, x.nextSib = l.tail, nil
	if l.tail != nil {
		l.tail.nextSib = x
	} else {
		l.head = x
	}
	l.tail = x
}

func (l *childList) remove(x *cancelCtx) {
	if x.prevSib != nil {
		x.prevSib.nextSib = x.nextSib
	} else if l.head == x {
		l.head = x.nextSib
	}
	if x.nextSib != nil {
		x.nextSib.prevSib = x.prevSib
	} else if l.tail == x {
		l.tail = x.prevSib
	}
	x.prevSib, x.nextSib = nil, nil
}

// from returns the simtime context behind ctx, panicking when there is
// none or when ctx can be cancelled apart from it (a context the context
// package derived), since a task could then never be woken by that
// cancellation.
func from(ctx context.Context) *cancelCtx {
	x, ok := ctx.Value(ctxKey{}).(*cancelCtx)
	if !ok {
		panic("simtime: the context does not come from a simtime Clock (use the ctx Clock.Run passes, or one derived from it)")
	}
	if ctx.Done() != x.done {
		panic("simtime: the context has a cancellation of its own that simtime cannot see (derive it with simtime.WithCancel or simtime.WithTimeout, not the context package)")
	}
	return x
}

// FromContext returns the clock that ctx belongs to, or nil.
func FromContext(ctx context.Context) *Clock {
	if x, ok := ctx.Value(ctxKey{}).(*cancelCtx); ok {
		return x.c
	}
	return nil
}

// Detach returns the context the running simulation of ctx's clock began
// with: cancelled only when the simulation is aborted from outside, not
// when ctx is. Work that outlives the task that starts it (data a transport
// has taken and will deliver whatever the sender does next) runs on it.
func Detach(ctx context.Context) context.Context {
	c := from(ctx).c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.run == nil {
		panic("simtime: Detach outside a running simulation")
	}
	return c.run.root
}

// Now returns the virtual time of the clock ctx belongs to.
func Now(ctx context.Context) time.Duration { return from(ctx).c.Now() }

// WithCancel returns a copy of parent that is cancelled when the returned
// CancelFunc is called or when parent is cancelled, whichever comes first.
// parent must come from a Clock.
func WithCancel(parent context.Context) (context.Context, context.CancelFunc) {
	p := from(parent)
	c := p.c
	c.mu.Lock()
	x := newCancelCtx(c, parent, p)
	c.mu.Unlock()
	return x, func() {
		c.mu.Lock()
		x.cancelLocked(context.Canceled)
		c.mu.Unlock()
	}
}

// WithTimeout is WithCancel with a deadline d of virtual time from now:
// the context is cancelled with context.DeadlineExceeded then.
func WithTimeout(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	p := from(parent)
	c := p.c
	c.mu.Lock()
	x := newCancelCtx(c, parent, p)
	if x.cause() == nil {
		if d <= 0 {
			x.cancelLocked(context.DeadlineExceeded)
		} else {
			x.timer = &timer{ctx: x, index: -1}
			c.setTimerLocked(x.timer, c.Now()+d)
		}
	}
	c.mu.Unlock()
	return x, func() {
		c.mu.Lock()
		x.cancelLocked(context.Canceled)
		c.mu.Unlock()
	}
}
