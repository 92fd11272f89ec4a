package netsim

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNewClockRejectsBadScale(t *testing.T) {
	for _, scale := range []float64{0, -1, math.NaN(), math.Inf(1), math.Inf(-1)} {
		c, err := NewClock(scale)
		if err == nil || c != nil {
			t.Errorf("NewClock(%v) = %v, %v; want an error", scale, c, err)
			continue
		}
		if !strings.Contains(err.Error(), "scale") {
			t.Errorf("NewClock(%v) error %q does not name the field", scale, err)
		}
	}
}

func TestClockReal(t *testing.T) {
	check := func(scale float64, sim, want time.Duration) {
		t.Helper()
		c, err := NewClock(scale)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Real(sim); got != want {
			t.Errorf("scale %v: Real(%v) = %v, want %v", scale, sim, got, want)
		}
	}
	check(1, 10*time.Second, 10*time.Second)
	check(100, 10*time.Second, 100*time.Millisecond)
	check(0.5, time.Second, 2*time.Second)
	check(100, -time.Second, -10*time.Millisecond)
	check(1e-9, math.MaxInt64/2, math.MaxInt64) // saturates
}

func TestClockSleepScales(t *testing.T) {
	retryTiming(t, func(t *testing.T) string {
		c, err := NewClock(100)
		if err != nil {
			t.Fatal(err)
		}
		start, simStart := time.Now(), c.Now()
		if err := c.Sleep(context.Background(), 10*time.Second); err != nil {
			t.Fatal(err)
		}
		sim, real := c.Now()-simStart, time.Since(start)
		// 10 s simulated is 100 ms real.
		if real < 99*time.Millisecond || sim < 10*time.Second {
			t.Errorf("Sleep(10s) at scale 100 took %v real, %v simulated; want at least 100ms, 10s", real, sim)
		}
		if real > 300*time.Millisecond {
			return fmt.Sprintf("Sleep(10s) at scale 100 took %v real, want about 100ms", real)
		}
		// Now must agree with the wall clock through the scale.
		if ratio := float64(sim) / float64(real); ratio < 95 || ratio > 105 {
			return fmt.Sprintf("Now advanced %v while %v passed: ratio %.1f, want 100", sim, real, ratio)
		}
		return ""
	})
}

func TestClockSleepShortIsAccurate(t *testing.T) {
	// 20 ms simulated at Scale 100 is 200 µs real: below the runtime's
	// timer resolution, so Sleep must spin rather than wait for a timer
	// that fires after about 1 ms (100 ms simulated).
	retryTiming(t, func(t *testing.T) string {
		c, err := NewClock(100)
		if err != nil {
			t.Fatal(err)
		}
		const d = 20 * time.Millisecond
		var late []time.Duration
		for range 10 {
			start := c.Now()
			if err := c.Sleep(context.Background(), d); err != nil {
				t.Fatal(err)
			}
			took := c.Now() - start
			if took < d {
				t.Fatalf("Sleep(%v) returned after %v simulated", d, took)
			}
			late = append(late, took-d)
		}
		slices.Sort(late)
		if median := late[len(late)/2]; median > 20*time.Millisecond {
			return fmt.Sprintf("Sleep(%v) at Scale 100 ran a median %v simulated late (all: %v), want under 20ms", d, median, late)
		}
		return ""
	})
}

func TestClockSleepCancel(t *testing.T) {
	c, err := NewClock(1)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(10*time.Millisecond, cancel)
	start := time.Now()
	if err := c.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep on a cancelled context = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("cancelled Sleep returned after %v", d)
	}
	// An already-cancelled context fails even for a zero sleep.
	if err := c.Sleep(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep(0) on a cancelled context = %v, want context.Canceled", err)
	}
	if err := c.Sleep(context.Background(), -time.Second); err != nil {
		t.Errorf("Sleep(-1s) = %v, want nil", err)
	}
}

func TestClockWithTimeout(t *testing.T) {
	c, err := NewClock(100)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := c.WithTimeout(context.Background(), 5*time.Second) // 50 ms real
	defer cancel()
	start := c.Now()
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("simulated 5 s timeout did not fire within 5 s of real time")
	}
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Errorf("ctx.Err() = %v, want DeadlineExceeded", ctx.Err())
	}
	if got := c.Now() - start; got < 4900*time.Millisecond {
		t.Errorf("timeout fired after %v simulated, want at least 5s", got)
	}
}

func TestBusyFreezesTime(t *testing.T) {
	c, err := NewClock(1000)
	if err != nil {
		t.Fatal(err)
	}
	done := c.Busy()
	before := c.Now()
	time.Sleep(20 * time.Millisecond) // 20 simulated seconds if the clock ran
	if moved := c.Now() - before; moved != 0 {
		t.Fatalf("simulated time moved %v while busy", moved)
	}
	inner := c.Busy() // nested sections keep it frozen
	inner()
	if moved := c.Now() - before; moved != 0 {
		t.Fatalf("simulated time moved %v after an inner section ended", moved)
	}
	slept := make(chan error, 1)
	go func() { slept <- c.Sleep(context.Background(), time.Second) }()
	select {
	case <-slept:
		t.Fatal("a sleep ended while the clock was frozen")
	case <-time.After(10 * time.Millisecond):
	}
	done()
	if err := <-slept; err != nil {
		t.Fatal(err)
	}
	if c.Frozen() < 30*time.Millisecond {
		t.Fatalf("Frozen = %v, want ≥ 30ms", c.Frozen())
	}
}

func TestWithTimeoutErrors(t *testing.T) {
	c, err := NewClock(1000)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := c.WithTimeout(context.Background(), time.Second) // 1 ms real
	defer cancel()
	child, stop := context.WithCancel(ctx)
	defer stop()
	<-child.Done()
	if ctx.Err() != context.DeadlineExceeded || child.Err() != context.DeadlineExceeded {
		t.Fatalf("Err = %v, child %v; want DeadlineExceeded", ctx.Err(), child.Err())
	}
	ctx2, cancel2 := c.WithTimeout(context.Background(), time.Hour)
	cancel2()
	<-ctx2.Done()
	if ctx2.Err() != context.Canceled {
		t.Fatalf("cancelled Err = %v", ctx2.Err())
	}
}
