package main

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fanbench/fanbench/harness/runner"
	"github.com/fanbench/fanbench/harness/upload"
)

// fakeClock is a clock a test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestProgressLine(t *testing.T) {
	var out bytes.Buffer
	clock := &fakeClock{time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	p := &progressLine{w: &out, now: clock.now}
	job := runner.Job{Case: runner.Case{Name: "vm4g-300mb", Strategy: upload.Streamed, Limiter: "warm:64"}, Rep: 2}
	step := func(d time.Duration, stored, total int) string {
		t.Helper()
		clock.t = clock.t.Add(d)
		out.Reset()
		p.update(job, stored, total)
		return out.String()
	}
	if got := step(0, 0, 75); got != "\r  vm4g-300mb/streamed-2 warm:64: 0/75 chunks stored" {
		t.Errorf("start: %q", got)
	}
	if got := step(100*time.Millisecond, 1, 75); got != "" {
		t.Errorf("within 200 ms of the last write: %q", got)
	}
	// 25 chunks in 10 s: 2.5 chunks/s, 50 left, 20 s.
	if got := step(9900*time.Millisecond, 25, 75); got != "\r  vm4g-300mb/streamed-2 warm:64: 25/75 chunks stored, 2.5 chunks/s, 20s left" {
		t.Errorf("midway: %q", got)
	}
	// The last chunk is always shown, and a shorter line blanks the rest.
	if got := step(time.Millisecond, 75, 75); !strings.HasPrefix(got, "\r  vm4g-300mb/streamed-2 warm:64: 75/75 chunks stored, 7.5 chunks/s, 0s left") {
		t.Errorf("end: %q", got)
	}
	out.Reset()
	p.clear()
	if got := out.String(); got != "\r"+strings.Repeat(" ", len("  vm4g-300mb/streamed-2 warm:64: 75/75 chunks stored, 7.5 chunks/s, 0s left"))+"\r" {
		t.Errorf("clear: %q", got)
	}
	// Another job starts its own clock.
	job.Rep = 3
	if got := step(time.Hour, 0, 75); got != "\r  vm4g-300mb/streamed-3 warm:64: 0/75 chunks stored" {
		t.Errorf("next job: %q", got)
	}
}

// TestProgressQuiet checks that there is no progress line where stderr is
// not a terminal.
func TestProgressQuiet(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, w := range []io.Writer{&bytes.Buffer{}, f} {
		if p := newProgressLine(w); p != nil {
			t.Errorf("a progress line on %T", w)
		}
	}
}
