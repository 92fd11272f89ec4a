// Package runner drives one upload of the model against an in-process
// testnet and gathers its exact buffer figures.
//
// The flow of Run:
//  1. build the testnet (peers, identities, ledger) and the uploader;
//  2. run the encryption phase into a spill (or take it from the cache),
//     counted apart from the upload;
//  3. run the upload phase with a fresh buffer.Counter as the meter;
//  4. return the counter's peaks per site with the upload's Result.
//
// Runs here share the calling process. Isolated child processes, runtime
// and OS figures come with the measurement layer.
package runner

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/limiter"
	"github.com/fanbench/fanbench/harness/payment"
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

// ParseLimiter returns a constructor for the store policy named by s:
//
//	aimd        the AIMD limiter, cold start at 8 (ant-client adaptive.rs)
//	warm:N      the AIMD limiter warm-started from a saved cap N
//	fixed:N     a fixed cap N
//	budget      the AIMD limiter under the 64 MiB in-flight byte budget
func ParseLimiter(s string) (func() limiter.Policy, error) {
	name, arg, hasArg := strings.Cut(s, ":")
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
		return func() limiter.Policy { return limiter.NewAIMD(limiter.DefaultStore) }, nil
	case name == "warm" && hasArg:
		return func() limiter.Policy { return limiter.WarmStart(limiter.DefaultStore, n) }, nil
	case name == "fixed" && hasArg:
		return func() limiter.Policy { return limiter.Fixed(n) }, nil
	case name == "budget" && !hasArg:
		return func() limiter.Policy {
			return limiter.ByteBudget{Inner: limiter.NewAIMD(limiter.DefaultStore), Budget: limiter.StoreInflightByteBudget, MaxChunk: 4_190_208}
		}, nil
	}
	return nil, fmt.Errorf("unknown limiter %q (want aimd, warm:N, fixed:N or budget)", s)
}

// Outcome is what one run measured.
type Outcome struct {
	Case   Case
	Result upload.Result
	// Peak is the highest total of live tracked client bytes during the
	// upload phase; SitePeak the highest of each site alone; Allocated the
	// bytes each site allocated in all.
	Peak      int64
	SitePeak  [buffer.NumSites]int64
	Allocated [buffer.NumSites]int64
	// Encrypt is the encryption phase's real duration; Cached says it came
	// from the spill cache.
	Encrypt time.Duration
	Cached  bool
	// PeakStreams is the most peer transfers that shared the uplink at once.
	PeakStreams int
}

// Run performs c once in this process.
func Run(ctx context.Context, c Case) (Outcome, error) {
	policy, err := ParseLimiter(c.Limiter)
	if err != nil {
		return Outcome{}, err
	}
	net, err := testnet.New(c.Net)
	if err != nil {
		return Outcome{}, err
	}
	defer net.Close()

	cfg := upload.DefaultConfig()
	cfg.Strategy, cfg.Transport, cfg.Payment, cfg.Store = c.Strategy, c.Transport, c.Payment, policy
	cfg.CacheRoot = c.CacheRoot
	u, err := upload.New(cfg)
	if err != nil {
		return Outcome{}, err
	}
	enc, err := u.Encrypt(ctx, c.Source)
	if err != nil {
		return Outcome{}, err
	}
	defer enc.Close()

	var counter buffer.Counter
	cfg.Meter = &counter
	u, err = upload.New(cfg)
	if err != nil {
		return Outcome{}, err
	}
	res, err := u.Upload(ctx, enc, net)
	out := Outcome{Case: c, Result: res, Peak: counter.TotalPeak(), Encrypt: enc.Elapsed, Cached: enc.Cached, PeakStreams: net.Network().PeakStreams()}
	for s := range buffer.NumSites {
		out.SitePeak[s] = counter.Peak(s)
		out.Allocated[s] = counter.Allocated(s)
	}
	return out, err
}
