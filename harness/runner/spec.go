package runner

import (
	"fmt"

	"github.com/fanbench/fanbench/harness/netsim"
	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/source"
	"github.com/fanbench/fanbench/harness/testnet"
	"github.com/fanbench/fanbench/harness/upload/strategy"
	"github.com/fanbench/fanbench/harness/uploader"
	"github.com/fanbench/fanbench/scenarios"
)

// CasesOf returns the cases of a scenario: for each of its variants
// (scenarios.Spec.Variants: one per swept size, in order), one per
// (limiter, strategy) in the spec's order, each named after its variant,
// with its spill cache under cacheRoot (empty: no cache). Names the spec
// holds that the harness does not know give an error positioned at the
// spec's field.
func CasesOf(s *scenarios.Spec, cacheRoot string) ([]Case, error) {
	mode, err := payment.ParseMode(s.Payment)
	if err != nil {
		return nil, &scenarios.Error{Pos: s.Pos("payment"), Field: "payment", Msg: err.Error()}
	}
	net := testnet.DefaultConfig()
	net.Net = netsim.Config{
		Peers: s.Network.Peers, Seed: netsim.DefaultConfig.Seed, UplinkBitsPerSec: s.Network.UplinkBitsPerSec,
		Latency: s.Network.Latency, Jitter: s.Network.Jitter, Segment: netsim.DefaultSegment,
	}
	f := s.Network.Faults
	net.Faults = testnet.Faults{Dead: f.Dead, Fail: f.Fail, Timeout: f.Timeout, AlreadyExists: f.AlreadyExists}
	if err := net.Net.Validate(); err != nil {
		return nil, &scenarios.Error{Pos: s.Pos("network"), Field: "network", Msg: err.Error()}
	}
	if _, err := uploader.Lookup(s.Uploader); err != nil {
		return nil, &scenarios.Error{Pos: s.Pos("uploader"), Field: "uploader", Msg: err.Error()}
	}
	for i, l := range s.Limiters {
		if _, err := ParseLimiter(l); err != nil {
			field := fmt.Sprintf("limiters[%d]", i)
			return nil, &scenarios.Error{Pos: s.Pos(field), Field: field, Msg: err.Error()}
		}
	}
	strategies := make([]strategy.Strategy, len(s.Strategies))
	for j, name := range s.Strategies {
		st, err := strategy.Parse(name)
		if err != nil {
			field := fmt.Sprintf("strategies[%d]", j)
			return nil, &scenarios.Error{Pos: s.Pos(field), Field: field, Msg: err.Error()}
		}
		strategies[j] = st
	}
	var cases []Case
	for _, v := range s.Variants() {
		for _, l := range s.Limiters {
			for _, st := range strategies {
				cases = append(cases, Case{
					Name:      v.Name,
					Source:    source.Spec{Seed: s.Source.Seed, Size: v.Size, Compressibility: s.Source.Compressibility},
					Strategy:  st,
					Transport: s.Transport,
					Payment:   mode,
					Limiter:   l,
					Net:       net,
					CacheRoot: cacheRoot,
					Allocator: s.Allocator,
					Client:    v.Client,
					Uploader:  s.Uploader,
				})
			}
		}
	}
	return cases, nil
}
