package limiter

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"time"
)

// AIMD is ant-client's adaptive store limiter (adaptive.rs Limiter at
// 768e3bd), following the numbered rules in the package doc. It is safe for
// concurrent use: Observe, Limit, Cap, Changes and Baseline serialize on one
// mutex, as upstream's Limiter does. After construction Observe does not
// allocate, except to record a Change, so it can run on a measured path.
type AIMD struct {
	cfg     Config
	initial int  // the cap at construction, for String
	warm    bool // built by WarmStart, for String

	mu        sync.Mutex
	cap       int  // current cap, in operations, within [cfg.Min, cfg.Max]
	slowStart bool // Increase doubles while true; the first Decrease clears it

	// window is a ring of the last cfg.Window samples: n of them, the
	// oldest at head.
	window []Sample
	head   int
	n      int

	observed    int // samples observed since construction
	sinceChange int // samples observed since the last applied change (rule 10)

	baseline    time.Duration // EWMA of the p95 at applied Increases
	hasBaseline bool

	lat     []time.Duration // scratch for the successes' latencies
	changes []Change
}

// Change records one move of an AIMD cap.
type Change struct {
	// Sample is the number of samples observed when the change was applied,
	// counting the one that triggered it.
	Sample int
	// From and To are the caps before and after, in operations.
	From, To int
	// Reason says which rule moved the cap and with what figures.
	Reason string
}

// NewAIMD returns a limiter cold-started at c.Start, in slow start, with an
// empty window and no latency baseline (Limiter::new). It panics if
// c.Validate fails: validate user-supplied configurations first.
func NewAIMD(c Config) *AIMD {
	if err := c.Validate(); err != nil {
		panic(err)
	}
	return &AIMD{
		cfg:       c,
		initial:   c.Start,
		cap:       c.Start,
		slowStart: true,
		window:    make([]Sample, c.Window),
		lat:       make([]time.Duration, 0, c.Window),
	}
}

// WarmStart returns a limiter started at a cap saved by an earlier run:
// clamp(max(saved, c.Start), c.Min, c.Max), with slow start already exited,
// so healthy windows add 1 rather than double (mod.rs build_controller
// L211–216, AdaptiveController::warm_start L613–623, Limiter::warm_start
// L371–380). A saved cap of 64 starts at 64; a saved cap of 3 starts at
// c.Start. The window, the counts and the baseline start empty, as on a
// fresh connect. It panics if c.Validate fails.
func WarmStart(c Config, saved int) *AIMD {
	a := NewAIMD(c)
	a.cap = min(max(saved, c.Start, c.Min), c.Max)
	a.initial = a.cap
	a.warm = true
	a.slowStart = false
	return a
}

// Limit returns max(1, min(Cap(), items)).
func (a *AIMD) Limit(items int) int { return limit(a.Cap(), items) }

// Cap returns the current cap, in operations.
func (a *AIMD) Cap() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cap
}

// Baseline returns the latency baseline and whether one exists yet; there is
// none until the first Increase is applied.
func (a *AIMD) Baseline() (time.Duration, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.baseline, a.hasBaseline
}

// Changes returns a copy of every change that moved the cap, oldest first.
// Applied changes that left the cap where it was (an Increase at Max, a
// Decrease at Min) are not listed, although they reset the sample count.
func (a *AIMD) Changes() []Change {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.changes)
}

// String returns "aimd(start=S,max=M)" for a cold start, or
// "aimd(warm=W,max=M)" for a warm one.
func (a *AIMD) String() string {
	kind := "start"
	if a.warm {
		kind = "warm"
	}
	return fmt.Sprintf("aimd(%s=%d,max=%d)", kind, a.initial, a.cfg.Max)
}

// Observe records one completed operation and applies the rules of the
// package doc (observe, adaptive.rs L346–361).
func (a *AIMD) Observe(s Sample) {
	a.mu.Lock()
	defer a.mu.Unlock()

	// Rule 1: FIFO window; every sample counts, whatever its outcome.
	if a.n == len(a.window) {
		a.window[a.head] = s
		a.head = (a.head + 1) % len(a.window)
	} else {
		a.window[(a.head+a.n)%len(a.window)] = s
		a.n++
	}
	a.observed++
	a.sinceChange++

	// Rule 2: nothing is evaluated below MinWindow samples of any outcome.
	if a.n < a.cfg.MinWindow {
		return
	}
	a.apply(a.evaluate())
}

type decision int

const (
	hold decision = iota
	increase
	decrease
)

// cause says which rule produced a decision, for Change.Reason.
type cause int

const (
	healthy cause = iota
	lowSuccess
	highTimeouts
	latencyInflation
)

// verdict is the result of evaluating the window: the decision and the
// figures behind it.
type verdict struct {
	decision  decision
	cause     cause
	relevant  int // Success + Timeout + NetworkError samples
	successes int
	timeouts  int
	p95       time.Duration // p95 of the successes' latencies; 0 if none
	limit     time.Duration // LatencyInflation × baseline, if compared
}

// evaluate applies rules 3–7 to the window (evaluate, adaptive.rs L399–447).
// It must be called with a.mu held.
func (a *AIMD) evaluate() verdict {
	var v verdict
	a.lat = a.lat[:0]
	for i := range a.n {
		s := a.window[(a.head+i)%len(a.window)]
		switch s.Outcome {
		case Success:
			v.successes++
			a.lat = append(a.lat, s.Latency)
		case Timeout:
			v.timeouts++
		case NetworkError:
		default: // ApplicationError, and anything unknown, is neutral.
			continue
		}
		v.relevant++
	}

	// Rule 3.
	if v.relevant < a.cfg.MinWindow {
		return v // hold
	}
	// Rule 4. The rates are computed in float64, as upstream does, so a
	// success rate of exactly 19/20 equals 0.95 and is not below it.
	total := float64(v.relevant)
	if float64(v.successes)/total < a.cfg.SuccessTarget {
		v.decision, v.cause = decrease, lowSuccess
		return v
	}
	if float64(v.timeouts)/total > a.cfg.TimeoutCeiling {
		v.decision, v.cause = decrease, highTimeouts
		return v
	}
	// Rule 5.
	if len(a.lat) == 0 {
		return v // hold
	}
	v.p95 = p95(a.lat)
	// Rule 6.
	if a.hasBaseline {
		v.limit = scale(a.baseline, a.cfg.LatencyInflation)
		if v.p95 > v.limit {
			v.decision, v.cause = decrease, latencyInflation
			return v
		}
	}
	// Rule 7.
	v.decision = increase
	return v
}

// apply applies rules 8–10 (apply_decision, adaptive.rs L449–499). It must
// be called with a.mu held.
func (a *AIMD) apply(v verdict) {
	from := a.cap
	switch v.decision {
	case increase:
		if a.sinceChange < a.cfg.Window {
			return
		}
		if a.hasBaseline {
			a.baseline = ewma(a.baseline, v.p95, a.cfg.EWMAAlpha)
		} else {
			a.baseline, a.hasBaseline = v.p95, true
		}
		if a.slowStart {
			a.cap *= 2
		} else {
			a.cap++
		}
		a.cap = min(max(a.cap, a.cfg.Min), a.cfg.Max)
	case decrease:
		if a.sinceChange < a.cfg.MinWindow {
			return
		}
		a.slowStart = false
		a.cap = max(a.cap/2, a.cfg.Min)
	default:
		return
	}
	a.sinceChange = 0
	if a.cap != from {
		a.changes = append(a.changes, Change{
			Sample: a.observed,
			From:   from,
			To:     a.cap,
			Reason: a.reason(v, from),
		})
	}
}

// reason describes an applied change; called only when the cap moved, so
// its allocations stay off the steady-state path.
func (a *AIMD) reason(v verdict, from int) string {
	rates := fmt.Sprintf("%d/%d successes, %d/%d timeouts", v.successes, v.relevant, v.timeouts, v.relevant)
	switch {
	case v.decision == increase && a.slowStart:
		return fmt.Sprintf("increase ×2 (slow start): %s, p95 %v", rates, v.p95)
	case v.decision == increase:
		return fmt.Sprintf("increase +1: %s, p95 %v", rates, v.p95)
	case v.cause == lowSuccess:
		return fmt.Sprintf("decrease: success rate %d/%d < %v", v.successes, v.relevant, a.cfg.SuccessTarget)
	case v.cause == highTimeouts:
		return fmt.Sprintf("decrease: timeout rate %d/%d > %v", v.timeouts, v.relevant, a.cfg.TimeoutCeiling)
	default:
		return fmt.Sprintf("decrease: p95 %v > %v × baseline = %v", v.p95, a.cfg.LatencyInflation, v.limit)
	}
}

// p95 returns the nearest-rank 95th percentile of lat, sorting it in place:
// index ceil(0.95·n) − 1, clamped to [0, n−1] (p95_of, adaptive.rs
// L504–512). lat must not be empty.
func p95(lat []time.Duration) time.Duration {
	slices.Sort(lat)
	i := int(math.Ceil(float64(len(lat))*0.95)) - 1
	return lat[max(0, min(i, len(lat)-1))]
}

// ewma returns (1−alpha)·prev + alpha·sample, rounded to the nearest
// nanosecond (ewma, adaptive.rs L523–535; upstream computes in milliseconds
// and rounds through Duration::from_secs_f64, which differs by at most a
// nanosecond).
func ewma(prev, sample time.Duration, alpha float64) time.Duration {
	return time.Duration(math.Round((1-alpha)*float64(prev) + alpha*float64(sample)))
}

// scale returns d × f rounded to the nearest nanosecond, as Rust's
// Duration::mul_f64.
func scale(d time.Duration, f float64) time.Duration {
	return time.Duration(math.Round(f * float64(d)))
}
