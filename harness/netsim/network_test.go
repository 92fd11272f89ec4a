package netsim

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fanbench/fanbench/harness/simtime"
	"github.com/fanbench/fanbench/harness/xorname"
)

// randomNames returns n names drawn from a PCG seeded with seed.
func randomNames(seed uint64, n int) []xorname.Name {
	r := rand.New(rand.NewPCG(seed, 0))
	names := make([]xorname.Name, n)
	for i := range names {
		for j := range names[i] {
			names[i][j] = byte(r.Uint32())
		}
	}
	return names
}

// newNetwork builds a network of cfg.Peers random peers, or fails the test.
func newNetwork(t testing.TB, cfg Config) *Network {
	t.Helper()
	n, err := New(cfg, randomNames(cfg.Seed, cfg.Peers))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// bruteClosest sorts all ids by distance from target and keeps k.
func bruteClosest(ids []xorname.Name, target xorname.Name, k int) []xorname.Name {
	all := slices.Clone(ids)
	slices.SortFunc(all, func(a, b xorname.Name) int {
		da, db := xorname.Distance(target, a), xorname.Distance(target, b)
		return bytes.Compare(da[:], db[:])
	})
	return all[:min(k, len(all))]
}

func TestNewRejects(t *testing.T) {
	cfg := DefaultConfig
	cfg.Peers = 4
	ids := randomNames(1, 4)
	check := func(name string, cfg Config, ids []xorname.Name, want string) {
		t.Helper()
		n, err := New(cfg, ids)
		if err == nil || n != nil {
			t.Errorf("%s: New = %v, %v; want an error", name, n, err)
		} else if !strings.Contains(err.Error(), want) {
			t.Errorf("%s: New error %q does not mention %q", name, err, want)
		}
	}
	check("too few ids", cfg, ids[:3], "peers = 4")
	check("too many ids", cfg, append(ids, ids[0]), "peers = 4")
	check("duplicate", cfg, []xorname.Name{ids[0], ids[1], ids[2], ids[1]}, "duplicate peer id "+ids[1].String())
	bad := cfg
	bad.Segment = 0
	check("bad config", bad, ids, "segment")
}

func TestNewKeepsCallersSlice(t *testing.T) {
	cfg := DefaultConfig
	cfg.Peers = 50
	ids := randomNames(2, 50)
	orig := slices.Clone(ids)
	n, err := New(cfg, ids)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids, orig) {
		t.Error("New reordered the caller's ids")
	}
	ids[0][0] ^= 0xff // the network must not see this
	if !n.Has(orig[0]) || n.Has(ids[0]) {
		t.Error("New retained the caller's slice")
	}
	if n.Len() != 50 {
		t.Errorf("Len() = %d, want 50", n.Len())
	}
}

func TestClosestMatchesBruteForce(t *testing.T) {
	clustered := randomNames(3, 300)
	// Half the peers share a 20-byte prefix, and a few differ only in the
	// last bit, so the trie walk goes deep.
	for i := 0; i < 150; i++ {
		copy(clustered[i][:20], clustered[0][:20])
	}
	clustered[1] = clustered[0]
	clustered[1][31] ^= 1
	for _, tc := range []struct {
		name string
		ids  []xorname.Name
	}{
		{"random", randomNames(4, 200)},
		{"clustered", clustered},
		{"one peer", randomNames(5, 1)},
		{"two peers", randomNames(6, 2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig
			cfg.Peers = len(tc.ids)
			n, err := New(cfg, tc.ids)
			if err != nil {
				t.Fatal(err)
			}
			targets := randomNames(7, 100)
			targets = append(targets, tc.ids[0], tc.ids[len(tc.ids)-1]) // a target that is a peer
			if len(tc.ids) > 1 {
				near := tc.ids[1]
				near[31] ^= 1
				targets = append(targets, near)
			}
			for _, target := range targets {
				for _, k := range []int{1, 4, 7, 14, 32, len(tc.ids) - 1, len(tc.ids), len(tc.ids) + 5} {
					if k <= 0 {
						continue
					}
					got := n.Closest(target, k)
					want := bruteClosest(tc.ids, target, k)
					if !slices.Equal(got, want) {
						t.Fatalf("Closest(%s, %d):\n got %v\nwant %v", target.Short(), k, short(got), short(want))
					}
				}
			}
			// A target that is a peer's id comes back first: nobody is excluded.
			if got := n.Closest(tc.ids[0], 1); len(got) != 1 || got[0] != tc.ids[0] {
				t.Errorf("Closest(peer, 1) = %v, want the peer itself", short(got))
			}
		})
	}
}

func short(names []xorname.Name) []string {
	s := make([]string, len(names))
	for i, n := range names {
		s[i] = n.Short()
	}
	return s
}

func TestClosestEdgeCases(t *testing.T) {
	n := newNetwork(t, DefaultConfig)
	target := randomNames(9, 1)[0]
	if got := n.Closest(target, 0); got != nil {
		t.Errorf("Closest(k=0) = %v, want nil", got)
	}
	if got := n.Closest(target, -1); got != nil {
		t.Errorf("Closest(k=-1) = %v, want nil", got)
	}
	dst := []xorname.Name{{1}, {2}}
	got := n.AppendClosest(dst, target, 3)
	if len(got) != 5 || got[0] != (xorname.Name{1}) || got[1] != (xorname.Name{2}) {
		t.Fatalf("AppendClosest kept %v of dst", short(got[:2]))
	}
	if !slices.Equal(got[2:], n.Closest(target, 3)) {
		t.Errorf("AppendClosest appended %v, want Closest's answer", short(got[2:]))
	}
}

func TestClosestAllocations(t *testing.T) {
	n := newNetwork(t, DefaultConfig)
	target := randomNames(10, 1)[0]
	if a := testing.AllocsPerRun(100, func() { n.Closest(target, 7) }); a != 1 {
		t.Errorf("Closest allocates %v times, want 1 (the result)", a)
	}
	buf := make([]xorname.Name, 0, 32)
	if a := testing.AllocsPerRun(100, func() { buf = n.AppendClosest(buf[:0], target, 32) }); a != 0 {
		t.Errorf("AppendClosest into a large enough slice allocates %v times, want 0", a)
	}
}

func TestCloseGroupsDifferPerChunk(t *testing.T) {
	n := newNetwork(t, DefaultConfig) // 200 peers
	targets := randomNames(11, 100)
	groups := make(map[[7]xorname.Name]bool)
	for _, target := range targets {
		g := n.Closest(target, 7)
		slices.SortFunc(g, compareNames) // the set, not its order
		groups[[7]xorname.Name(g)] = true
	}
	// XOR geometry puts nearby chunks in the same group, so not every chunk
	// gets its own (this seed gives 66), but far more than a handful.
	if len(groups) < 50 {
		t.Errorf("100 random chunks got only %d distinct close groups of 7", len(groups))
	}
	// The load spreads: most peers serve some chunk, and none serves many.
	count := make(map[xorname.Name]int)
	for _, target := range targets {
		for _, p := range n.Closest(target, 7) {
			count[p]++
		}
	}
	t.Logf("%d distinct groups, %d peers reached", len(groups), len(count))
	if len(count) < 150 {
		t.Errorf("100 chunks reached only %d of 200 peers", len(count))
	}
	for p, c := range count {
		if c > 20 {
			t.Errorf("peer %s is in %d of 100 close groups", p.Short(), c)
		}
	}
}

func TestLatency(t *testing.T) {
	cfg := DefaultConfig
	cfg.Peers = 100
	a, b := newNetwork(t, cfg), newNetwork(t, cfg)
	cfg.Seed++
	other, err := New(cfg, randomNames(DefaultConfig.Seed, cfg.Peers)) // same ids, new seed
	if err != nil {
		t.Fatal(err)
	}
	distinct := make(map[time.Duration]bool)
	moved := 0
	for _, id := range a.ids {
		l := a.Latency(id)
		if l < cfg.Latency || l >= cfg.Latency+cfg.Jitter {
			t.Errorf("Latency(%s) = %v, want in [%v, %v)", id.Short(), l, cfg.Latency, cfg.Latency+cfg.Jitter)
		}
		if l2 := b.Latency(id); l2 != l {
			t.Errorf("Latency(%s) differs between equal networks: %v, %v", id.Short(), l, l2)
		}
		if other.Latency(id) != l {
			moved++
		}
		distinct[l] = true
	}
	if len(distinct) < 90 {
		t.Errorf("100 peers have only %d distinct latencies", len(distinct))
	}
	if moved < 90 {
		t.Errorf("changing the seed changed only %d of 100 latencies", moved)
	}

	cfg.Jitter = 0
	flat := newNetwork(t, cfg)
	for _, id := range flat.ids {
		if l := flat.Latency(id); l != cfg.Latency {
			t.Fatalf("with no jitter Latency = %v, want %v", l, cfg.Latency)
		}
	}
}

func TestDelay(t *testing.T) {
	cfg := DefaultConfig
	cfg.Latency, cfg.Jitter = 2*time.Second, time.Second
	n := newNetwork(t, cfg)
	id := n.ids[0]
	simulate(t, n, func(ctx context.Context) error {
		if err := n.Delay(ctx, id); err != nil {
			return err
		}
		if got, want := simtime.Now(ctx), n.Latency(id); got != want {
			t.Errorf("Delay took %v, want %v", got, want)
		}
		cctx, cancel := simtime.WithCancel(ctx)
		cancel()
		if err := n.Delay(cctx, id); !errors.Is(err, context.Canceled) {
			t.Errorf("Delay on a cancelled context = %v, want context.Canceled", err)
		}
		return nil
	})
}
