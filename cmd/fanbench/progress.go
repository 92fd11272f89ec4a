package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/fanbench/fanbench/harness/runner"
)

// progressLine shows how far the run in flight has got, on one line of a
// terminal that each update overwrites: the chunks stored of all, the
// rate in chunks per wall-clock second since the upload phase began, and
// the time left at that rate. Its methods are safe for concurrent use.
type progressLine struct {
	w   io.Writer
	now func() time.Time

	mu    sync.Mutex
	job   string    // the job the line is about
	start time.Time // when its upload phase began (its first line)
	shown time.Time // when the line was last written
	width int       // of the line last written, to blank it out
}

// progressEvery is the least time between two writes of the line: the
// child reports every stored chunk and every 50 ms.
const progressEvery = 200 * time.Millisecond

// newProgressLine returns a progressLine that writes to w, or nil when w is
// not a terminal: on a pipe or in a file, the per-run lines are enough.
func newProgressLine(w io.Writer) *progressLine {
	f, ok := w.(*os.File)
	if !ok || !isatty.IsTerminal(f.Fd()) {
		return nil
	}
	return &progressLine{w: w, now: time.Now}
}

// update is runner.SpawnOptions.Progress: it shows that job has stored
// stored of total chunks.
func (p *progressLine) update(job runner.Job, stored, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if name := job.Name() + " " + job.Case.Limiter; name != p.job {
		p.job, p.start, p.shown = name, now, time.Time{}
	}
	if total == 0 || stored < total && now.Sub(p.shown) < progressEvery {
		return
	}
	p.shown = now
	line := fmt.Sprintf("  %s: %d/%d chunks stored", p.job, stored, total)
	if el := now.Sub(p.start); stored > 0 && el > 0 {
		rate := float64(stored) / el.Seconds()
		left := time.Duration(float64(total-stored) / rate * float64(time.Second))
		line += fmt.Sprintf(", %.1f chunks/s, %s left", rate, left.Round(time.Second))
	}
	p.write(line)
}

// clear blanks the line out, before a run's result is printed in its place.
func (p *progressLine) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.width > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.width))
	}
	p.width, p.job = 0, ""
}

// write overwrites the line with s; the caller holds mu.
func (p *progressLine) write(s string) {
	pad := ""
	if n := p.width - len(s); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	fmt.Fprintf(p.w, "\r%s%s", s, pad)
	p.width = len(s)
}
