// Package runner runs measured uploads, each in a fresh child process.
//
// The flow:
//  1. Plan lays out the jobs: count rounds, every (scenario, strategy,
//     limiter) case once per round, in a shuffled order, so the cases
//     interleave.
//  2. RunBatch runs them one at a time; Spawn re-executes the program with
//     the job in FANBENCH_CHILD_JOB and GOGC, GOMEMLIMIT, GOMAXPROCS and the
//     profile rate pinned, samples the child's RSS (gopsutil), kills it at
//     the emulated memory limit or the time limit, and reads wait4's peak.
//  3. In the child, MaybeChild (called first in main) runs RunChild: setup,
//     a reset of VmHWM, the measured upload phase (exact live bytes by site,
//     the runtime sampler, heap profiles at the peak and at the end), the
//     analytic model's prediction; it writes the record and exits.
//  4. The parent completes the record with its OS figures and writes it
//     atomically under the results directory, so an interrupted batch keeps
//     every finished run; a child that crashes, hangs or is killed still
//     yields a record that says so.
package runner

import (
	"github.com/fanbench/fanbench/harness/alloc"
	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/limiter"
	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/selfenc"
	"github.com/fanbench/fanbench/harness/source"
	"github.com/fanbench/fanbench/harness/testnet"
	"github.com/fanbench/fanbench/harness/upload"
)

// Case is one (scenario, strategy, policy) to run.
type Case struct {
	Name     string          `json:"name"`
	Source   source.Spec     `json:"source"`
	Strategy upload.Strategy `json:"strategy"`
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
		Strategy:  upload.CopyPerPeer,
		Transport: true,
		Payment:   payment.Auto,
		Limiter:   "aimd",
		Net:       testnet.DefaultConfig(),
	}
}

// ParseLimiter returns a constructor for the store policy named by s, in
// one of limiter.Forms (limiter.Parse). Its AIMD limiters use
// limiter.DefaultStore; a run uses its client's (limiterFor).
func ParseLimiter(s string) (func() limiter.Policy, error) {
	return limiterFor(s, limiter.DefaultStore)
}

// limiterFor is ParseLimiter with the AIMD limiters configured by aimd. Each
// chunk in flight counts BudgetChunk bytes against a byte budget.
func limiterFor(s string, aimd limiter.Config) (func() limiter.Policy, error) {
	n, err := limiter.Parse(s)
	if err != nil {
		return nil, err
	}
	return func() limiter.Policy { return n.New(aimd, BudgetChunk) }, nil
}

// BudgetChunk is what a byte budget counts for each chunk in flight, in
// bytes: self-encryption's maximum chunk size, so that the 64 MiB budget
// bounds full chunks at 16 stores, as upstream's does (ant-client
// ant-core/src/data/client/batch.rs STORE_INFLIGHT_BYTE_BUDGET / the
// largest chunk of the wave; see limiter.ByteBudget).
const BudgetChunk = selfenc.MaxChunkSize

// LimiterBudget returns the in-flight byte budget, in bytes, of a limiter
// named as ParseLimiter takes it (limiter.BudgetOf).
func LimiterBudget(s string) (int64, bool) { return limiter.BudgetOf(s) }
