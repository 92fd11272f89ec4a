package exit

import (
	"context"
	"errors"
	"syscall"
	"testing"
)

// TestCause checks why a context ended, as a batch records it: the signal
// that interrupted it, or its cause, or nothing while it runs.
func TestCause(t *testing.T) {
	running := context.Background()
	signalled, cancel := context.WithCancelCause(running)
	cancel(&Interrupted{syscall.SIGTERM})
	timedOut, cancel2 := context.WithCancelCause(running)
	cancel2(errors.New("the deadline"))
	for _, tc := range []struct {
		ctx  context.Context
		name string
		sig  bool
	}{
		{running, "", false},
		{signalled, "SIGTERM", true},
		{timedOut, "the deadline", false},
	} {
		if got := Name(tc.ctx); got != tc.name {
			t.Errorf("Name = %q, want %q", got, tc.name)
		}
		if (Interruption(tc.ctx) != nil) != tc.sig {
			t.Errorf("%q: Interruption = %v", tc.name, Interruption(tc.ctx))
		}
		if (Cause(tc.ctx) == nil) != (tc.name == "") {
			t.Errorf("%q: Cause = %v", tc.name, Cause(tc.ctx))
		}
	}
	if got := SignalName(syscall.Signal(10)); got != "signal 10" {
		t.Errorf("SignalName(10) = %q", got)
	}
	var e *Error
	if err := UsageError(errors.New("bad")); !errors.As(err, &e) || e.Code != Usage || err.Error() != "bad" {
		t.Errorf("UsageError = %v", err)
	}
}
