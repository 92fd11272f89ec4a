package limiter

import (
	"errors"
	"fmt"
	"math"
)

// Config holds the AIMD limiter's parameters. Counts are in operations
// (samples); rates are fractions in [0, 1].
type Config struct {
	// Start is the cold-start cap.
	Start int
	// Max is the ceiling the cap never exceeds.
	Max int
	// Min is the floor the cap never goes below.
	Min int
	// Window is the length of the FIFO sample window, and also the number
	// of samples that must arrive after a change before an Increase applies.
	Window int
	// MinWindow is the number of samples (of any outcome) the window must
	// hold before it is evaluated, the number of capacity-relevant samples
	// below which the decision is Hold, and the number of samples that must
	// arrive after a change before a Decrease applies.
	MinWindow int
	// SuccessTarget is the success rate below which the window is stressed.
	SuccessTarget float64
	// TimeoutCeiling is the timeout rate above which the window is stressed.
	TimeoutCeiling float64
	// LatencyInflation is the factor over the latency baseline above which
	// the successes' p95 latency is a stress signal.
	LatencyInflation float64
	// EWMAAlpha is the weight of a new window p95 in the latency baseline:
	// 0 never updates it, 1 replaces it.
	EWMAAlpha float64
}

// DefaultStore is the store channel's configuration at ant-client commit
// 768e3bd (PR #62), file ant-core/src/data/client/adaptive.rs.
var DefaultStore = Config{
	Start:            8,    // ChannelStart::default().store, L204 (L200–207)
	Max:              64,   // ChannelMax::default().store, L95 (L87–98)
	Min:              1,    // AdaptiveConfig::default().min_concurrency, L170
	Window:           32,   // window_ops, L172
	MinWindow:        8,    // min_window_ops, L173
	SuccessTarget:    0.95, // success_target, L174
	TimeoutCeiling:   0.10, // timeout_ceiling, L175
	LatencyInflation: 2.0,  // latency_inflation_factor, L176 (later raised to 4.0)
	EWMAAlpha:        0.2,  // latency_ewma_alpha, L177
}

// Validate reports every parameter that is out of range, each error naming
// its field. Upstream silently sanitizes such values (AdaptiveConfig::sanitize,
// L141–163); a benchmark should refuse them instead, so that a scenario
// measures the configuration it states.
func (c Config) Validate() error {
	var errs []error
	bad := func(field string, format string, args ...any) {
		errs = append(errs, fmt.Errorf("limiter: Config.%s %s", field, fmt.Sprintf(format, args...)))
	}
	if c.Min < 1 {
		bad("Min", "= %d, want ≥ 1", c.Min)
	}
	if c.Max < c.Min {
		bad("Max", "= %d, want ≥ Min (%d)", c.Max, c.Min)
	}
	if c.Start < c.Min || c.Start > c.Max {
		bad("Start", "= %d, want within [Min, Max] = [%d, %d]", c.Start, c.Min, c.Max)
	}
	if c.Window < 1 {
		bad("Window", "= %d, want ≥ 1", c.Window)
	}
	if c.MinWindow < 1 || c.MinWindow > c.Window {
		bad("MinWindow", "= %d, want within [1, Window] = [1, %d]", c.MinWindow, c.Window)
	}
	unit := func(field string, v float64) {
		if math.IsNaN(v) || v < 0 || v > 1 {
			bad(field, "= %v, want within [0, 1]", v)
		}
	}
	unit("SuccessTarget", c.SuccessTarget)
	unit("TimeoutCeiling", c.TimeoutCeiling)
	unit("EWMAAlpha", c.EWMAAlpha)
	if math.IsNaN(c.LatencyInflation) || math.IsInf(c.LatencyInflation, 0) || c.LatencyInflation <= 0 {
		bad("LatencyInflation", "= %v, want finite and > 0", c.LatencyInflation)
	}
	return errors.Join(errs...)
}
