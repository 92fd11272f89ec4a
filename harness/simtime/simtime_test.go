package simtime

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// log records what tasks did and when, in virtual time; only one task runs
// at a time, so it needs no lock.
type log []string

func (l *log) add(ctx context.Context, format string, args ...any) {
	*l = append(*l, fmt.Sprintf("%v ", Now(ctx))+fmt.Sprintf(format, args...))
}

func run(t *testing.T, f func(ctx context.Context) error) (*Clock, error) {
	t.Helper()
	c := New()
	return c, c.Run(context.Background(), "main", f)
}

func check(t *testing.T, got log, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

func TestSleepJumpsToEvents(t *testing.T) {
	var l log
	start := time.Now()
	c, err := run(t, func(ctx context.Context) error {
		for _, d := range []time.Duration{3 * time.Hour, 2 * time.Hour, time.Hour} {
			Go(ctx, "sleeper", func(ctx context.Context) {
				l.add(ctx, "sleep %v", d)
				Sleep(ctx, d)
				l.add(ctx, "woke after %v", d)
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	check(t, l,
		"0s sleep 3h0m0s", "0s sleep 2h0m0s", "0s sleep 1h0m0s",
		"1h0m0s woke after 1h0m0s", "2h0m0s woke after 2h0m0s", "3h0m0s woke after 3h0m0s")
	if c.Now() != 3*time.Hour {
		t.Errorf("Now = %v after the run, want 3h", c.Now())
	}
	// Six hours of virtual time take no real time: nothing sleeps. The
	// bound only catches a clock that waits on the wall clock.
	if real := time.Since(start); real > 10*time.Second {
		t.Errorf("3h of virtual time took %v of real time", real)
	}
}

func TestSameInstantRunsInOrderOfWaking(t *testing.T) {
	// Timers set for one instant fire in the order they were set, and the
	// tasks they wake run in that order, whatever the Go scheduler does.
	for range 20 {
		var l log
		_, err := run(t, func(ctx context.Context) error {
			for i := range 8 {
				Go(ctx, "t", func(ctx context.Context) {
					Sleep(ctx, time.Duration(8-i)*time.Millisecond) // set in order 8..1 ms
					Sleep(ctx, time.Duration(i)*time.Millisecond)   // all wake at 8 ms
					l.add(ctx, "%d", i)
				})
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Task 0's only timer for 8 ms was set at 0 s, before any other;
		// task i > 0 sets its second timer at 8-i ms, so the later tasks
		// set theirs first.
		check(t, l, "8ms 0", "8ms 7", "8ms 6", "8ms 5", "8ms 4", "8ms 3", "8ms 2", "8ms 1")
	}
}

func TestWithTimeout(t *testing.T) {
	var l log
	_, err := run(t, func(ctx context.Context) error {
		tctx, cancel := WithTimeout(ctx, 30*time.Second)
		defer cancel()
		err := Sleep(tctx, time.Minute)
		l.add(ctx, "sleep: %v", err)
		child, cancel2 := WithCancel(tctx)
		defer cancel2()
		l.add(ctx, "child of expired: %v", child.Err())

		tctx, cancel = WithTimeout(ctx, 30*time.Second)
		err = Sleep(tctx, 10*time.Second)
		cancel()
		l.add(ctx, "short sleep: %v, after cancel: %v", err, tctx.Err())
		err = Sleep(ctx, time.Minute) // the cancelled timer must not fire
		l.add(ctx, "done: %v", err)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	check(t, l,
		"30s sleep: context deadline exceeded",
		"30s child of expired: context deadline exceeded",
		"40s short sleep: <nil>, after cancel: context canceled",
		"1m40s done: <nil>")
}

func TestCancelWakesWaitersAndChildren(t *testing.T) {
	var l log
	_, err := run(t, func(ctx context.Context) error {
		wctx, cancel := WithCancel(ctx)
		grand, cancelGrand := WithTimeout(wctx, time.Hour)
		defer cancelGrand()
		var g Group
		g.Go(wctx, "waiter", func(ctx context.Context) {
			err := Wait(ctx)
			l.add(ctx, "wait: %v", err)
		})
		g.Go(grand, "grandchild", func(ctx context.Context) {
			err := Sleep(ctx, 2*time.Hour)
			l.add(ctx, "grandchild: %v", err)
		})
		// A context the context package derives is cancelled in the same
		// step, through AfterFunc, not by a goroutine later.
		std, stop := context.WithCancel(wctx)
		defer stop()
		Sleep(ctx, 5*time.Second)
		cancel()
		l.add(ctx, "std child: %v", std.Err())
		g.Wait()
		l.add(ctx, "all done")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	check(t, l, "5s std child: context canceled", "5s wait: context canceled", "5s grandchild: context canceled", "5s all done")
}

func TestQueueSemaphoreGroup(t *testing.T) {
	// buffer_unordered(2) of five jobs of 3, 1, 4, 1, 5 s: a new one starts
	// as each ends.
	var l log
	_, err := run(t, func(ctx context.Context) error {
		sem := NewSemaphore(ctx, 2)
		done := NewQueue[int](ctx)
		var g Group
		for i, d := range []int{3, 1, 4, 1, 5} {
			if err := sem.Acquire(ctx); err != nil {
				return err
			}
			l.add(ctx, "start %d", i)
			g.Go(ctx, "job", func(ctx context.Context) {
				defer sem.Release()
				Sleep(ctx, time.Duration(d)*time.Second)
				done.Put(i)
			})
		}
		g.Wait()
		for range 5 {
			l.add(ctx, "end %d", done.Get())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	check(t, l, "0s start 0", "0s start 1", "1s start 2", "3s start 3", "4s start 4",
		"9s end 1", "9s end 0", "9s end 3", "9s end 2", "9s end 4")
}

func TestSemaphoreCancel(t *testing.T) {
	_, err := run(t, func(ctx context.Context) error {
		sem := NewSemaphore(ctx, 0)
		tctx, cancel := WithTimeout(ctx, time.Second)
		defer cancel()
		if err := sem.Acquire(tctx); !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("Acquire on a timed-out context = %v", err)
		}
		if Now(ctx) != time.Second {
			return fmt.Errorf("gave up at %v, want 1s", Now(ctx))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSignalAndAfterFunc(t *testing.T) {
	var l log
	_, err := run(t, func(ctx context.Context) error {
		s := NewSignal(ctx)
		tm := AfterFunc(ctx, "fire", time.Hour, func(ctx context.Context) {
			l.add(ctx, "fire")
			s.Fire()
		})
		tm.Reset(2 * time.Second) // brought forward
		if err := s.Wait(ctx); err != nil {
			return err
		}
		l.add(ctx, "signalled")
		if err := s.Wait(ctx); err != nil { // fired stays fired
			return err
		}
		stopped := AfterFunc(ctx, "never", time.Second, func(ctx context.Context) { l.add(ctx, "never") })
		if !stopped.Stop() || stopped.Stop() {
			return errors.New("Stop should report pending once")
		}
		Sleep(ctx, time.Minute)
		l.add(ctx, "end")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	check(t, l, "2s fire", "2s signalled", "1m2s end")
}

func TestDeadlockIsReported(t *testing.T) {
	c := New()
	done := make(chan error, 1)
	unwound := false
	go func() {
		done <- c.Run(context.Background(), "main", func(ctx context.Context) error {
			q := NewQueue[int](ctx)
			var g Group
			g.Go(ctx, "consumer", func(ctx context.Context) {
				defer func() { unwound = true }() // the task unwinds
				q.Get()                           // nobody ever puts
			})
			Sleep(ctx, time.Second)
			g.Wait()
			return nil
		})
	}()
	select {
	case err := <-done:
		var d *DeadlockError
		if !errors.As(err, &d) {
			t.Fatalf("Run = %v, want a *DeadlockError", err)
		}
		if d.At != time.Second || len(d.Tasks) != 2 {
			t.Fatalf("deadlock %+v", d)
		}
		for _, want := range []string{"main: group since 1s", "consumer: queue since 0s"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%q does not name %q", err, want)
			}
		}
	case <-time.After(time.Minute):
		t.Fatal("a deadlocked simulation hangs")
	}
	if !unwound {
		t.Error("the blocked task's deferred calls did not run")
	}
	if names := c.Tasks(); len(names) != 0 {
		t.Errorf("tasks left after the teardown: %v", names)
	}
}

func TestTaskPanicReachesRun(t *testing.T) {
	defer func() {
		p, ok := recover().(*PanicError)
		if !ok || p.Task != "bad" || p.Value != "boom" || !strings.Contains(p.Error(), `task "bad" panicked: boom`) {
			t.Fatalf("recovered %v", p)
		}
	}()
	run(t, func(ctx context.Context) error {
		Go(ctx, "bad", func(ctx context.Context) { panic("boom") })
		Go(ctx, "waiting", func(ctx context.Context) { Wait(ctx) })
		Sleep(ctx, time.Second)
		return nil
	})
	t.Fatal("Run returned")
}

func TestForeignContextPanics(t *testing.T) {
	_, err := run(t, func(ctx context.Context) error {
		std, cancel := context.WithCancel(ctx)
		defer cancel()
		defer func() {
			if p := recover(); p == nil || !strings.Contains(fmt.Sprint(p), "simtime.WithCancel") {
				t.Errorf("waiting on a context package child: recovered %v", p)
			}
		}()
		Sleep(std, time.Second)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOutsideCancelAborts(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	c := New()
	go func() {
		for c.Now() < time.Hour { // virtual time runs on while we wait
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	err := c.Run(parent, "main", func(ctx context.Context) error {
		for {
			if err := Sleep(ctx, time.Minute); err != nil {
				return err
			}
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
}

func TestClockKeepsTimeAcrossRuns(t *testing.T) {
	c := New()
	for i := 1; i <= 2; i++ {
		if err := c.Run(context.Background(), "main", func(ctx context.Context) error { return Sleep(ctx, time.Second) }); err != nil {
			t.Fatal(err)
		}
		if c.Now() != time.Duration(i)*time.Second {
			t.Fatalf("run %d ended at %v", i, c.Now())
		}
	}
}

func TestBlockingOutsideATaskPanics(t *testing.T) {
	var ctx context.Context
	c := New()
	c.Run(context.Background(), "main", func(c context.Context) error { ctx = c; return nil })
	defer func() {
		if p := recover(); p == nil || !strings.Contains(fmt.Sprint(p), "not a running task") {
			t.Fatalf("recovered %v", p)
		}
	}()
	Sleep(ctx, time.Second)
}

func TestGoRunsTheChildFirst(t *testing.T) {
	// A future's first poll inside its parent's: each child runs to its
	// first wait before the parent goes on, grandchildren first.
	var l log
	_, err := run(t, func(ctx context.Context) error {
		var g Group
		for i := range 2 {
			l.add(ctx, "parent starts %d", i)
			g.Go(ctx, "child", func(ctx context.Context) {
				l.add(ctx, "child %d builds", i)
				Go(ctx, "grandchild", func(ctx context.Context) {
					l.add(ctx, "grandchild %d builds", i)
					Sleep(ctx, time.Second)
					l.add(ctx, "grandchild %d done", i)
				})
				l.add(ctx, "child %d waits", i)
				Sleep(ctx, 2*time.Second)
			})
		}
		l.add(ctx, "parent waits")
		g.Wait()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	check(t, l,
		"0s parent starts 0", "0s child 0 builds", "0s grandchild 0 builds", "0s child 0 waits",
		"0s parent starts 1", "0s child 1 builds", "0s grandchild 1 builds", "0s child 1 waits",
		"0s parent waits", "1s grandchild 0 done", "1s grandchild 1 done")
}

func TestDetach(t *testing.T) {
	var l log
	_, err := run(t, func(ctx context.Context) error {
		cctx, cancel := WithCancel(ctx)
		Go(Detach(cctx), "outlives", func(ctx context.Context) {
			Sleep(ctx, time.Second)
			l.add(ctx, "delivered: %v", ctx.Err())
		})
		cancel()
		l.add(ctx, "sender gone: %v", cctx.Err())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	check(t, l, "0s sender gone: context canceled", "1s delivered: <nil>")
}
