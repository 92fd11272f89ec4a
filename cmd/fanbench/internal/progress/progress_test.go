package progress

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/runner"
	"github.com/fanbench/fanbench/harness/source"
	"github.com/fanbench/fanbench/harness/upload/strategy"
)

// fakeClock is a clock a test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestProgressLine(t *testing.T) {
	var out bytes.Buffer
	clock := &fakeClock{time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	p := &Line{w: &out, now: clock.now}
	job := runner.Job{Case: runner.Case{Name: "vm4g-300mb", Strategy: strategy.Streamed, Limiter: "warm:64"}, Rep: 2}
	step := func(d time.Duration, stored, total int) string {
		t.Helper()
		clock.t = clock.t.Add(d)
		out.Reset()
		p.Update(job, stored, total)
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
	p.Clear()
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
		if p := NewLine(w); p != nil {
			t.Errorf("a progress line on %T", w)
		}
	}
}

// TestBatchProgress checks the per-run lines' estimate of the time left:
// the pace so far per byte uploaded, times the bytes left; and the batch's
// part of the progress line, counting down from the estimate.
func TestBatchProgress(t *testing.T) {
	clock := &fakeClock{time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	job := func(size int64, rep int) runner.Job {
		return runner.Job{Case: runner.Case{Name: "sweep", Strategy: strategy.Streamed, Limiter: "fixed:8", Source: source.Spec{Size: size}}, Rep: rep}
	}
	jobs := []runner.Job{job(100, 1), job(300, 2), job(600, 3)}
	var lines, line bytes.Buffer
	p := &Line{w: &line, now: clock.now}
	on := Batch(&lines, jobs, p, clock.now)
	end := func(d time.Duration, rep int) {
		clock.t = clock.t.Add(d)
		on(&result.Record{Scenario: "sweep", Strategy: "streamed", Limiter: "fixed:8", Rep: rep, Status: result.OK, Live: result.Live{Peak: 1 << 20}})
	}
	end(10*time.Second, 1) // 100 B in 10 s: 900 B left, 90 s
	end(30*time.Second, 2) // 400 B in 40 s: 600 B left, 60 s
	end(time.Minute, 3)
	want := "[1/3] sweep/streamed-1 fixed:8: ok, peak live 1.0 MiB (10s elapsed, about 1m30s left)\n" +
		"[2/3] sweep/streamed-2 fixed:8: ok, peak live 1.0 MiB (40s elapsed, about 1m0s left)\n" +
		"[3/3] sweep/streamed-3 fixed:8: ok, peak live 1.0 MiB (1m40s elapsed)\n"
	if lines.String() != want {
		t.Errorf("lines:\n%s\nwant\n%s", lines.String(), want)
	}
	// The line counts down from the last estimate.
	p.setBatch(2, 3, time.Minute, true)
	clock.t = clock.t.Add(15 * time.Second)
	line.Reset()
	p.Update(jobs[2], 0, 10)
	if got := line.String(); got != "\r  sweep/streamed-3 fixed:8: 0/10 chunks stored; batch: 2 of 3 runs done, about 45s left" {
		t.Errorf("line: %q", got)
	}
}
