package simtime

import (
	"fmt"
	"strings"
	"time"
)

// PanicError is what Run panics with when a task panicked: the task, the
// value it panicked with and its stack.
type PanicError struct {
	Task  string
	Value any
	Stack []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("simtime: task %q panicked: %v\n\ntask stack:\n%s", e.Task, e.Value, e.Stack)
}

// Unwrap returns the panic value when it is an error, so errors.As finds
// it.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// DeadlockError reports a simulation whose remaining tasks are all blocked
// with no timer pending.
type DeadlockError struct {
	At    time.Duration // virtual time when it was found
	Tasks []BlockedTask // in the order they were started
}

// BlockedTask is one task of a deadlock.
type BlockedTask struct {
	Name   string
	Reason string        // what it waits on
	Since  time.Duration // virtual time it blocked at
}

func (e *DeadlockError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "simtime: deadlock at %v: %d task(s) blocked with no event pending:", e.At, len(e.Tasks))
	for _, t := range e.Tasks {
		fmt.Fprintf(&b, "\n\t%s: %s since %v", t.Name, t.Reason, t.Since)
	}
	return b.String()
}

func (c *Clock) deadlockLocked() *DeadlockError {
	e := &DeadlockError{At: c.Now()}
	for t := c.tasks.head; t != nil; t = t.next {
		e.Tasks = append(e.Tasks, BlockedTask{Name: t.name, Reason: t.reason, Since: t.since})
	}
	return e
}
