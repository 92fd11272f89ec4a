package simtime

import (
	"container/heap"
	"context"
	"errors"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Clock is a discrete-event scheduler and its virtual time. The zero value
// is not usable; build one with New. Its time starts at zero and survives
// successive calls of Run.
type Clock struct {
	now atomic.Int64 // virtual nanoseconds; written under mu

	mu      sync.Mutex
	seq     uint64 // orders timers set at the same instant
	timers  timerHeap
	runq    deque // runnable, in the order they will run
	current *task // the task holding the processor, nil between tasks
	tasks   taskList
	nextID  uint64
	run     *runState // nil when no Run is under way
}

// runState is one call of Run.
type runState struct {
	root     *cancelCtx    // the context Run gives its first task
	done     chan struct{} // closed when every task has finished
	deadlock *DeadlockError
	panicked *PanicError // a task's panic, re-raised by Run
	dying    bool        // tearing down: blocked tasks exit one by one
}

// New returns a clock at virtual time zero with no tasks.
func New() *Clock { return &Clock{} }

// Now returns the virtual time elapsed since the clock was made. It may be
// called from any goroutine.
func (c *Clock) Now() time.Duration { return time.Duration(c.now.Load()) }

// Run runs f as the first task of a simulation, with a context from which
// every task it starts descends, and returns when every task has finished.
// It returns f's error; or a *DeadlockError when the tasks still running
// are all blocked and no timer is pending, which no event could ever
// change. If a task panics, the other tasks are unwound (each blocked task
// exits, running its deferred calls) and Run re-panics in its caller with a
// *PanicError carrying the task's name, panic value and stack. Cancelling parent cancels the simulation's
// contexts (an outside abort: the order of what follows is no longer
// deterministic). Run must not be called from a task, nor twice at once.
func (c *Clock) Run(parent context.Context, name string, f func(ctx context.Context) error) error {
	c.mu.Lock()
	if c.run != nil {
		c.mu.Unlock()
		return errors.New("simtime: Run called while the clock is running")
	}
	rs := &runState{done: make(chan struct{})}
	c.run = rs
	root := newCancelCtx(c, parent, nil)
	rs.root = root
	var err error
	c.runq.pushBack(c.spawnLocked(name, func() { err = f(root) }))
	c.dispatchLocked()
	c.mu.Unlock()

	if parent.Done() != nil {
		stop := context.AfterFunc(parent, func() {
			c.mu.Lock()
			root.cancelLocked(context.Cause(parent))
			c.mu.Unlock()
		})
		defer stop()
	}
	<-rs.done

	c.mu.Lock()
	c.run = nil
	c.mu.Unlock()
	if rs.panicked != nil {
		panic(rs.panicked)
	}
	if rs.deadlock != nil {
		return errors.Join(err, rs.deadlock)
	}
	return err
}

// task is one simulated concurrent activity: a goroutine that runs only
// when the scheduler hands it the processor.
type task struct {
	id    uint64
	name  string
	wake  chan struct{} // the processor is handed over by a send
	group *Group        // notified when the task ends, if any

	// While blocked: what on, since when, and the waits registered.
	reason string
	since  time.Duration
	waits  [maxWaits]waiter
	nwaits int
	woke   int // index of the wait that ended the block; dead when tearing down

	prev, next *task // in Clock.tasks
}

// maxWaits is the most things a task waits on at once.
const maxWaits = 3

// dead is the woke index of a task the scheduler tears down.
const dead = -2

// spawnLocked makes a task that will run f, not yet runnable. c.mu is
// held.
func (c *Clock) spawnLocked(name string, f func()) *task {
	c.nextID++
	t := &task{id: c.nextID, name: name, wake: make(chan struct{}, 1)}
	c.tasks.push(t)
	go c.body(t, f)
	return t
}

// runFirstLocked hands the processor from the current task to the new
// task t at once; the current task runs again as soon as t blocks, before
// any other: a future's first poll inside its parent's. c.mu is held on
// entry and on return; when the simulation is torn down meanwhile, the
// current task exits instead (see block).
func (c *Clock) runFirstLocked(t *task) {
	p := c.self()
	p.reason, p.since, p.woke = "starting a task", c.Now(), -1
	c.runq.pushFront(p)
	c.current = t
	t.wake <- struct{}{}
	c.mu.Unlock()
	<-p.wake
	c.mu.Lock()
	if p.woke == dead {
		runtime.Goexit()
	}
}

// body is a task's goroutine: it waits for the processor, runs f, and
// hands the processor on when f returns, panics or exits.
func (c *Clock) body(t *task, f func()) {
	<-t.wake
	if t.woke == dead { // torn down before it ever ran
		c.mu.Lock()
		c.exitLocked(t)
		c.mu.Unlock()
		return
	}
	normal := false
	defer func() {
		var p any
		if !normal {
			p = recover()
		}
		c.mu.Lock()
		if p != nil && c.run != nil && c.run.panicked == nil {
			c.run.panicked = &PanicError{Task: t.name, Value: p, Stack: debug.Stack()}
			c.run.dying = true
		}
		c.exitLocked(t)
		c.mu.Unlock()
	}()
	f()
	normal = true
}

// exitLocked retires the current task t and hands the processor on.
func (c *Clock) exitLocked(t *task) {
	c.tasks.remove(t)
	if g := t.group; g != nil {
		g.n--
		if g.n == 0 {
			c.wakeAllLocked(&g.q)
		}
	}
	c.current = nil
	c.dispatchLocked()
}

// dispatchLocked hands the processor to the next runnable task, advancing
// virtual time to the next timer while nothing can run. When no task is
// left, or none can ever run again, it ends the Run. c.mu is held and the
// caller gives up the processor.
func (c *Clock) dispatchLocked() {
	for {
		if c.run.dying {
			// Tear down: let each blocked task unwind, one at a time.
			c.runq.clear()
			if t := c.tasks.head; t != nil {
				c.unwaitLocked(t)
				t.woke = dead
				c.current = t
				t.wake <- struct{}{}
				return
			}
			close(c.run.done)
			return
		}
		if c.runq.n > 0 {
			t := c.runq.popFront()
			c.current = t
			t.wake <- struct{}{}
			return
		}
		if c.tasks.head == nil {
			close(c.run.done) // timers left over wake nobody
			return
		}
		if len(c.timers) == 0 {
			c.run.deadlock = c.deadlockLocked()
			c.run.dying = true
			continue
		}
		at := c.timers[0].at
		c.now.Store(int64(at))
		for len(c.timers) > 0 && c.timers[0].at == at {
			tm := heap.Pop(&c.timers).(*timer)
			tm.fireLocked(c)
		}
	}
}

// block gives up the processor until one of the waits t registered ends
// it, and returns that wait's index. c.mu is held on entry and on return.
// When the simulation is torn down, the task exits instead of returning,
// with c.mu held: every blocking call unlocks it in a deferred call.
func (c *Clock) block(t *task, reason string) int {
	t.reason, t.since = reason, c.Now()
	t.woke = -1
	c.current = nil
	c.dispatchLocked()
	c.mu.Unlock()
	<-t.wake
	c.mu.Lock()
	if t.woke == dead {
		runtime.Goexit() // runs the task's deferred calls; body retires it
	}
	return t.woke
}

// self returns the running task. Only a task may block.
func (c *Clock) self() *task {
	if c.current == nil {
		panic("simtime: a blocking call from a goroutine that is not a running task (start it with simtime.Go)")
	}
	return c.current
}

// Task returns the identity of the running task (1 for a Run's first,
// then in the order tasks start), or 0 when no task runs.
func (c *Clock) Task() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.current == nil {
		return 0
	}
	return c.current.id
}

// Tasks returns the names of the live tasks, in start order: a debugging
// aid.
func (c *Clock) Tasks() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var names []string
	for t := c.tasks.head; t != nil; t = t.next {
		names = append(names, t.name)
	}
	return slices.Clip(names)
}
