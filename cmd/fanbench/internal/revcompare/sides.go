package revcompare

import (
	"fmt"
	"slices"
	"strings"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/revision"
	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/runner"
)

// side is one of the two builds of a comparison.
type side int

const (
	sideBase side = iota
	sideHead
)

func (s side) String() string {
	if s == sideBase {
		return "base"
	}
	return "head"
}

// build is one side's fanbench: where it came from and its binary.
type build struct {
	side side
	// rev is the revision as given; "" for the working tree.
	rev string
	// commit is rev's full hash; for the working tree, HEAD's ("" in a
	// repository without commits).
	commit string
	// dirty is set when the working tree had uncommitted changes.
	dirty bool
	bin   string
}

// label names the build in one phrase, e.g. "main (9b1d861)" or "the
// working tree at 9b1d861, with uncommitted changes".
func (b *build) label() string {
	if b.rev != "" {
		return fmt.Sprintf("%s (%s)", b.rev, shortHash(b.commit))
	}
	s := "the working tree"
	if b.commit != "" {
		s += " at " + shortHash(b.commit)
	}
	if b.dirty {
		s += ", with uncommitted changes"
	}
	return s
}

// describe says what was measured, for the report's head lines.
func (b *build) describe() string {
	if b.rev != "" {
		return fmt.Sprintf("%s = %s, built in a temporary git worktree", b.rev, b.commit)
	}
	s := "the working tree, built in place"
	if b.commit != "" {
		s = fmt.Sprintf("the working tree at %s, built in place", b.commit)
	}
	if b.dirty {
		return s + ", with uncommitted changes (git status --porcelain is not empty)"
	}
	return s + ", clean"
}

func shortHash(h string) string { return revision.Short(h) }

// commitName is the build's commit as records name the code under test:
// the hash's first 12 digits, "-dirty" for a working tree with changes.
func (b *build) commitName() string {
	c := shortHash(b.commit)
	if b.dirty {
		c += "-dirty"
	}
	return c
}

// step is one run of a comparison: a job of the plan and the side whose
// build runs it.
type step struct {
	side side
	job  runner.Job
}

// interleave lays out a comparison's runs: each job of the plan once with
// each build, back to back, so that both see the machine in the same state.
// The base goes first in odd rounds (Job.Rep) and the head in even ones, so
// that neither side is always the one that runs after the other (on a page
// cache the other warmed, or later in a spell of thermal throttling); with
// an even count, each case runs first on each side equally often.
func interleave(jobs []runner.Job) []step {
	steps := make([]step, 0, 2*len(jobs))
	for _, j := range jobs {
		first, second := sideBase, sideHead
		if j.Rep%2 == 0 {
			first, second = sideHead, sideBase
		}
		steps = append(steps, step{first, j}, step{second, j})
	}
	return steps
}

// jobUnreadable says how rec shows that the fanbench which ran job could
// not run it, or returns "": its child could not decode the job (a Job type
// of another shape; the message runner's children have written since they
// exist), exited 0 without a record or printed its usage (a fanbench older
// than child processes), or ran another case than the job's (a job format
// that decoded but meant something else).
func jobUnreadable(rec *result.Record, job *runner.Job) string {
	if rec.Status == result.Crash {
		for line := range strings.Lines(rec.Error) {
			if strings.Contains(line, "fanbench child: read job") {
				return strings.TrimSpace(line)
			}
		}
		switch {
		case strings.Contains(rec.Error, "without a readable record"):
			return "its child exited 0 without a record"
		case strings.Contains(rec.Error, "usage: fanbench"):
			return "it does not run jobs in child processes: it printed its usage"
		}
		return ""
	}
	want := fmt.Sprintf("%s/%s %s rep %d", job.Case.Name, job.Case.Strategy, job.Case.Limiter, job.Rep)
	got := fmt.Sprintf("%s/%s %s rep %d", rec.Scenario, rec.Strategy, rec.Limiter, rec.Rep)
	if got != want {
		return fmt.Sprintf("given %s, it ran %s", want, got)
	}
	return ""
}

// unfinished returns one line per case in which some run did not finish
// (oom, timeout, crash, error) on either side, whether the head failed
// more runs than the base in some case, and how many runs crashed.
func unfinished(recs [2][]*result.Record) (lines []string, headWorse bool, crashes int) {
	type key struct{ scenario, strategy, limiter string }
	type tally struct {
		runs, failed [2]int
		how          [2][]string
	}
	var keys []key
	tallies := map[key]*tally{}
	for s := range recs {
		for _, r := range recs[s] {
			if r.Status == result.Crash {
				crashes++
			}
			if r.Status == result.Cancelled || r.Profile {
				continue // measured nothing, or apart from the measured runs
			}
			k := key{r.Scenario, r.Strategy, r.Limiter}
			t := tallies[k]
			if t == nil {
				t = &tally{}
				tallies[k] = t
				keys = append(keys, k)
			}
			t.runs[s]++
			if r.Status != result.OK {
				t.failed[s]++
				if !slices.Contains(t.how[s], string(r.Status)) {
					t.how[s] = append(t.how[s], string(r.Status))
				}
			}
		}
	}
	for _, k := range keys {
		t := tallies[k]
		if t.failed[sideBase] == 0 && t.failed[sideHead] == 0 {
			continue
		}
		side := func(s side) string {
			if t.failed[s] == 0 {
				return fmt.Sprintf("%s 0 of %d", s, t.runs[s])
			}
			return fmt.Sprintf("%s %d of %d (%s)", s, t.failed[s], t.runs[s], strings.Join(t.how[s], ", "))
		}
		worse := t.failed[sideHead] > t.failed[sideBase]
		headWorse = headWorse || worse
		mark := ""
		if worse {
			mark = "FAIL: "
		}
		lines = append(lines, fmt.Sprintf("%sruns that did not finish in %s/%s %s: %s, %s", mark, k.scenario, k.strategy, k.limiter, side(sideBase), side(sideHead)))
	}
	return lines, headWorse, crashes
}
