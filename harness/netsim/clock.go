package netsim

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"time"
)

// Clock is a scaled clock: simulated time runs Scale times faster than real
// time. Its zero value is not usable; build one with NewClock. A Clock is
// immutable after NewClock and safe for concurrent use.
type Clock struct {
	scale float64
	start time.Time // carries a monotonic reading
}

// NewClock returns a clock whose simulated time starts at zero now and runs
// scale times faster than real time. scale must be finite and > 0; 1 is real
// time.
func NewClock(scale float64) (*Clock, error) {
	if err := checkScale(scale); err != nil {
		return nil, err
	}
	return &Clock{scale: scale, start: time.Now()}, nil
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
	return toDuration(float64(time.Since(c.start)) * c.scale)
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
// context is done after c.Real(d) of real time.
func (c *Clock) WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.Real(d))
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

// realNow returns the real nanoseconds elapsed since the clock was made.
func (c *Clock) realNow() float64 { return float64(time.Since(c.start)) }

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
