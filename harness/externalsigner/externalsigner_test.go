package externalsigner

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/limiter"
	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/selfenc"
	"github.com/fanbench/fanbench/harness/source"
	"github.com/fanbench/fanbench/harness/testnet"
	"github.com/fanbench/fanbench/harness/upload/strategy"
	"github.com/fanbench/fanbench/harness/uploader"
	"github.com/fanbench/fanbench/harness/xorname"
)

// payLedger is the testnet's ledger, noting the chunk bytes the client
// holds (site SpillRead) when it is paid, which is while the wallet signs.
type payLedger struct {
	uploader.Ledger
	c    *buffer.Counter
	held []int64
}

func (l *payLedger) PayQuotes(ts []payment.Transfer) []payment.TxHash {
	l.held = append(l.held, l.c.Live(buffer.SpillRead))
	return l.Ledger.PayQuotes(ts)
}

func (l *payLedger) PayMerkleEach(ctx context.Context, addrs []xorname.Name, ask payment.CandidateFunc, keep func(i int, proof []byte)) error {
	l.held = append(l.held, l.c.Live(buffer.SpillRead))
	return l.Ledger.PayMerkleEach(ctx, addrs, ask, keep)
}

// TestBodies uploads 5 + 3 chunks at a store cap of 2 with each version on
// each payment path and checks where the chunk bodies are: before 0.3.3
// every one is held while the wallet pays and at the peak; since 0.3.3 a
// merkle upload holds none while the wallet pays and at most the cap's
// worth at once, while the wave-batch variant still holds them all. Every
// upload stores every chunk, which downloads back, and leaves nothing
// live.
func TestBodies(t *testing.T) {
	src := source.Spec{Seed: 11, Size: 4*selfenc.MaxChunkSize + 1, Compressibility: 0.9}
	cache := t.TempDir() // one spill cache: the source is encrypted once for all
	for _, tc := range []struct {
		version Version
		pay     payment.Mode
		all     bool // every body held while the wallet pays, and at once
	}{
		{HoldsBodies, payment.Merkle, true},
		{HoldsBodies, payment.Single, true},
		{SpillBodies, payment.Merkle, false},
		{SpillBodies, payment.Single, true},
	} {
		name := map[Version]string{HoldsBodies: NameHoldsBodies, SpillBodies: NameSpillBodies}[tc.version]
		t.Run(name+"/"+tc.pay.String(), func(t *testing.T) {
			cfg := DefaultConfig(tc.version)
			cfg.Strategy, cfg.Payment, cfg.SpillBase, cfg.CacheRoot = strategy.SharedBuffer, tc.pay, t.TempDir(), cache
			cfg.Store = func() limiter.Policy { return limiter.Fixed(2) }
			cfg.QuoteTimeout, cfg.QuoteOverallTimeout = time.Hour, time.Hour
			u, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			enc, err := u.Encrypt(ctx, src)
			if err != nil {
				t.Fatal(err)
			}
			defer enc.Close()
			ncfg := testnet.DefaultConfig()
			ncfg.Net.Peers, ncfg.Retain, ncfg.FixedTime = 40, true, testnet.Epoch
			net, err := testnet.New(ncfg)
			if err != nil {
				t.Fatal(err)
			}
			defer net.Close()
			var c buffer.Counter
			ledger := &payLedger{Ledger: uploader.PaymentLedger(net.Ledger()), c: &c}
			res, err := u.Upload(ctx, enc, uploader.Env{Net: net, Clock: net.Clock(), Ledger: ledger, Heap: buffer.GoHeap(&c)})
			if err != nil {
				t.Fatal(err)
			}
			if res.Mode != tc.pay || res.Stored != 8 || res.Chunks != 8 {
				t.Fatalf("%v stored %d of %d, want %v and 8", res.Mode, res.Stored, res.Chunks, tc.pay)
			}
			if res.SimElapsed < SignWait {
				t.Errorf("the upload took %v of virtual time, less than the wallet's %v", res.SimElapsed, SignWait)
			}
			sizes, _ := enc.ChunkSizes()
			largest := int64(0)
			for _, s := range sizes {
				largest = max(largest, int64(s))
			}
			total := enc.Bytes()
			if len(ledger.held) != 1 {
				t.Fatalf("%d payments, want 1", len(ledger.held))
			}
			paid, peak := ledger.held[0], c.Peak(buffer.SpillRead)
			switch {
			case tc.all && (paid != total || peak != total):
				t.Errorf("%d chunk bytes held at the payment, %d at the peak; want all %d both times", paid, peak, total)
			case !tc.all && (paid != 0 || peak > 2*largest || peak == 0):
				t.Errorf("%d chunk bytes held at the payment, %d at the peak; want none, and at most two chunks' %d", paid, peak, 2*largest)
			}
			if n := c.TotalLive(); n != 0 {
				t.Errorf("%d tracked bytes live after the upload", n)
			}
			var got bytes.Buffer
			if err := selfenc.Decrypt(ctx, enc.DataMap, net.Get, &got); err != nil {
				t.Fatal(err)
			}
			want, _ := io.ReadAll(src.Reader())
			if !bytes.Equal(got.Bytes(), want) {
				t.Fatal("the download differs from the source")
			}
		})
	}
}

// TestRegistered checks that both versions are in the registry under
// their names and build uploaders of their version.
func TestRegistered(t *testing.T) {
	for name, v := range map[string]Version{NameHoldsBodies: HoldsBodies, NameSpillBodies: SpillBodies} {
		d, err := uploader.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		u, err := d.New(uploader.DefaultSettings())
		if err != nil {
			t.Fatal(err)
		}
		if got := u.(*Uploader).cfg.Version; got != v || u.(*Uploader).cfg.SignWait != SignWait {
			t.Errorf("%s builds version %d, sign wait %v", name, got, u.(*Uploader).cfg.SignWait)
		}
	}
	bad := DefaultConfig(Version(7))
	if _, err := New(bad); err == nil {
		t.Error("an unknown version was accepted")
	}
}
