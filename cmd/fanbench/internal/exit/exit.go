// Package exit holds how a fanbench command ends: the errors that say which
// exit code a command's outcome calls for, and the signals that interrupt
// it. Package main turns them into the process's exit code (README, "Exit
// codes"), the same for every command.
package exit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// The exit codes. A run or comparison that fails for several reasons exits
// with the lowest of Fail, Budget and NotJudged that applies; an
// interrupted command exits 128 + the signal: 130 for SIGINT, 143 for
// SIGTERM.
const (
	Fail      = 1 // a run ended unexpectedly, a gating metric regressed, or fanbench failed
	Usage     = 2 // bad flags, unusable input, a results directory in use or not writable
	Budget    = 3 // run: a scenario's budget was broken
	NotJudged = 4 // compare: nothing regressed, but a gating metric could not be judged
)

// Error is an error that calls for the exit code Code.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// With returns err as one that calls for code.
func With(code int, err error) error { return &Error{code, err} }

// UsageError returns err as bad input: exit code Usage.
func UsageError(err error) error { return &Error{Usage, err} }

// Interrupted is the cause of a context cancelled by a signal.
type Interrupted struct{ Sig syscall.Signal }

func (i *Interrupted) Error() string { return "interrupted by " + SignalName(i.Sig) }

// SignalName is "SIGINT", "SIGTERM", or the signal's number.
func SignalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return fmt.Sprintf("signal %d", int(s))
}

// Interruptible returns a context that the first SIGINT or SIGTERM cancels
// with an *Interrupted cause, so that a command can stop its child, write
// what it has and exit 128 + the signal. After the first, the signals have
// their default effect again: a second one ends the process at once.
func Interruptible(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			signal.Reset(os.Interrupt, syscall.SIGTERM)
			sig, _ := s.(syscall.Signal)
			cancel(&Interrupted{sig})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}

// Interruption returns the signal that cancelled ctx, or nil if ctx was not
// cancelled by one.
func Interruption(ctx context.Context) *Interrupted {
	var i *Interrupted
	if errors.As(context.Cause(ctx), &i) {
		return i
	}
	return nil
}

// Cause is why ctx ended: the signal that interrupted it, or its cause; nil
// while it has not ended.
func Cause(ctx context.Context) error {
	if ctx.Err() == nil {
		return nil
	}
	if i := Interruption(ctx); i != nil {
		return i
	}
	return context.Cause(ctx)
}

// Name names why ctx ended for a batch's record: the signal ("SIGINT"), or
// the cause's text; "" while it has not ended.
func Name(ctx context.Context) string {
	switch err := Cause(ctx); i := err.(type) {
	case nil:
		return ""
	case *Interrupted:
		return SignalName(i.Sig)
	default:
		return err.Error()
	}
}
