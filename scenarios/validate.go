package scenarios

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/fanbench/fanbench/harness/alloc"
	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/source"
)

// Validate checks every field of s and returns an *Error for the first that
// is missing, out of range or inconsistent, positioned by Pos. Parse calls
// it; call it again after changing a Spec.
func (s *Spec) Validate() error {
	switch {
	case s.Name == "":
		return s.errorf("name", "missing (required)")
	case len(s.Name) > maxNameLen || !nameRE.MatchString(s.Name):
		return s.errorf("name", "%q is not a valid name: use lowercase letters, digits and single hyphens, at most %d characters (e.g. seed-20mb)", s.Name, maxNameLen)
	}
	if err := checkDescription(s.Description); err != nil {
		return s.errorf("description", "%v", err)
	}

	if err := s.validateSizes(); err != nil {
		return err
	}
	if c := s.Source.Compressibility; !(c >= 0 && c < 1) {
		return s.errorf("source.compressibility", "must be in [0, 1) (got %v)", c)
	}
	for i, c := range s.Clients {
		f := "client"
		if len(s.Clients) > 1 {
			f = fmt.Sprintf("client[%d]", i)
		}
		if !slices.Contains(client.Names(), c) {
			return s.errorf(f, "unknown client %q (want %s; fanbench clients lists them)", c, orList(client.Names()))
		}
		if j := slices.Index(s.Clients[:i], c); j >= 0 {
			return s.errorf(f, "%q is listed twice (also client[%d])", c, j)
		}
	}
	if s.Allocator != "" && !slices.Contains(alloc.Policies(), s.Allocator) {
		return s.errorf("allocator", "unknown allocator %q (want %s)", s.Allocator, orList(alloc.Policies()))
	}
	if !slices.Contains(Payments, s.Payment) {
		return s.errorf("payment", "unknown payment mode %q (want %s)", s.Payment, orList(Payments))
	}

	known := Strategies()
	if len(s.Strategies) == 0 {
		return s.errorf("strategies", "lists no strategy (omit the key for all of %s)", strings.Join(known, ", "))
	}
	for i, st := range s.Strategies {
		f := fmt.Sprintf("strategies[%d]", i)
		if !slices.Contains(known, st) {
			return s.errorf(f, "unknown strategy %q (want %s)%s", st, orList(known), suggest(st, known))
		}
		if j := slices.Index(s.Strategies[:i], st); j >= 0 {
			return s.errorf(f, "%q is listed twice (also strategies[%d])", st, j)
		}
	}

	if s.Baseline != "" && !slices.Contains(s.Strategies, s.Baseline) {
		return s.errorf("baseline", "%q is not among this scenario's strategies (%s)%s", s.Baseline, strings.Join(s.Strategies, ", "), suggest(s.Baseline, s.Strategies))
	}

	if len(s.Limiters) == 0 {
		return s.errorf("limiters", "lists no limiter (omit the key for [%s])", strings.Join(DefaultLimiters, ", "))
	}
	for i, l := range s.Limiters {
		f := fmt.Sprintf("limiters[%d]", i)
		if err := checkLimiter(l); err != nil {
			return s.errorf(f, "%v", err)
		}
		if j := slices.Index(s.Limiters[:i], l); j >= 0 {
			return s.errorf(f, "%q is listed twice (also limiters[%d])", l, j)
		}
	}

	if err := s.validateNetwork(); err != nil {
		return err
	}
	switch {
	case s.MemoryLimit < 0:
		return s.errorf("memory_limit", "must be > 0 (got %d)", s.MemoryLimit)
	case s.Count < 1:
		return s.errorf("count", "must be at least 1 (got %d)", s.Count)
	case s.Count > MaxCount:
		return s.errorf("count", "must be at most %d (got %d)", MaxCount, s.Count)
	case s.Timeout <= 0:
		return s.errorf("timeout", "must be > 0 (got %v)", s.Timeout)
	}
	for i := range s.Budgets {
		if err := s.validateBudget(i); err != nil {
			return err
		}
	}
	for i := range s.Expect {
		if err := s.validateExpectation(i); err != nil {
			return err
		}
	}
	return nil
}

// validateSizes checks Source.Size, or each of Source.Sizes.
func (s *Spec) validateSizes() error {
	check := func(field string, n int64) error {
		switch {
		case n < source.MinSize:
			return s.errorf(field, "must be at least %d bytes, self-encryption's minimum (got %d)", source.MinSize, n)
		case n > MaxSize:
			return s.errorf(field, "must be at most %s (got %d bytes)", FormatBytes(MaxSize), n)
		}
		return nil
	}
	switch sz := s.Source.Sizes; {
	case len(sz) == 0:
		return check("source.size", s.Source.Size)
	case s.Source.Size != 0:
		return s.errorf("source.size", "set either one size or a list of sizes, not both (got %d and %d sizes)", s.Source.Size, len(sz))
	case len(sz) == 1:
		return s.errorf("source.size", "a list of one size: write the size alone")
	}
	for i, n := range s.Source.Sizes {
		f := fmt.Sprintf("source.size[%d]", i)
		if err := check(f, n); err != nil {
			return err
		}
		if j := slices.Index(s.Source.Sizes[:i], n); j >= 0 {
			return s.errorf(f, "%s is listed twice (also source.size[%d])", FormatBytes(n), j)
		}
	}
	return nil
}

func (s *Spec) validateExpectation(i int) error {
	e := &s.Expect[i]
	f := fmt.Sprintf("expect[%d]", i)
	if err := s.checkStrategyRef(f+".strategy", e.Strategy, ""); err != nil {
		return err
	}
	if e.Limiter != "" && !slices.Contains(s.Limiters, e.Limiter) {
		return s.errorf(f+".limiter", "%q is not among this scenario's limiters (%s); omit the key for any", e.Limiter, strings.Join(s.Limiters, ", "))
	}
	switch {
	case e.Outcome == "":
		return s.errorf(f+".outcome", "missing (required: %s)", orList(Outcomes))
	case !slices.Contains(Outcomes, e.Outcome):
		return s.errorf(f+".outcome", "%q is not an outcome a scenario can expect (want %s; a run is expected to finish unless said otherwise, and a timeout or crash never is)%s",
			e.Outcome, orList(Outcomes), suggest(e.Outcome, Outcomes))
	case e.Outcome == "oom" && s.MemoryLimit == 0:
		return s.errorf(f+".outcome", "oom needs a memory_limit: without one no run is killed")
	}
	for j, o := range s.Expect[:i] {
		if o.Strategy == e.Strategy && o.Limiter == e.Limiter {
			return s.errorf(f, "repeats expect[%d] (%s %s)", j, e.Strategy, cmp.Or(e.Limiter, "any limiter"))
		}
	}
	return nil
}

func (s *Spec) validateNetwork() error {
	n := &s.Network
	switch {
	case n.Peers < MinPeers:
		return s.errorf("network.peers", "must be at least %d, the merkle candidate pool (got %d)", MinPeers, n.Peers)
	case n.Peers > MaxPeers:
		return s.errorf("network.peers", "must be at most %d (got %d)", MaxPeers, n.Peers)
	case !(n.UplinkBitsPerSec > 0) || math.IsInf(n.UplinkBitsPerSec, 1):
		return s.errorf("network.uplink", "must be a finite bandwidth > 0 (got %sbit)", formatNumber(n.UplinkBitsPerSec))
	case n.Latency < 0:
		return s.errorf("network.latency", "must be ≥ 0 (got %v)", n.Latency)
	case n.Jitter < 0:
		return s.errorf("network.jitter", "must be ≥ 0 (got %v)", n.Jitter)
	}
	for _, f := range []struct {
		key   string
		share float64
	}{{"dead", n.Faults.Dead}, {"fail", n.Faults.Fail}, {"timeout", n.Faults.Timeout}, {"already_exists", n.Faults.AlreadyExists}} {
		if !(f.share >= 0 && f.share <= 1) {
			return s.errorf("network.faults."+f.key, "must be a share in [0, 1] (got %v)", f.share)
		}
	}
	return nil
}

// checkStrategyRef checks field, a reference to one of the scenario's
// strategies or AnyStrategy; notRun ends the message when the strategy is
// known but not run.
func (s *Spec) checkStrategyRef(field, strategy, notRun string) error {
	switch {
	case strategy == "":
		return s.errorf(field, "missing (required: a strategy or %q)", AnyStrategy)
	case strategy == AnyStrategy:
	case !slices.Contains(Strategies(), strategy):
		known := Strategies()
		return s.errorf(field, "unknown strategy %q (want %q or %s)%s", strategy, AnyStrategy, orList(known), suggest(strategy, known))
	case !slices.Contains(s.Strategies, strategy):
		return s.errorf(field, "%q is not among this scenario's strategies (%s)%s", strategy, strings.Join(s.Strategies, ", "), notRun)
	}
	return nil
}

func (s *Spec) validateBudget(i int) error {
	b := &s.Budgets[i]
	f := fmt.Sprintf("budgets[%d]", i)
	if err := s.checkStrategyRef(f+".strategy", b.Strategy, ", so the budget would never be checked"); err != nil {
		return err
	}
	if err := checkMetric(b.Metric); err != nil {
		return s.errorf(f+".metric", "%v", err)
	}
	switch {
	case b.Max != 0 && b.MaxModelRatio != 0:
		return s.errorf(f+".max_model_ratio", "set either max or max_model_ratio, not both")
	case b.Max == 0 && b.MaxModelRatio == 0:
		return s.errorf(f, "needs a limit: max or max_model_ratio")
	case b.Max != 0 && (!(b.Max > 0) || math.IsInf(b.Max, 1)):
		return s.errorf(f+".max", "must be > 0 (got %v)", b.Max)
	case b.MaxModelRatio != 0 && b.Metric != ModelMetric:
		return s.errorf(f+".max_model_ratio", "applies only to %s, the figure the model predicts (metric is %s)", ModelMetric, b.Metric)
	case b.MaxModelRatio != 0 && (!(b.MaxModelRatio > 0) || math.IsInf(b.MaxModelRatio, 1)):
		return s.errorf(f+".max_model_ratio", "must be > 0 (got %v)", b.MaxModelRatio)
	}
	for j, o := range s.Budgets[:i] {
		if o.Strategy == b.Strategy && o.Metric == b.Metric && (o.Max != 0) == (b.Max != 0) {
			return s.errorf(f, "repeats budgets[%d] (%s %s)", j, b.Strategy, b.Metric)
		}
	}
	return nil
}

// checkDescription requires one non-empty line of printable text.
func checkDescription(d string) error {
	switch {
	case strings.TrimSpace(d) == "":
		return fmt.Errorf("missing (required: one line saying what the scenario reproduces)")
	case !utf8.ValidString(d):
		return fmt.Errorf("is not valid UTF-8")
	case strings.ContainsAny(d, "\r\n"):
		return fmt.Errorf("must be one line")
	case strings.ContainsFunc(d, unicode.IsControl):
		return fmt.Errorf("must not contain control characters")
	}
	return nil
}
