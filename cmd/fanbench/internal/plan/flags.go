package plan

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/exit"
	"github.com/fanbench/fanbench/harness/alloc"
	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/limiter"
	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/source"
	"github.com/fanbench/fanbench/harness/upload/strategy"
	"github.com/fanbench/fanbench/harness/uploader"
	"github.com/fanbench/fanbench/internal/quantity"
	"github.com/fanbench/fanbench/reports/budget"
	"github.com/fanbench/fanbench/scenarios"
)

// Flags are the settings of run, fit and compare -base that override a
// scenario's, as their command lines give them; each overrides the
// scenario only when Given holds its flag's name. The command binds its
// flags to these fields.
type Flags struct {
	// Given are the names of the flags given (flag.FlagSet.Visit).
	Given map[string]bool

	Strategies string // -strategies (or its old name -modes): comma-separated
	Limiters   string // -limiter: comma-separated, limiter.Forms
	Clients    string // -client: comma-separated
	Uploader   string // -uploader: a name of the uploader registry
	Size       string // -size: a byte size (quantity.ParseBytes)
	MemLimit   string // -memlimit: a byte size > 0
	Seed       uint64
	Count      int
	Timeout    time.Duration
	Payment    string
	Transport  bool
	Allocator  string
}

// Visited returns the names of the flags of fs that were given.
func Visited(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// given reports whether the flag name, or its old name, was given.
func (f *Flags) given(name string) bool {
	return f.Given[name] || name == "strategies" && f.Given["modes"]
}

// flagName is name as the command line gave it: -modes for -strategies
// when the old name was used.
func (f *Flags) flagName(name string) string {
	if name == "strategies" && !f.Given["strategies"] && f.Given["modes"] {
		return "-modes"
	}
	return "-" + name
}

// bytes reads the byte size of the flag name, 0 when it was not given.
func (f *Flags) bytes(name, v string, positive bool) (int64, error) {
	if !f.given(name) {
		return 0, nil
	}
	n, err := quantity.ParseBytes(v)
	if err == nil && positive && n == 0 {
		err = errors.New("must be > 0")
	}
	if err != nil {
		return 0, fmt.Errorf("-%s: %w", name, err)
	}
	return n, nil
}

// check rejects bad flag values with errors that name the flag, before they
// reach a scenario (whose errors name the scenario file), and returns the
// sizes of -size and -memlimit.
func (f *Flags) check() (size, memLimit int64, err error) {
	if size, err = f.bytes("size", f.Size, false); err != nil {
		return 0, 0, err
	}
	if memLimit, err = f.bytes("memlimit", f.MemLimit, true); err != nil {
		return 0, 0, err
	}
	if f.given("strategies") {
		for _, m := range SplitList(f.Strategies) {
			if _, err := strategy.Parse(m); err != nil {
				return 0, 0, fmt.Errorf("%s: %w", f.flagName("strategies"), err)
			}
		}
	}
	if f.given("limiter") {
		for _, l := range SplitList(f.Limiters) {
			if _, err := limiter.Parse(l); err != nil {
				return 0, 0, fmt.Errorf("-limiter: %w", err)
			}
		}
	}
	if f.given("size") && size < source.MinSize {
		return 0, 0, fmt.Errorf("-size: must be ≥ %d bytes (got %d)", source.MinSize, size)
	}
	if f.given("payment") {
		if _, err := payment.ParseMode(f.Payment); err != nil {
			return 0, 0, fmt.Errorf("-payment: %w", err)
		}
	}
	if f.given("count") && f.Count < 1 {
		return 0, 0, fmt.Errorf("-count: must be ≥ 1 (got %d)", f.Count)
	}
	if f.given("client") {
		names := SplitList(f.Clients)
		if len(names) == 0 {
			names = []string{f.Clients}
		}
		for _, c := range names {
			if _, err := client.Lookup(c); err != nil || c == "" {
				return 0, 0, fmt.Errorf("-client: unknown client %q (known: %s; fanbench clients lists them)", c, strings.Join(client.Names(), ", "))
			}
		}
	}
	if f.given("uploader") {
		if _, err := uploader.Lookup(f.Uploader); err != nil || f.Uploader == "" {
			return 0, 0, fmt.Errorf("-uploader: unknown uploader %q (known: %s)", f.Uploader, strings.Join(uploader.Names(), ", "))
		}
	}
	if f.given("allocator") && !slices.Contains(alloc.Policies(), f.Allocator) {
		return 0, 0, fmt.Errorf("-allocator: unknown allocator %q (want one of %s)", f.Allocator, strings.Join(alloc.Policies(), ", "))
	}
	return size, memLimit, nil
}

// Check rejects bad flag values as Load would, without a scenario: for a
// command that checks its command line before it plans.
func (f *Flags) Check() error {
	_, _, err := f.check()
	return err
}

// Load looks the scenario name up (scenarios.Lookup) and applies the flags
// given to it, then checks the result: the scenario as it will run. When
// -size or -seed change its source, the scenario is renamed after them
// (NAME-size-BYTES-seed-SEED), so that its records never pass for the
// scenario's own. It drops the budgets and expectations of strategies and
// limiters no longer run, and the absolute budgets that a flag made
// meaningless (budget.DropAbsolute), with a note for each. Every error is
// bad input (exit.Usage).
func (f *Flags) Load(name string) (spec *scenarios.Spec, notes []string, err error) {
	size, memLimit, err := f.check()
	if err != nil {
		return nil, nil, exit.UsageError(err)
	}
	if spec, err = scenarios.Lookup(name); err != nil {
		return nil, nil, exit.UsageError(err)
	}
	if f.given("size") || f.given("seed") {
		spec.Name = fmt.Sprintf("%s-size-%d-seed-%d", spec.Name, or(size, spec.Source.Size), or(f.Seed, spec.Source.Seed))
	}
	if f.given("size") {
		spec.Source.Size, spec.Source.Sizes = size, nil
	}
	if f.given("seed") {
		spec.Source.Seed = f.Seed
	}
	if f.given("strategies") {
		spec.Strategies = SplitList(f.Strategies)
	}
	if f.given("limiter") {
		spec.Limiters = SplitList(f.Limiters)
	}
	if f.given("count") {
		spec.Count = f.Count
	}
	if f.given("timeout") {
		spec.Timeout = f.Timeout
	}
	if f.given("payment") {
		spec.Payment = f.Payment
	}
	if f.given("transport") {
		spec.Transport = f.Transport
	}
	if f.given("allocator") {
		spec.Allocator = f.Allocator
	}
	if f.given("client") {
		spec.Clients = SplitList(f.Clients)
	}
	if f.given("uploader") {
		spec.Uploader = f.Uploader
	}
	if f.given("memlimit") {
		spec.MemoryLimit = memLimit
	}
	if f.given("strategies") || f.given("limiter") {
		spec.Budgets = budget.Keep(spec.Budgets, spec.Strategies)
		spec.Expect = keepExpectations(spec.Expect, spec.Strategies, spec.Limiters)
	}
	spec.Budgets, notes = budget.DropAbsolute(spec.Budgets, slices.Sorted(maps.Keys(f.Given)))
	if err := spec.Validate(); err != nil {
		return nil, nil, exit.UsageError(fmt.Errorf("%s with the flags given: %w", name, err))
	}
	return spec, notes, nil
}

// keepExpectations drops the expectations of strategies and limiters no
// longer run.
func keepExpectations(es []scenarios.Expectation, strategies, limiters []string) []scenarios.Expectation {
	var out []scenarios.Expectation
	for _, e := range es {
		if (e.Strategy == scenarios.AnyStrategy || slices.Contains(strategies, e.Strategy)) && (e.Limiter == "" || slices.Contains(limiters, e.Limiter)) {
			out = append(out, e)
		}
	}
	return out
}

// SplitList splits a comma-separated flag value into its non-empty,
// trimmed items.
func SplitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// ShardFlags are the -shard and -shards flags of run, fit and compare
// -base.
type ShardFlags struct {
	shard  string
	shards int
}

// Register adds the flags to fs.
func (o *ShardFlags) Register(fs *flag.FlagSet) {
	fs.StringVar(&o.shard, "shard", "", "run only shard i/n (from 1, e.g. 2/4) of the cases, for fanbench merge to join; without it, JOB_COMPLETION_INDEX (from 0, with -shards or FANBENCH_SHARDS) or TEST_SHARD_INDEX/TEST_TOTAL_SHARDS")
	fs.IntVar(&o.shards, "shards", 0, "the number of shards JOB_COMPLETION_INDEX counts (a Kubernetes Indexed Job's completions)")
}

// Resolve returns this process's shard (the zero Shard for the whole
// batch), says on w where it came from, and touches Bazel's status file.
// Bad input is a usage error naming the flag or variable.
func (o *ShardFlags) Resolve(w io.Writer) (Shard, error) {
	sh, from, err := Resolve(o.shard, o.shards, os.Getenv)
	if err != nil {
		return Shard{}, exit.UsageError(err)
	}
	if err := Acknowledge(os.Getenv); err != nil {
		return Shard{}, exit.UsageError(err)
	}
	if from != "" && from != "-shard" {
		fmt.Fprintf(w, "fanbench: shard %s, from %s\n", sh, from)
	}
	return sh, nil
}

// UploaderHelp is the -uploader flag's help: the registry's uploaders.
func UploaderHelp() string {
	return "the uploader to run: " + strings.Join(uploader.Names(), ", ") + " (default: the scenario's, else " + uploader.Default + ")"
}
