// Package fit answers the inverse of fanbench's question: not "what does
// this setting cost?" but "which is the highest setting whose upload
// completes under this memory limit?", for a store cap or an in-flight byte
// budget.
//
// The settings of one kind form an axis of whole steps, 1 to a bound (for
// caps, the cap; for byte budgets, the cap a budget allows). The search:
//  1. runs the step the analytic model proposes (Proposer: the highest step
//     whose predicted peak is under the limit);
//  2. asks for a second proposal with that run's outcome: the model predicts
//     live bytes, the limit judges the client's resident memory, and the
//     run measured both, so the second proposal scales the predictions by
//     the run's resident/live ratio;
//  3. runs the second proposal, then gallops from it, one step away, then
//     two, four, …, up while runs complete, down while they are killed,
//     until a run of each kind brackets the answer (or the axis ends);
//  4. halves the bracket until the highest step that completes and the
//     lowest that is killed are neighbours.
//
// So the answer's run completes and the next step's is killed, each
// measured, and good proposals cost two to four runs. The search assumes
// that memory grows with the step: a run that completes at a step
// completes at every lower one. It never runs a step twice.
//
// Plan and Fit.Run are fanbench fit: one search of caps, then of byte
// budgets, per case of a scenario, each step a measured run in a child
// process, the answers written to fit.json and fit.svg (Merge joins a
// sharded fit's).
package fit

import (
	"context"
	"fmt"
)

// Outcome is how the measured run at one step ended.
type Outcome struct {
	// Step is the step on the axis; Setting the limiter that ran it.
	Step    int    `json:"step"`
	Setting string `json:"limiter"`
	// Fits says the run completed under the limit; otherwise it was
	// killed at it.
	Fits bool `json:"fits"`
	// Status is the run's status ("ok", "oom").
	Status string `json:"status"`
	// PeakLive is the peak of live tracked bytes, Resident the client's
	// peak resident memory (what the limit judges), ModelPeak the model's
	// prediction for the run (0 for a killed run); bytes.
	PeakLive  int64 `json:"peak_live_b"`
	Resident  int64 `json:"client_resident_b"`
	ModelPeak int64 `json:"model_peak_b,omitempty"`
	// Stored and Total are the chunks stored of all.
	Stored int `json:"stored"`
	Total  int `json:"total"`
	// Record is the run's record, relative to the results directory.
	Record string `json:"record,omitempty"`
}

// Probe runs the setting at step and says how it ended. It returns an
// error when the run neither completed nor was killed at the limit (it
// crashed, timed out or failed), which the search cannot judge, or when it
// was interrupted.
type Probe func(ctx context.Context, step int) (Outcome, error)

// Answer is the result of a search.
type Answer struct {
	// Max is the highest step whose run completes; 0 when even step 1's
	// is killed.
	Max int
	// Bound is the axis' last step: when Max is Bound, every step fits
	// and no run was killed.
	Bound int
	// Proposal is where the search started.
	Proposal int
	// Runs are the runs in the order they ran.
	Runs []Outcome
}

// At returns the run at step, if there was one.
func (a *Answer) At(step int) (Outcome, bool) {
	for _, o := range a.Runs {
		if o.Step == step {
			return o, true
		}
	}
	return Outcome{}, false
}

// Search finds the highest step in [1, bound] whose run fits, as the
// package describes: propose is asked for a step with no runs, then with
// the first run (its answers are clamped into the axis and the bracket).
// Search stops at the first error of probe and returns it with the runs so
// far.
func Search(ctx context.Context, probe Probe, propose func(runs []Outcome) int, bound int) (Answer, error) {
	if bound < 1 {
		return Answer{}, fmt.Errorf("fit: an axis of %d steps", bound)
	}
	a := Answer{Bound: bound, Proposal: min(max(propose(nil), 1), bound)}
	// lo fits and hi does not; 0 and bound+1 stand for the ends, unrun.
	lo, hi := 0, bound+1
	run := func(step int) (bool, error) {
		o, err := probe(ctx, step)
		if err != nil {
			return false, err
		}
		o.Step = step
		a.Runs = append(a.Runs, o)
		if o.Fits {
			lo = step
		} else {
			hi = step
		}
		return o.Fits, nil
	}
	if _, err := run(a.Proposal); err != nil {
		return a, err
	}
	// The second proposal, inside the bracket, then a gallop away from it
	// while the runs agree with it, within the bracket.
	if hi-lo > 1 {
		g := min(max(propose(a.Runs), lo+1), hi-1)
		fits, err := run(g)
		if err != nil {
			return a, err
		}
		for d := 1; ; d *= 2 {
			n := max(g-d, lo+1)
			if fits {
				n = min(g+d, hi-1)
			}
			if n <= lo || n >= hi {
				break
			}
			now, err := run(n)
			if err != nil {
				return a, err
			}
			if now != fits {
				break
			}
		}
	}
	// Halve the bracket.
	for hi-lo > 1 {
		if _, err := run(lo + (hi-lo)/2); err != nil {
			return a, err
		}
	}
	a.Max = lo
	return a, nil
}

// Proposer proposes steps from the analytic model's predictions.
type Proposer struct {
	// Predicted is the model's peak of live bytes at steps 1, 2, …
	// (index 0 is step 1).
	Predicted []int64
	// Limit is the memory limit and Baseline the client's resident memory
	// besides its tracked buffers, bytes.
	Limit, Baseline int64
}

// Propose returns the highest step whose predicted peak, scaled by the
// resident/live ratio of the last run (1 before any run), plus the
// baseline, is under the limit; 0 when none is.
func (p Proposer) Propose(runs []Outcome) int {
	ratio := 1.0
	if n := len(runs); n > 0 && runs[n-1].PeakLive > 0 && runs[n-1].Resident > 0 {
		ratio = float64(runs[n-1].Resident-p.Baseline) / float64(runs[n-1].PeakLive)
	}
	step := 0
	for i, v := range p.Predicted {
		if float64(v)*ratio+float64(p.Baseline) < float64(p.Limit) {
			step = i + 1
		}
	}
	return step
}

// Fixed is a proposal that does not depend on runs.
func Fixed(step int) func([]Outcome) int {
	return func([]Outcome) int { return step }
}
