// Package simtime is fanbench's discrete-event scheduler: virtual time for
// the simulated network and the uploader model, the same timeline on any
// machine at any load.
//
// A Clock runs tasks: goroutines started with Go (or Clock.Run for the
// first). Exactly one task runs at a time. A task runs until it blocks on
// one of this package's primitives (Sleep, a context from WithTimeout or
// WithCancel, Wait, a Queue, a Semaphore, a Group, a Signal); then the
// scheduler hands the processor to the next runnable task. Virtual time
// moves only when no task can run: it jumps straight to the next timer and
// wakes whatever waits on it. Nothing sleeps in real time, and CPU work
// takes no virtual time by construction.
//
// The order is deterministic:
//
//  1. A task started with Go runs at once, until it first blocks; then the
//     task that started it goes on. That is a Rust future's first poll
//     inside its parent's: futures started together are built one after
//     another, in order, each to its first await, at the same instant.
//  2. Tasks woken by events run in the order they were woken (FIFO).
//  3. Timers at the same instant fire in the order they were set.
//  4. A task woken by several things at once (a timer and a cancelled
//     context) sees the first to fire; the others are forgotten.
//
// Since one task runs at a time and every hand-over happens at a blocking
// call, whatever the tasks compute is a function of the program and its
// inputs, not of the Go scheduler or the host's load. Go's testing/synctest
// has the same semantics for time (a bubble's clock advances when every
// goroutine in it is durably blocked), but runs only inside tests and
// leaves goroutines to run in parallel, so their interleaving is not fixed.
//
// # Rules for code that runs on a Clock
//
//   - Block only through this package. A task that blocks on a raw channel,
//     a sync.WaitGroup or a mutex held by another task stops the whole
//     simulation (the other tasks cannot run until it proceeds). Blocking on
//     a goroutine that is not a task and does not use the clock (a pipe to a
//     decoder, a worker pool) is allowed: virtual time stands still
//     meanwhile, as for any CPU work.
//   - Start concurrent work with Go or a Group, never with the go statement,
//     if it blocks on the clock.
//   - Derive cancellable contexts with WithCancel and WithTimeout, not the
//     context package's, when a task will wait on them: a wait on a context
//     this package did not make panics. context.WithValue is fine.
//
// A simulation in which every task is blocked and no timer is pending can
// never move again: Run returns a *DeadlockError naming each blocked task
// and what it waits on, instead of hanging.
package simtime
