package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/plan"
	"github.com/fanbench/fanbench/harness/result"
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

	// The batch: runs done of all, and the estimate of the time the rest
	// takes made when the last run ended (at), if there is one.
	done, runs int
	left       time.Duration
	at         time.Time
	known      bool
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
	if p.runs > 1 {
		line += fmt.Sprintf("; batch: %d of %d runs done", p.done, p.runs)
		if p.known {
			line += fmt.Sprintf(", about %s left", max(0, p.left-now.Sub(p.at)).Round(time.Second))
		}
	}
	p.write(line)
}

// setBatch records that done of runs runs have ended, and, if known, that
// the rest should take left from now.
func (p *progressLine) setBatch(done, runs int, left time.Duration, known bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done, p.runs, p.left, p.known, p.at = done, runs, left, known, p.now()
}

// batchProgress returns runner.SpawnOptions.OnRecord for a batch of jobs
// run in order: it prints a line per run that ended, with the time since
// the batch began and an estimate of the time the rest will take (at the
// pace so far per byte uploaded), and gives the estimate to prog, if not
// nil. now is the clock (time.Now).
func batchProgress(w io.Writer, jobs []runner.Job, prog *progressLine, now func() time.Time) func(*result.Record) {
	weights := make([]float64, len(jobs))
	for i, j := range jobs {
		weights[i] = float64(j.Case.Source.Size)
	}
	est := plan.NewEstimate(weights)
	start := now()
	last, done := start, 0
	return func(r *result.Record) {
		if prog != nil {
			prog.clear()
		}
		if r.Status == result.Cancelled {
			fmt.Fprintf(w, "%s/%s-%s %s: cancelled, its child killed\n", r.Scenario, r.Strategy, repName(r), r.Limiter)
			return
		}
		t := now()
		if done < len(weights) {
			est.Done(weights[done], t.Sub(last))
		}
		last = t
		done++
		left, known := est.Left()
		rest := ""
		if known && done < len(jobs) {
			rest = fmt.Sprintf(", about %s left", left.Round(time.Second))
		}
		fmt.Fprintf(w, "[%d/%d] %s/%s-%s %s: %s, peak live %s (%s elapsed%s)\n", done, len(jobs), r.Scenario, r.Strategy, repName(r), r.Limiter,
			r.Status, mib(r.Live.Peak), t.Sub(start).Round(time.Second), rest)
		printWarnings(w, r)
		if prog != nil {
			prog.setBatch(done, len(jobs), left, known)
		}
	}
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
