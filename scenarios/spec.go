package scenarios

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/fanbench/fanbench/harness/limiter"
	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/upload/strategy"
)

// Strategies returns the buffer strategies a scenario may name, in the
// order a scenario runs them by default: the registry's (package strategy,
// which gives them their meaning).
func Strategies() []string { return strategy.Names() }

// The other names a scenario may use. The harness owns what they mean and
// can check in a test that it knows every one of them. Do not modify these
// lists.
var (
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
	// Strategies are the buffer strategies to run, each one of
	// Strategies(), without repeats.
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
	// Uploader names the uploader the cases run (the harness's registry
	// of uploaders; `fanbench run -h` lists them); "" means the default,
	// ant-client's file uploader. The harness checks the name and
	// positions its error at this field (Pos("uploader")).
	Uploader string
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
