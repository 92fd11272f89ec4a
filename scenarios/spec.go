package scenarios

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/fanbench/fanbench/harness/alloc"
	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/limiter"
	"github.com/fanbench/fanbench/harness/result"
)

// The names a scenario may use. The harness owns what they mean and can
// check in a test that it knows every one of them. Do not modify these
// lists.
var (
	// Strategies are the buffer strategies, in the order a scenario runs
	// them by default.
	Strategies = []string{"copy-per-peer", "shared-buffer", "encode-once", "streamed"}

	// Payments are the payment modes: auto picks merkle at 64 chunks or
	// more and single below, as the real client does.
	Payments = []string{"auto", "single", "merkle"}

	// Limiters are the store-concurrency policies, as written in a
	// scenario: the forms of package limiter's grammar (limiter.Forms,
	// which says what each means; limiter.Parse reads them).
	Limiters = limiter.Forms

	// Metrics are the figures a budget may limit, named by their benchfmt
	// units: bytes for the -B metrics, nanoseconds for ns/op (the metrics
	// of package result that say Budget).
	Metrics = result.MetricUnits(func(m result.Metric) bool { return m.Budget })

	// Outcomes are the ways a run may end other than finishing that a
	// scenario can expect: oom, killed at the memory limit; error, the
	// upload failed (a partial upload on a faulty network). A run is
	// expected to finish unless the scenario says otherwise; a timeout or a
	// crash is never expected.
	Outcomes = []string{"oom", "error"}
)

// ModelMetric is the one metric the analytic model predicts, and so the only
// one a budget may limit with MaxModelRatio.
const ModelMetric = result.ModelMetric

// AnyStrategy in Budget.Strategy applies a budget to every strategy of the
// scenario.
const AnyStrategy = "*"

// Defaults of the optional fields.
const (
	DefaultPayment = "auto"
	DefaultSeed    = 1
	DefaultCount   = 1
	DefaultTimeout = 10 * time.Minute
)

// MinPeers is the smallest network a scenario may ask for: a merkle
// candidate pool asks 32 peers (reference/uploader.md §5).
const MinPeers = 32

// Upper bounds, refused by Validate before anything is computed from them:
// a size near 2^63 overflowed the spill's free-space check (size + 10 %)
// and the child died of a fatal out-of-memory.
const (
	// MaxSize is the largest source: 1 TiB, 262,000 chunks, far beyond
	// what the harness can run on one machine, and small enough that no
	// byte arithmetic of the harness (the free-space margin, chunk counts,
	// proof totals, the model's sums) comes near int64's range.
	MaxSize = 1 << 40
	// MaxCount is the most repetitions of a case: 10,000 runs of a case
	// is days of runs; a count near 2^63 overflowed the plan's length.
	MaxCount = 10_000
	// MaxPeers is the largest simulated network: each peer holds an
	// ML-DSA-65 identity (about 15 MB for 200 peers), so 10,000 is
	// already 750 MB of the child's heap.
	MaxPeers = 10_000
)

var (
	// DefaultLimiters are the policies of a scenario that names none: the
	// AIMD limiter from its cold start. Do not modify it.
	DefaultLimiters = []string{"aimd"}

	// DefaultNetwork is the network of a scenario that describes none, the
	// same as the harness's default: 200 peers on a 100 Mbit/s uplink,
	// 20–30 ms away, no faults.
	DefaultNetwork = Network{
		Peers:            200,
		UplinkBitsPerSec: 100e6,
		Latency:          20 * time.Millisecond,
		Jitter:           10 * time.Millisecond,
	}
)

// Spec is one scenario: a file to upload and the cases to run it under (each
// strategy with each limiter, Count times), and the budgets to check after.
//
// Parse returns a Spec with every default filled in and every field valid.
// A Spec is a plain value; the harness may change fields (for example from
// command-line flags) and call Validate again.
type Spec struct {
	// Name identifies the scenario in results and benchmark names:
	// lowercase letters, digits and single hyphens, at most 64 characters.
	Name string
	// Description says in one line what the scenario reproduces.
	Description string
	// Source is the generated file to upload.
	Source Source
	// Payment is one of Payments.
	Payment string
	// Strategies are the buffer strategies to run, each one of Strategies,
	// without repeats.
	Strategies []string
	// Baseline is the strategy the others are compared against in the
	// reports, one of Strategies; "" leaves the choice to the reports
	// (copy-per-peer, before PR #82, when it runs).
	Baseline string
	// Limiters are the store-concurrency policies to run each strategy
	// under, each of the forms in Limiters ("fixed:64"), without repeats.
	Limiters []string
	// Transport turns the transport's own copies (retry clone, per-channel
	// clone, signable and wire serialisations) on.
	Transport bool
	// Network is the simulated network.
	Network Network
	// MemoryLimit is the emulated machine's memory in bytes: a run whose
	// client's resident memory reaches it is killed as by the OOM killer.
	// 0 means no limit.
	MemoryLimit int64
	// Clients are the client profiles the strategies run on, each one of
	// client.Names(), without repeats; none means client.Default, the
	// client of the seed's heaptrack capture. Several make one variant
	// each (Variants).
	Clients []string
	// Allocator is the client allocator policy that places the client's
	// buffers, one of alloc.Policies; "" means the modelled client's own
	// (glibc malloc for ant-client).
	Allocator string
	// Count is the number of repetitions of each case, at least 1.
	Count int
	// Timeout bounds each run, in wall-clock time.
	Timeout time.Duration
	// Budgets are the limits checked after the runs.
	Budgets []Budget
	// Expect are the outcomes other than finishing that runs of some cases
	// are expected to have; see Expected.
	Expect []Expectation
	// File is where the spec came from: "builtin:NAME.yaml" or a path.
	File string

	// pos maps a field's dotted path to the position of its key (list
	// items: of the item); "" maps to the start of the spec.
	pos map[string]Position
}

// Source describes the generated file.
type Source struct {
	// Size is the file length in bytes, at least 3 (self-encryption's
	// minimum) and at most MaxSize; 0 when Sizes is set.
	Size int64
	// Sizes, when set, are two or more file lengths to sweep (source.size
	// written as a list), each as Size would be, without repeats; the
	// scenario then runs once per size (Variants). Nil for one size.
	Sizes []int64
	// Seed selects the bytes: the same seed gives the same file.
	Seed uint64
	// Compressibility is the share of each block, in [0, 1), that
	// compresses away; 0 is incompressible.
	Compressibility float64
}

// Network describes the simulated network.
type Network struct {
	// Peers is the number of simulated peers, at least MinPeers.
	Peers int
	// UplinkBitsPerSec is the client's uplink in bits per simulated second,
	// shared by all concurrent sends; > 0.
	UplinkBitsPerSec float64
	// Latency is the one-way base latency to every peer, in simulated time;
	// ≥ 0.
	Latency time.Duration
	// Jitter spreads the peers' latencies over [Latency, Latency+Jitter);
	// ≥ 0.
	Jitter time.Duration
	// Faults are the shares of requests that go wrong.
	Faults Faults
}

// Faults are shares, each in [0, 1], of what goes wrong on the network.
type Faults struct {
	// Dead is the share of peers that cannot be reached at all.
	Dead float64
	// Fail is the share of requests a peer answers with an error.
	Fail float64
	// Timeout is the share of requests a peer never answers.
	Timeout float64
	// AlreadyExists is the share of (peer, chunk) pairs where the peer
	// already holds the chunk.
	AlreadyExists float64
}

// Budget is a limit on one metric of the runs of one strategy (or of every
// strategy, AnyStrategy). Exactly one of Max and MaxModelRatio is set.
type Budget struct {
	// Strategy is one of the scenario's strategies, or AnyStrategy.
	Strategy string
	// Metric is one of Metrics.
	Metric string
	// Max is the absolute limit in the metric's unit: bytes for the -B
	// metrics, nanoseconds for ns/op. 0 if unset.
	Max float64
	// MaxModelRatio is the limit relative to the analytic model's
	// prediction (measured / model); only for ModelMetric. 0 if unset.
	MaxModelRatio float64
	// Pos is where the budget was written (its first key), for messages
	// about a breach.
	Pos Position
}

// Expectation says that runs of a strategy (or of every strategy,
// AnyStrategy), under one limiter or under any (Limiter ""), are expected
// to end with Outcome, one of Outcomes, instead of finishing. A run that
// finishes all the same is no failure (it used less memory than expected),
// only worth a note.
type Expectation struct {
	Strategy string
	Limiter  string
	Outcome  string
	// Pos is where the expectation was written (its first key).
	Pos Position
}

// Expected returns the outcome other than finishing that the scenario
// expects of the runs of (strategy, limiter): the Outcome of the first
// expectation that matches, or "" when they are expected to finish.
func (s *Spec) Expected(strategy, limiter string) string {
	for _, e := range s.Expect {
		if (e.Strategy == AnyStrategy || e.Strategy == strategy) && (e.Limiter == "" || e.Limiter == limiter) {
			return e.Outcome
		}
	}
	return ""
}

// Pos returns where field (a dotted path such as "network.uplink" or
// "budgets[1].max", as in Error.Field) was set in the file. For a field the
// file left at its default it returns the position of the nearest enclosing
// field that was set, else the start of the spec, so the harness can
// position errors of its own. For a Spec that was not parsed it returns
// Position{File: s.File}.
func (s *Spec) Pos(field string) Position {
	for f := field; ; {
		if p, ok := s.pos[f]; ok {
			return p
		}
		if f == "" {
			break
		}
		i := strings.LastIndexAny(f, ".[")
		if i < 0 {
			i = 0
		}
		f = f[:i]
	}
	return Position{File: s.File}
}

// errorf returns an *Error about field, positioned where the field was set.
func (s *Spec) errorf(field, format string, args ...any) error {
	return &Error{Pos: s.Pos(field), Field: field, Msg: fmt.Sprintf(format, args...)}
}

// nameRE is the form of a scenario name: it becomes a file name and part of
// a benchmark name, so no separators, no leading or trailing hyphen.
var nameRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

const maxNameLen = 64

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

	if len(s.Strategies) == 0 {
		return s.errorf("strategies", "lists no strategy (omit the key for all of %s)", strings.Join(Strategies, ", "))
	}
	for i, st := range s.Strategies {
		f := fmt.Sprintf("strategies[%d]", i)
		if !slices.Contains(Strategies, st) {
			return s.errorf(f, "unknown strategy %q (want %s)%s", st, orList(Strategies), suggest(st, Strategies))
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
		case n < 3:
			return s.errorf(field, "must be at least 3 bytes, self-encryption's minimum (got %d)", n)
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

// A Variant is one point of a scenario's sweep over the list-valued keys
// that change what is uploaded: today the source sizes. Each variant runs
// every limiter with every strategy. A key to sweep later (the client, say)
// is a field here and a loop in Variants, and nowhere else.
type Variant struct {
	// Name is the cases' scenario name in results: the scenario's own for
	// a scenario that sweeps nothing, else the scenario's suffixed with
	// each swept value, "-size-N" for a size of N bytes, so that every
	// variant's records and benchmark names differ.
	Name string
	// Size is the source size in bytes.
	Size int64
	// Client is the client profile ("" for client.Default).
	Client string
}

// Variants returns the scenario's sweep points, sorted: by size,
// ascending, then by client in the scenario's order. A scenario that sweeps
// nothing has one, named as the scenario. The result is a function of the
// Spec alone.
func (s *Spec) Variants() []Variant {
	sizes := []int64{s.Source.Size}
	if len(s.Source.Sizes) > 0 {
		sizes = slices.Sorted(slices.Values(s.Source.Sizes))
	}
	clients := s.Clients
	if len(clients) == 0 {
		clients = []string{""}
	}
	var out []Variant
	for _, n := range sizes {
		name := s.Name
		if len(s.Source.Sizes) > 0 {
			name = SizeVariantName(s.Name, n)
		}
		for _, c := range clients {
			v := Variant{Name: name, Size: n, Client: c}
			if len(clients) > 1 {
				v.Name += "-client-" + c
			}
			out = append(out, v)
		}
	}
	return out
}

// SizeVariantName is the name of scenario's variant of size bytes in a
// size sweep: "cap-demo-size-104857600".
func SizeVariantName(scenario string, size int64) string {
	return fmt.Sprintf("%s-size-%d", scenario, size)
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
	case !slices.Contains(Strategies, strategy):
		return s.errorf(field, "unknown strategy %q (want %q or %s)%s", strategy, AnyStrategy, orList(Strategies), suggest(strategy, Strategies))
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

// checkLimiter requires one of the forms in Limiters, written canonically
// (limiter.Parse), with a budget of at most MaxSize.
func checkLimiter(l string) error {
	n, err := limiter.Parse(l)
	var u *limiter.UnknownError
	switch {
	case errors.As(err, &u):
		return fmt.Errorf("%w%s", err, suggest(u.Kind, limiter.Kinds))
	case err == nil && n.Budget > MaxSize:
		return fmt.Errorf("%q: the byte budget must be at most %s", l, FormatBytes(MaxSize))
	}
	return err
}

// BudgetLimiter returns the canonical name of the policy inner (aimd,
// warm:N or fixed:N; "" for aimd) under an in-flight byte budget of
// budget bytes: "budget:64MiB", "budget:71233535B@fixed:64"
// (limiter.BudgetName).
func BudgetLimiter(budget int64, inner string) string { return limiter.BudgetName(budget, inner) }

// checkMetric requires one of Metrics.
func checkMetric(m string) error {
	if m == "" {
		return fmt.Errorf("missing (required: %s)", orList(Metrics))
	}
	if !slices.Contains(Metrics, m) {
		return fmt.Errorf("unknown metric %q (want %s)%s", m, orList(Metrics), suggest(m, Metrics))
	}
	return nil
}

// orList writes "a, b or c".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// suggest returns "; did you mean X?" for the candidate closest to s, if it
// is within two edits or a third of the candidate's length, or starts with
// s ("shared" for shared-buffer), and "" otherwise.
func suggest(s string, candidates []string) string {
	best, bestD := "", math.MaxInt
	ls := strings.ToLower(s)
	for _, c := range candidates {
		lc := strings.ToLower(c)
		d := editDistance(ls, lc)
		near := d <= max(2, len(c)/3) || (len(s) >= 3 && strings.HasPrefix(lc, ls))
		if near && d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" || best == s {
		return ""
	}
	return fmt.Sprintf("; did you mean %s?", best)
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return math.MaxInt // not a typo of a short name; spare the work
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
