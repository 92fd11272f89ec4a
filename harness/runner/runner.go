package runner

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/fanbench/fanbench/harness/alloc"
	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/limiter"
	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/selfenc"
	"github.com/fanbench/fanbench/harness/source"
	"github.com/fanbench/fanbench/harness/testnet"
	"github.com/fanbench/fanbench/harness/upload/strategy"
	"github.com/fanbench/fanbench/harness/uploader"
	"github.com/fanbench/fanbench/scenarios"
)

// Case is one (scenario, strategy, policy) to run.
type Case struct {
	Name     string            `json:"name"`
	Source   source.Spec       `json:"source"`
	Strategy strategy.Strategy `json:"strategy"`
	// Transport turns the transport's own copies on.
	Transport bool         `json:"transport"`
	Payment   payment.Mode `json:"payment"`
	// Limiter names the store-concurrency policy; see ParseLimiter.
	Limiter string         `json:"limiter"`
	Net     testnet.Config `json:"net"`
	// CacheRoot enables the spill cache there; empty disables it.
	CacheRoot string `json:"cache_root,omitempty"`
	// Allocator names the policy that places the client's buffers (see
	// package alloc); empty means the first of alloc.Policies, glibc, the
	// allocator of ant-client on Linux.
	Allocator string `json:"allocator,omitempty"`
	// Client names the client profile (package client); empty means
	// client.Default.
	Client string `json:"client,omitempty"`
	// Uploader names the uploader (package uploader's registry); empty
	// means uploader.Default.
	Uploader string `json:"uploader,omitempty"`
	// Reserve is the address space, in bytes, the client's allocator
	// reserves for its buffers: the most it can hold at once. 0 means
	// alloc.DefaultReserve.
	Reserve int64 `json:"reserve,omitempty"`
}

// profileName returns the name of the case's client profile.
func (c Case) profileName() string {
	if c.Client == "" {
		return client.Default
	}
	return c.Client
}

// uploaderName returns the name of the case's uploader.
func (c Case) uploaderName() string {
	if c.Uploader == "" {
		return uploader.Default
	}
	return c.Uploader
}

// settings returns what the case's uploader is built from, with the store
// policy policy and the client profile.
func (c Case) settings(policy func() limiter.Policy, profile client.Profile) uploader.Settings {
	s := uploader.DefaultSettings()
	s.Strategy, s.Transport, s.Payment, s.Store, s.Client = c.Strategy, c.Transport, c.Payment, policy, profile
	s.CacheRoot = c.CacheRoot
	return s
}

// profile returns the case's client profile.
func (c Case) profile() (client.Profile, error) { return client.Lookup(c.Client) }

// allocator returns the case's allocator policy: its own, or its client's.
func (c Case) allocator() string {
	if c.Allocator != "" {
		return c.Allocator
	}
	if p, err := c.profile(); err == nil && p.Allocator != "" {
		return p.Allocator
	}
	return alloc.Policies()[0]
}

// SeedCase is the default scenario: the 20 MB upload of ant-client PR #82's
// heaptrack capture, single-node payments (9 chunks < 64), the AIMD store
// limiter cold-started at 8.
func SeedCase() Case {
	return Case{
		Name:      "seed-20mb",
		Source:    source.Spec{Seed: 1, Size: 20 << 20},
		Strategy:  strategy.CopyPerPeer,
		Transport: true,
		Payment:   payment.Auto,
		Limiter:   "aimd",
		Net:       testnet.DefaultConfig(),
	}
}

// ParseLimiter returns a constructor for the store policy named by s:
//
//	aimd               the AIMD limiter, cold start at 8 (ant-client adaptive.rs)
//	warm:N             the AIMD limiter warm-started from a saved cap N
//	fixed:N            a fixed cap N
//	budget             the AIMD limiter under the 64 MiB in-flight byte budget
//	budget:SIZE        the AIMD limiter under a budget of SIZE bytes (20MiB, 67108864)
//	budget:SIZE@INNER  the policy INNER (aimd, warm:N, fixed:N) under that budget
//
// SIZE takes the units of scenario files (scenarios.ParseBytes). Each chunk
// in flight counts BudgetChunk bytes against a budget.
//
// Its AIMD limiters use limiter.DefaultStore; a run uses its client's
// (limiterFor).
func ParseLimiter(s string) (func() limiter.Policy, error) {
	return limiterFor(s, limiter.DefaultStore)
}

// limiterFor is ParseLimiter with the AIMD limiters configured by aimd.
func limiterFor(s string, aimd limiter.Config) (func() limiter.Policy, error) {
	name, arg, hasArg := strings.Cut(s, ":")
	if name == "budget" {
		return parseBudget(s, arg, hasArg, aimd)
	}
	n := 0
	if hasArg {
		v, err := strconv.Atoi(arg)
		if err != nil || v < 1 {
			return nil, fmt.Errorf("limiter %q: %q is not a positive cap", s, arg)
		}
		n = v
	}
	switch {
	case name == "aimd" && !hasArg:
		return func() limiter.Policy { return limiter.NewAIMD(aimd) }, nil
	case name == "warm" && hasArg:
		return func() limiter.Policy { return limiter.WarmStart(aimd, n) }, nil
	case name == "fixed" && hasArg:
		return func() limiter.Policy { return limiter.Fixed(n) }, nil
	}
	return nil, fmt.Errorf("unknown limiter %q (want aimd, warm:N, fixed:N, budget, budget:SIZE or budget:SIZE@INNER)", s)
}

// BudgetChunk is what a byte budget counts for each chunk in flight, in
// bytes: self-encryption's maximum chunk size, so that the 64 MiB budget
// bounds full chunks at 16 stores, as upstream's does (ant-client
// ant-core/src/data/client/batch.rs STORE_INFLIGHT_BYTE_BUDGET / the
// largest chunk of the wave; see limiter.ByteBudget).
const BudgetChunk = selfenc.MaxChunkSize

// parseBudget parses the budget forms of ParseLimiter; arg is what follows
// "budget:", if hasArg.
func parseBudget(s, arg string, hasArg bool, aimd limiter.Config) (func() limiter.Policy, error) {
	budget := int64(limiter.StoreInflightByteBudget)
	inner := func() limiter.Policy { return limiter.NewAIMD(aimd) }
	if hasArg {
		size, in, hasInner := strings.Cut(arg, "@")
		n, err := scenarios.ParseBytes(size)
		if err == nil && n == 0 {
			err = errors.New("must be > 0")
		}
		if err != nil {
			return nil, fmt.Errorf("limiter %q: the byte budget: %w", s, err)
		}
		budget = n
		if hasInner {
			if strings.HasPrefix(in, "budget") {
				return nil, fmt.Errorf("limiter %q: a budget's inner policy is aimd, warm:N or fixed:N, not another budget", s)
			}
			if inner, err = limiterFor(in, aimd); err != nil {
				return nil, fmt.Errorf("limiter %q: the inner policy: %w", s, err)
			}
		}
	}
	return func() limiter.Policy {
		return limiter.ByteBudget{Inner: inner(), Budget: budget, MaxChunk: BudgetChunk}
	}, nil
}

// LimiterBudget returns the in-flight byte budget, in bytes, of a limiter
// named as ParseLimiter takes it: 64 MiB for budget, SIZE for
// budget:SIZE[@INNER]; ok false for a limiter without one or a name it
// cannot read.
func LimiterBudget(s string) (int64, bool) {
	name, arg, hasArg := strings.Cut(s, ":")
	switch {
	case name != "budget":
		return 0, false
	case !hasArg:
		return limiter.StoreInflightByteBudget, true
	}
	size, _, _ := strings.Cut(arg, "@")
	n, err := scenarios.ParseBytes(size)
	return n, err == nil && n > 0
}
