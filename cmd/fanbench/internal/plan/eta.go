package plan

import "time"

// Estimate follows a batch whose runs have known weights (bytes uploaded,
// say) and estimates the time the rest will take at the pace of the runs
// finished so far: elapsed time per unit of weight, times the weight left.
// Its methods are not safe for concurrent use.
type Estimate struct {
	total, done float64
	took        time.Duration
}

// NewEstimate returns an Estimate for runs of these weights.
func NewEstimate(weights []float64) *Estimate {
	e := &Estimate{}
	for _, w := range weights {
		e.total += w
	}
	return e
}

// Done records a finished run of weight w that took d.
func (e *Estimate) Done(w float64, d time.Duration) {
	e.done += w
	e.took += d
}

// Left returns the estimated time the unfinished runs will take, and false
// while no run of any weight has finished (there is no pace yet).
func (e *Estimate) Left() (time.Duration, bool) {
	if e.done <= 0 {
		return 0, false
	}
	rest := max(0, e.total-e.done)
	return time.Duration(float64(e.took) * rest / e.done), true
}
