package netsim

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Clock is a scaled clock: simulated time runs Scale times faster than real
// time, except while work is marked Busy, when it stands still. Its zero
// value is not usable; build one with NewClock. A Clock is safe for
// concurrent use.
//
// Why Busy: the model's CPU and disk work (copying and encoding 4 MB
// buffers, hashing, signing, reading the spill) takes real time, which a
// scaled clock would multiply by Scale; at Scale 100 a 10 ms copy would look
// like a second of network time, and sends that the real client overlaps
// would run one after the other. Marking that work Busy makes it take no
// simulated time, as if the machine's CPU and disk were infinitely fast next
// to its uplink, which is the regime the real uploader's memory problem
// lives in. Work marked Busy must never wait on the clock.
type Clock struct {
	scale float64
	start time.Time // carries a monotonic reading

	mu    sync.Mutex // serialises changes of state
	busy  int        // Busy sections open; guarded by mu
	state atomic.Pointer[clockState]
}

// clockState is an immutable snapshot of the clock's pauses.
type clockState struct {
	paused   float64       // real ns spent frozen in finished freezes
	frozenAt float64       // real ns since start when the current freeze began; < 0 when running
	thaw     chan struct{} // closed when the current freeze ends
}

// NewClock returns a clock whose simulated time starts at zero now and runs
// scale times faster than real time. scale must be finite and > 0; 1 is real
// time.
func NewClock(scale float64) (*Clock, error) {
	if err := checkScale(scale); err != nil {
		return nil, err
	}
	c := &Clock{scale: scale, start: time.Now()}
	c.state.Store(&clockState{frozenAt: -1})
	return c, nil
}

// Busy marks the start of work that should take no simulated time and
// returns the function that marks its end. While any Busy section is open,
// simulated time stands still. The work must not wait on this clock (sleep,
// transfer, timeout), or it waits forever.
func (c *Clock) Busy() (done func()) {
	c.mu.Lock()
	c.busy++
	if c.busy == 1 {
		st := c.state.Load()
		c.state.Store(&clockState{paused: st.paused, frozenAt: float64(time.Since(c.start)), thaw: make(chan struct{})})
	}
	c.mu.Unlock()
	return c.idle
}

func (c *Clock) idle() {
	c.mu.Lock()
	c.busy--
	switch {
	case c.busy == 0:
		st := c.state.Load()
		c.state.Store(&clockState{paused: st.paused + float64(time.Since(c.start)) - st.frozenAt, frozenAt: -1})
		close(st.thaw)
	case c.busy < 0:
		c.mu.Unlock()
		panic("netsim: Busy section ended twice")
	}
	c.mu.Unlock()
}

// Frozen returns the real time spent frozen by Busy sections so far.
func (c *Clock) Frozen() time.Duration {
	st := c.state.Load()
	p := st.paused
	if st.frozenAt >= 0 {
		p += float64(time.Since(c.start)) - st.frozenAt
	}
	return toDuration(p)
}

func checkScale(scale float64) error {
	switch {
	case !(scale > 0):
		return fmt.Errorf("netsim: scale: must be > 0 (got %v)", scale)
	case math.IsInf(scale, 1):
		return fmt.Errorf("netsim: scale: must be finite (got %v)", scale)
	}
	return nil
}

// Scale returns how many simulated seconds pass per real second.
func (c *Clock) Scale() float64 { return c.scale }

// Now returns the simulated time elapsed since the clock was made.
func (c *Clock) Now() time.Duration {
	return toDuration(c.realNow() * c.scale)
}

// Real returns the real duration that the simulated duration d takes,
// rounded to the nanosecond. Negative durations stay negative.
func (c *Clock) Real(d time.Duration) time.Duration {
	return toDuration(float64(d) / c.scale)
}

// Sleep pauses the calling goroutine for the simulated duration d. It
// returns ctx.Err() if ctx is done first, or at once if ctx is already done;
// otherwise nil. A d ≤ 0 does not sleep. Sleep is never early, and on an
// idle machine it is late by microseconds of real time, not the
// millisecond a runtime timer would add: it spends the last spinBelow
// yielding in a loop.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	var w waiter
	defer w.stop()
	return w.until(ctx, c, c.realNow()+float64(d)/c.scale, true)
}

// WithTimeout is context.WithTimeout with d in simulated time: the returned
// context is done once d of simulated time has passed, with Err
// context.DeadlineExceeded, or when ctx is done or the CancelFunc is called.
// It may end up to about 1 ms of real time late.
func (c *Clock) WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	t := &timeoutCtx{Context: ctx, done: make(chan struct{}), stop: make(chan struct{})}
	go func() {
		var w waiter
		defer w.stop()
		err := context.DeadlineExceeded
		stopped, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			select {
			case <-t.stop:
				cancel()
			case <-stopped.Done():
			}
		}()
		if e := w.until(stopped, c, c.realNow()+float64(d)/c.scale, false); e != nil {
			err = ctx.Err()
			if err == nil {
				err = context.Canceled
			}
		}
		t.mu.Lock()
		t.err = err
		t.mu.Unlock()
		close(t.done)
	}()
	return t, func() { t.once.Do(func() { close(t.stop) }) }
}

// timeoutCtx is a context with a deadline on the simulated clock. Its Done
// channel is its own, so the context package propagates its Err, not its
// parent's, to the contexts derived from it.
type timeoutCtx struct {
	context.Context
	done, stop chan struct{}
	once       sync.Once

	mu  sync.Mutex
	err error
}

func (t *timeoutCtx) Done() <-chan struct{} { return t.done }

func (t *timeoutCtx) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// spinBelow is the real time before a deadline from which a waiter that
// may spin yields in a loop rather than sleeping on a timer. The Go
// runtime's poller sleeps in whole milliseconds and rounds a remainder up
// (runtime/netpoll_epoll.go, netpoll), so a timer fires up to about 1 ms of
// real time late: a 200 µs timer fires after about 1 ms, which at Scale 100
// would stretch a 20 ms simulated latency to 100 ms.
const spinBelow = 1.2 * float64(time.Millisecond)

// waiter blocks a goroutine until a real deadline, reusing one timer.
type waiter struct{ timer *time.Timer }

// until returns when the real time deadline (nanoseconds since c started)
// has passed, or with ctx.Err() when ctx is done first. If spin is set, the
// timer is set to fire spinBelow early and the rest of the wait yields the
// processor in a loop, for microsecond accuracy; runtime.Gosched lets every
// runnable goroutine go first, so the loop burns only otherwise idle CPU, at
// most about spinBelow per wait. Without spin, until may return about 1 ms
// of real time late.
func (w *waiter) until(ctx context.Context, c *Clock, deadline float64, spin bool) error {
	done := ctx.Done()
	for {
		if st := c.state.Load(); st.frozenAt >= 0 {
			// Simulated time stands still: wait for it to move again.
			select {
			case <-done:
				return ctx.Err()
			case <-st.thaw:
			}
			continue
		}
		left := deadline - c.realNow()
		if left <= 0 {
			return nil
		}
		if spin {
			if left < spinBelow {
				select {
				case <-done:
					return ctx.Err()
				default:
				}
				runtime.Gosched()
				continue
			}
			left -= spinBelow
		}
		d := toDuration(math.Ceil(left))
		if w.timer == nil {
			w.timer = time.NewTimer(d)
		} else {
			w.timer.Reset(d)
		}
		select {
		case <-done:
			return ctx.Err()
		case <-w.timer.C:
		}
	}
}

// stop releases the waiter's timer.
func (w *waiter) stop() {
	if w.timer != nil {
		w.timer.Stop()
	}
}

// realNow returns the real nanoseconds elapsed since the clock was made,
// less the time spent frozen: the clock's own time base, which the uplink
// and every waiter use.
func (c *Clock) realNow() float64 {
	st := c.state.Load()
	if st.frozenAt >= 0 {
		return st.frozenAt - st.paused
	}
	return float64(time.Since(c.start)) - st.paused
}

// toDuration converts nanoseconds to a Duration, saturating instead of
// overflowing.
func toDuration(ns float64) time.Duration {
	switch {
	case ns >= math.MaxInt64:
		return math.MaxInt64
	case ns <= math.MinInt64:
		return math.MinInt64
	}
	return time.Duration(math.Round(ns))
}
