// Package progress shows a batch's progress on the terminal: a line per
// run that ended, with an estimate of the time left, and on a terminal one
// line that follows the run in flight.
package progress

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/plan"
	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/runner"
)

// Line shows how far the run in flight has got, on one line of a
// terminal that each update overwrites: the chunks stored of all, the
// rate in chunks per wall-clock second since the upload phase began, and
// the time left at that rate. Its methods are safe for concurrent use.
type Line struct {
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

// every is the least time between two writes of the line: the
// child reports every stored chunk and every 50 ms.
const every = 200 * time.Millisecond

// NewLine returns a Line that writes to w, or nil when w is
// not a terminal: on a pipe or in a file, the per-run lines are enough.
func NewLine(w io.Writer) *Line {
	f, ok := w.(*os.File)
	if !ok || !isatty.IsTerminal(f.Fd()) {
		return nil
	}
	return &Line{w: w, now: time.Now}
}

// Update is runner.SpawnOptions.Progress: it shows that job has stored
// stored of total chunks.
func (p *Line) Update(job runner.Job, stored, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if name := job.Name() + " " + job.Case.Limiter; name != p.job {
		p.job, p.start, p.shown = name, now, time.Time{}
	}
	if total == 0 || stored < total && now.Sub(p.shown) < every {
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
func (p *Line) setBatch(done, runs int, left time.Duration, known bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done, p.runs, p.left, p.known, p.at = done, runs, left, known, p.now()
}

// Batch returns runner.SpawnOptions.OnRecord for a batch of jobs
// run in order: it prints a line per run that ended, with the time since
// the batch began and an estimate of the time the rest will take (at the
// pace so far per byte uploaded), and gives the estimate to prog, if not
// nil. now is the clock (time.Now).
func Batch(w io.Writer, jobs []runner.Job, prog *Line, now func() time.Time) func(*result.Record) {
	weights := make([]float64, len(jobs))
	for i, j := range jobs {
		weights[i] = float64(j.Case.Source.Size)
	}
	est := plan.NewEstimate(weights)
	start := now()
	last, done := start, 0
	return func(r *result.Record) {
		if prog != nil {
			prog.Clear()
		}
		if r.Status == result.Cancelled {
			fmt.Fprintf(w, "%s/%s-%s %s: cancelled, its child killed\n", r.Scenario, r.Strategy, RepName(r), r.Limiter)
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
		fmt.Fprintf(w, "[%d/%d] %s/%s-%s %s: %s, peak live %s (%s elapsed%s)\n", done, len(jobs), r.Scenario, r.Strategy, RepName(r), r.Limiter,
			r.Status, MiB(r.Live.Peak), t.Sub(start).Round(time.Second), rest)
		Warnings(w, r)
		if prog != nil {
			prog.setBatch(done, len(jobs), left, known)
		}
	}
}

// Clear blanks the line out, before a run's result is printed in its place.
func (p *Line) Clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.width > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.width))
	}
	p.width, p.job = 0, ""
}

// write overwrites the line with s; the caller holds mu.
func (p *Line) write(s string) {
	pad := ""
	if n := p.width - len(s); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	fmt.Fprintf(p.w, "\r%s%s", s, pad)
	p.width = len(s)
}

// RepName is a record's repetition as its file names it: the number, or
// "profile".
func RepName(r *result.Record) string {
	if r.Profile {
		return "profile"
	}
	return strconv.Itoa(r.Rep)
}

// RunName names a record as its runs/ file does: scenario/strategy-rep
// (limiter).
func RunName(r *result.Record) string {
	return fmt.Sprintf("%s/%s-%s (%s)", r.Scenario, r.Strategy, RepName(r), r.Limiter)
}

// Warnings writes a run's warnings (the spill cache's, from the child) to
// the terminal, one line each.
func Warnings(w io.Writer, r *result.Record) {
	for _, s := range r.Warnings {
		fmt.Fprintf(w, "warning: %s/%s-%d: %s\n", r.Scenario, r.Strategy, r.Rep, s)
	}
}

// MiB formats a byte count in MiB with one decimal, "-" for none, as the
// progress lines and tables show it.
func MiB(b int64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

// FirstLines returns s's first n lines, and a note of how many it left out.
func FirstLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) <= n {
		return strings.Join(lines, "\n")
	}
	return fmt.Sprintf("%s\n[... %d more lines in the record ...]", strings.Join(lines[:n], "\n"), len(lines)-n)
}
