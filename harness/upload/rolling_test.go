package upload_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/limiter"
	"github.com/fanbench/fanbench/harness/source"
	"github.com/fanbench/fanbench/harness/testnet"
	"github.com/fanbench/fanbench/harness/upload"
	"github.com/fanbench/fanbench/harness/upload/strategy"
)

// TestOverlappedQuotes checks the newest client's overlap of quoting and
// storing (futures::join! in ant-client upload.rs) against the time worked
// out by hand: 3 chunks in waves of one, on peers all 20 ms away. Quoting
// a wave is one round of requests to its closest peers at once, one round
// trip: 40 ms. With the overlap, wave 2's and 3's quoting run during wave
// 1's and 2's stores, which take longer (4 MiB frames on 100 Mbit/s), so
// the upload takes 2 × 40 ms less virtual time than quoting after each
// wave's stores; the stores themselves are the same.
func TestOverlappedQuotes(t *testing.T) {
	newest, err := client.Lookup("newest")
	if err != nil {
		t.Fatal(err)
	}
	sim := func(overlap bool) time.Duration {
		cfg := testnet.DefaultConfig()
		cfg.Net.Peers, cfg.Net.Latency, cfg.Net.Jitter = 40, 20*time.Millisecond, 0
		cfg.FixedTime = testnet.Epoch
		net, err := testnet.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer net.Close()
		u := newUploader(t, strategy.SharedBuffer, true, nil, func(c *upload.Config) {
			c.Client = newest
			c.Client.Waves.OverlapQuotes = overlap
			c.Store = func() limiter.Policy { return limiter.Fixed(4) }
			upload.SetWaveSize(c, 1)
		})
		_, res, err := encryptAndUpload(t, u, net, source.Spec{Seed: 4, Size: 3 << 20})
		if err != nil || res.Stored != 3 || res.Waves != 3 {
			t.Fatalf("overlap %v: %v, stored %d in %d waves", overlap, err, res.Stored, res.Waves)
		}
		return res.SimElapsed
	}
	after, during := sim(false), sim(true)
	if want := 2 * 40 * time.Millisecond; after-during != want {
		t.Errorf("quoting after the stores took %v, during them %v: %v apart, want %v", after, during, after-during, want)
	}
}

// slotCap is a store policy whose cap an upload's first observation
// raises: it starts at from and reads to after one sample.
type slotCap struct {
	from, to int
	seen     bool
}

func (p *slotCap) Cap() int {
	if p.seen {
		return p.to
	}
	return p.from
}
func (p *slotCap) Limit(items int) int      { return max(1, min(p.Cap(), items)) }
func (p *slotCap) Observe(s limiter.Sample) { p.seen = true }
func (p *slotCap) String() string           { return fmt.Sprintf("slotcap(%d→%d)", p.from, p.to) }

// TestCapReadPerSlot checks that the newest client reads its cap every
// time a slot frees (rolling_unordered), against the schedule worked out
// by hand: 7 records (a 13 MiB file: 4 data chunks and 3 of the data
// map), a cap of 2 that becomes 4 once the first store has ended. Stores 1
// and 2 start at once; when the first ends the cap reads 4, so stores 3, 4
// and 5 start then, after 1 store ended; stores 6 and 7 each wait for the
// next end. A client that reads the cap once per wave would have kept it
// at 2 for the whole wave.
func TestCapReadPerSlot(t *testing.T) {
	newest, err := client.Lookup("newest")
	if err != nil {
		t.Fatal(err)
	}
	u := newUploader(t, strategy.Streamed, true, nil, func(c *upload.Config) {
		c.Client = newest
		c.Client.Store.ByteBudget = 0 // the cap alone
		c.Store = func() limiter.Policy { return &slotCap{from: 2, to: 4} }
	})
	_, res, err := encryptAndUpload(t, u, newNet(t, testnet.Faults{}), source.Spec{Seed: 6, Size: 13 << 20})
	if err != nil || res.Stored != 7 {
		t.Fatalf("%v, stored %d of %d", err, res.Stored, res.Chunks)
	}
	want := []int{0, 0, 1, 1, 1, 2, 3}
	if len(res.LaunchAfter) != len(want) {
		t.Fatalf("launches after %v ends, want %v", res.LaunchAfter, want)
	}
	for i := range want {
		if res.LaunchAfter[i] != want[i] {
			t.Fatalf("launches after %v ends, want %v", res.LaunchAfter, want)
		}
	}
	if len(res.Caps) != 2 || res.Caps[0] != 2 || res.Caps[1] != 4 {
		t.Errorf("caps read %v, want [2 4]", res.Caps)
	}
}
