package runner

import (
	"github.com/fanbench/fanbench/harness/alloc"
	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/limiter"
	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/selfenc"
	"github.com/fanbench/fanbench/harness/source"
	"github.com/fanbench/fanbench/harness/testnet"
	"github.com/fanbench/fanbench/harness/upload/strategy"
	"github.com/fanbench/fanbench/harness/uploader"
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

// AllocatorPolicy returns the allocator policy the case runs: its own
// Allocator, else its client's, else package alloc's default.
func (c Case) AllocatorPolicy() string {
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
