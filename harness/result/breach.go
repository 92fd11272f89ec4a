package result

import (
	"encoding/json"
	"fmt"
)

// Breach is a scenario budget that a batch broke, as batch.json and
// results.json record it: the budget, the case, the figure its runs reached
// and the limit. Package reports/budget finds them; String words one as
// fanbench prints it.
type Breach struct {
	// Budget is where the budget is written, file:line:column.
	Budget string `json:"budget"`
	// The case whose runs broke it.
	Scenario string `json:"scenario"`
	Strategy string `json:"strategy"`
	Limiter  string `json:"limiter"`
	// Metric is the budget's metric (a Unit constant).
	Metric string `json:"metric"`
	// Value is the metric's median over the case's measured runs that
	// finished, in the metric's unit (bytes, nanoseconds).
	Value int64 `json:"value"`
	// Max is an absolute limit in the metric's unit; MaxModelRatio a limit
	// on Value / Model, where Model is the median of the analytic model's
	// prediction (0: it did not cover the runs). Exactly one is
	// set.
	Max           float64 `json:"max,omitempty"`
	MaxModelRatio float64 `json:"max_model_ratio,omitempty"`
	Model         int64   `json:"model,omitempty"`
	// Unfinished, when set, says how the case's runs ended when none of
	// them finished ("2 oom"): a case without a finished run breaks every
	// budget it has.
	Unfinished string `json:"unfinished,omitempty"`
	// Profile is the path of the case's peak profile, "" when it has none.
	Profile string `json:"profile,omitempty"`
	// Text is a breach as an older fanbench recorded it, one line of text
	// and nothing else; String gives it back.
	Text string `json:"-"`
}

// String words b on one line, e.g. "budget smoke.yaml:13:5:
// smoke/streamed (fixed:8) peak-live-B = 4404019, limit 1048576;
// results/profiles/smoke/streamed-fixed_8-profile.peak.pb.gz".
func (b Breach) String() string {
	if b.Text != "" {
		return b.Text
	}
	where := fmt.Sprintf("budget %s: %s/%s (%s) %s", b.Budget, b.Scenario, b.Strategy, b.Limiter, b.Metric)
	prof := b.Profile
	if prof == "" {
		prof = "no peak profile"
	}
	switch {
	case b.Unfinished != "":
		return fmt.Sprintf("%s: no run finished (%s); %s", where, b.Unfinished, prof)
	case b.MaxModelRatio > 0 && b.Model == 0:
		return fmt.Sprintf("%s: no model prediction for this run; %s", where, prof)
	case b.MaxModelRatio > 0:
		return fmt.Sprintf("%s = %d, %.4f × the model's %d, limit %.4f ×; %s", where, b.Value, float64(b.Value)/float64(b.Model), b.Model, b.MaxModelRatio, prof)
	}
	return fmt.Sprintf("%s = %d, limit %.0f; %s", where, b.Value, b.Max, prof)
}

// breachFields is Breach without its methods, for encoding/json.
type breachFields Breach

// MarshalJSON writes b as an object, or as the string an older fanbench
// wrote when b is one of its (Text).
func (b Breach) MarshalJSON() ([]byte, error) {
	if b.Text != "" {
		return json.Marshal(b.Text)
	}
	return json.Marshal(breachFields(b))
}

// UnmarshalJSON reads an object as MarshalJSON writes it, or a string: a
// breach as an older fanbench recorded it.
func (b *Breach) UnmarshalJSON(data []byte) error {
	var text string
	if err := json.Unmarshal(data, &text); err == nil {
		*b = Breach{Text: text}
		return nil
	}
	var f breachFields
	if err := json.Unmarshal(data, &f); err != nil {
		return err
	}
	*b = Breach(f)
	return nil
}
