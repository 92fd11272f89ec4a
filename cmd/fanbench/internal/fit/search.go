// Package fit answers the inverse of fanbench's question: not "what does
// this setting cost?" but "which is the highest setting whose upload
// completes under this memory limit?", for a store cap or an in-flight byte
// budget.
//
// The settings of one kind form an axis of whole steps, 1 to a bound (for
// caps, the cap; for byte budgets, the cap a budget allows). The search:
//  1. starts where the analytic model proposes (the highest step whose
//     predicted peak is under the limit): the model predicts live bytes,
//     and the limit judges the client's resident memory, which is a little
//     above or below them, so the answer is near the proposal;
//  2. gallops from it, one step away, then two, four, …, up while runs
//     complete or down while they are killed, until a run of each kind
//     brackets the answer (or the axis ends);
//  3. halves the bracket until the highest step that completes and the
//     lowest that is killed are neighbours.
//
// So the answer's run completes and the next step's is killed, each
// measured, and a good proposal costs two runs. The search assumes that
// memory grows with the step: a run that completes at a step completes at
// every lower one. It never runs a step twice.
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

// Search finds the highest step in [1, bound] whose run fits, from the
// proposal (clamped into the axis), as the package describes. It stops at
// the first error of probe and returns it with the runs so far.
func Search(ctx context.Context, probe Probe, proposal, bound int) (Answer, error) {
	if bound < 1 {
		return Answer{}, fmt.Errorf("fit: an axis of %d steps", bound)
	}
	a := Answer{Bound: bound, Proposal: min(max(proposal, 1), bound)}
	// lo fits and hi does not; 0 and bound+1 stand for the ends, unrun.
	lo, hi := 0, bound+1
	run := func(step int) error {
		o, err := probe(ctx, step)
		if err != nil {
			return err
		}
		o.Step = step
		a.Runs = append(a.Runs, o)
		if o.Fits {
			lo = step
		} else {
			hi = step
		}
		return nil
	}
	if err := run(a.Proposal); err != nil {
		return a, err
	}
	// Gallop 1, 2, 4, … steps away from the proposal, up while runs fit,
	// down while they are killed, until the answer is bracketed or the
	// axis ends.
	p := a.Proposal
	for d := 1; lo > 0 && hi == bound+1 && lo < bound; d *= 2 {
		if err := run(min(p+d, bound)); err != nil {
			return a, err
		}
	}
	for d := 1; lo == 0 && hi > 1; d *= 2 {
		if err := run(max(p-d, 1)); err != nil {
			return a, err
		}
	}
	// Halve the bracket.
	for hi-lo > 1 {
		if err := run(lo + (hi-lo)/2); err != nil {
			return a, err
		}
	}
	a.Max = lo
	return a, nil
}
