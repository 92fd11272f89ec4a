package upload_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/fanout"
	"github.com/fanbench/fanbench/harness/limiter"
	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/selfenc"
	"github.com/fanbench/fanbench/harness/simtime"
	"github.com/fanbench/fanbench/harness/source"
	"github.com/fanbench/fanbench/harness/testnet"
	"github.com/fanbench/fanbench/harness/transport"
	"github.com/fanbench/fanbench/harness/upload"
	"github.com/fanbench/fanbench/harness/upload/strategy"
	"github.com/fanbench/fanbench/harness/uploader"
	"github.com/fanbench/fanbench/harness/xorname"
	"github.com/zeebo/blake3"
)

// TestMain gives the tests one spill cache, so that a source is encrypted
// once for all the tests that upload it.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fanbench-upload-test-cache-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testCache = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testCache is the spill cache newUploader's uploaders share.
var testCache string

// newNet returns a fast, deterministic testnet whose peers keep content.
func newNet(t testing.TB, f testnet.Faults) *testnet.Testnet {
	t.Helper()
	cfg := testnet.DefaultConfig()
	cfg.Net.Peers = 40
	cfg.Retain = true
	cfg.FixedTime = testnet.Epoch
	cfg.Faults = f
	n, err := testnet.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	return n
}

// tester is an uploader under test, with the meter and the progress
// callback its uploads report to.
type tester struct {
	*upload.Uploader
	meter    buffer.Meter
	progress func(stored, total int)
}

// testNet is a testnet, or a wrapper of one.
type testNet interface {
	uploader.Network
	Clock() *simtime.Clock
	Ledger() *payment.Ledger
}

// upload runs the upload phase of enc on net.
func (u *tester) upload(ctx context.Context, enc *uploader.Encrypted, net testNet) (uploader.Result, error) {
	return u.Upload(ctx, enc, uploader.Env{
		Net: net, Clock: net.Clock(), Ledger: uploader.PaymentLedger(net.Ledger()),
		Heap: buffer.GoHeap(u.meter), Progress: u.progress,
	})
}

// newUploader returns an uploader with a fixed store cap of 8 and quote
// timeouts long enough for -race, whose uploads count their buffers with
// m; opts adjust its settings further.
func newUploader(t testing.TB, s strategy.Strategy, transportCopies bool, m buffer.Meter, opts ...func(*upload.Config)) *tester {
	t.Helper()
	cfg := upload.DefaultConfig()
	cfg.Strategy, cfg.Transport = s, transportCopies
	cfg.SpillBase, cfg.CacheRoot = t.TempDir(), testCache
	cfg.Store = func() limiter.Policy { return limiter.Fixed(8) }
	cfg.QuoteTimeout, cfg.QuoteOverallTimeout = time.Hour, time.Hour
	for _, o := range opts {
		o(&cfg)
	}
	u, err := upload.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &tester{Uploader: u, meter: m}
}

// encryptAndUpload runs both phases of u for src on net; the spill is
// removed when the test ends.
func encryptAndUpload(t testing.TB, u *tester, net testNet, src source.Spec) (*uploader.Encrypted, uploader.Result, error) {
	t.Helper()
	enc, err := u.Encrypt(context.Background(), src)
	if err != nil {
		t.Fatalf("encrypt %v: %v", src, err)
	}
	t.Cleanup(func() { enc.Close() })
	res, err := u.upload(context.Background(), enc, net)
	return enc, res, err
}

// TestRoundTrip uploads sources around every chunking boundary and
// downloads them back from the peers.
func TestRoundTrip(t *testing.T) {
	max := int64(selfenc.MaxChunkSize)
	sizes := []int64{3, 4, 1000, 3*max - 1, 3 * max, 3*max + 1, 4*max + 1}
	if testing.Short() {
		sizes = sizes[:3]
	}
	for i, size := range sizes {
		src := source.Spec{Seed: uint64(i + 1), Size: size, Compressibility: 0.9}
		s := strategy.All()[i%4]
		var c buffer.Counter
		u := newUploader(t, s, true, &c)
		net := newNet(t, testnet.Faults{})
		ctx := context.Background()
		enc, err := u.Encrypt(ctx, src)
		if err != nil {
			t.Fatalf("size %d: encrypt: %v", size, err)
		}
		res, err := u.upload(ctx, enc, net)
		if err != nil {
			t.Fatalf("size %d %v: upload: %v", size, s, err)
		}
		if res.Stored != res.Chunks || res.Chunks != len(enc.Chunks()) {
			t.Fatalf("size %d: stored %d of %d", size, res.Stored, res.Chunks)
		}
		for _, a := range enc.Chunks() {
			if h := net.Holders(a); h != fanout.CloseGroupMajority {
				t.Fatalf("size %d: chunk %s on %d peers, want %d", size, a.Short(), h, fanout.CloseGroupMajority)
			}
		}
		var got bytes.Buffer
		if err := selfenc.Decrypt(ctx, enc.DataMap, net.Get, &got); err != nil {
			t.Fatalf("size %d: download: %v", size, err)
		}
		want, _ := io.ReadAll(src.Reader())
		if !bytes.Equal(got.Bytes(), want) {
			t.Fatalf("size %d: downloaded %d bytes differ from the source", size, got.Len())
		}
		if c.TotalLive() != 0 {
			t.Fatalf("size %d: %d tracked bytes live after the upload", size, c.TotalLive())
		}
		enc.Close()
	}
}

// recorder wraps a testnet and keeps a digest of every frame sent.
type recorder struct {
	*testnet.Testnet
	mu      sync.Mutex
	digests []string
}

func (r *recorder) Transmit(ctx context.Context, peer xorname.Name, enveloped bool, parts [][]byte) (transport.Reply, error) {
	h := blake3.New()
	h.Write(peer[:])
	for _, p := range parts {
		h.Write(p)
	}
	r.mu.Lock()
	r.digests = append(r.digests, string(h.Sum(nil)))
	r.mu.Unlock()
	return r.Testnet.Transmit(ctx, peer, enveloped, parts)
}

// TestStrategiesSendSameBytes checks that the strategies differ only in
// memory: every one puts the same frames on the wire, to the same peers.
func TestStrategiesSendSameBytes(t *testing.T) {
	src := source.Spec{Seed: 7, Size: 3*selfenc.MaxChunkSize + 5, Compressibility: 0.9}
	for _, copies := range []bool{true, false} {
		var first []string
		for _, s := range strategy.All() {
			u := newUploader(t, s, copies, nil)
			rec := &recorder{Testnet: newNet(t, testnet.Faults{})}
			ctx := context.Background()
			enc, err := u.Encrypt(ctx, src)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := u.upload(ctx, enc, rec); err != nil {
				t.Fatalf("%v: %v", s, err)
			}
			enc.Close()
			slices.Sort(rec.digests)
			if first == nil {
				first = rec.digests
				if len(first) != 4*len(enc.Chunks()) {
					t.Fatalf("%v: %d frames for %d chunks", s, len(first), len(enc.Chunks()))
				}
				continue
			}
			if !slices.Equal(first, rec.digests) {
				t.Errorf("transport copies %v: %v sends other bytes than %v", copies, s, strategy.All()[0])
			}
		}
	}
}

// TestFaultsRetry runs a single-path upload where peers fail and time out;
// the fan-out falls back, a retry round finishes the job, and a second run
// of the same upload does exactly the same, at the same virtual times.
func TestFaultsRetry(t *testing.T) {
	src := source.Spec{Seed: 3, Size: 3*selfenc.MaxChunkSize + 5, Compressibility: 0.9}
	faults := testnet.Faults{Fail: 0.3, Timeout: 0.1, AlreadyExists: 0.05}
	var first uploader.Result
	for i := range 2 {
		u := newUploader(t, strategy.SharedBuffer, true, nil)
		_, res, err := encryptAndUpload(t, u, newNet(t, faults), src)
		if err != nil {
			t.Fatal(err)
		}
		if res.Stored != res.Chunks {
			t.Fatalf("stored %d of %d without an error", res.Stored, res.Chunks)
		}
		if res.Fallbacks == 0 || res.PeerErrors == 0 || res.PeerTimeouts == 0 {
			t.Fatalf("fallbacks %d, peer errors %d, timeouts %d with 30%% failures and 10%% timeouts", res.Fallbacks, res.PeerErrors, res.PeerTimeouts)
		}
		if res.RetryRounds == 0 || len(res.Caps) != 1+res.RetryRounds {
			t.Fatalf("%d retry rounds, caps %v: want at least one retry, a cap per round", res.RetryRounds, res.Caps)
		}
		// A retry round starts BaseDelay after the first ends, and a
		// timed-out send holds its chunk for the 30 s response timeout.
		if res.SimElapsed < upload.DefaultConfig().Client.Timeouts.Single+upload.BaseDelay {
			t.Fatalf("the upload took %v of virtual time, less than a timeout and a retry delay", res.SimElapsed)
		}
		res.Elapsed = 0
		if i == 0 {
			first = res
		} else if fmt.Sprintf("%+v", res) != fmt.Sprintf("%+v", first) {
			t.Fatalf("the same upload ran differently:\n%+v\n%+v", first, res)
		}
	}
}

func TestBadInput(t *testing.T) {
	u := newUploader(t, strategy.CopyPerPeer, true, nil)
	if _, err := u.Encrypt(context.Background(), source.Spec{Size: 2}); err == nil {
		t.Fatal("a 2-byte source was accepted")
	}
	cfg := upload.DefaultConfig()
	cfg.SpillBase = "/proc/no-such-dir/spill"
	u2, err := upload.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = u2.Encrypt(context.Background(), source.Spec{Seed: 1, Size: 100})
	if err == nil {
		t.Fatal("an unwritable spill directory was accepted")
	}
}

// lifetimeMeter records, whenever a chunk buffer is dropped, how many chunks
// were stored by then and how many proof bytes were live.
type lifetimeMeter struct {
	buffer.Counter
	stored *atomic.Int64
	mu     sync.Mutex
	drops  []struct{ stored, proofLive int64 }
}

func (m *lifetimeMeter) Release(b *buffer.Buf) {
	if b.Site() == buffer.SpillRead {
		m.mu.Lock()
		m.drops = append(m.drops, struct{ stored, proofLive int64 }{m.stored.Load(), m.Live(buffer.Proof)})
		m.mu.Unlock()
	}
	m.Counter.Release(b)
}

// TestBufferLifetimes checks where the model drops chunk buffers and
// proofs: single waves keep every chunk until the wave ends; merkle drops
// each chunk when its store ends but keeps every proof for the whole upload.
func TestBufferLifetimes(t *testing.T) {
	src := source.Spec{Seed: 11, Size: 4*selfenc.MaxChunkSize + 1, Compressibility: 0.9} // 5 + 3 chunks
	for _, mode := range []payment.Mode{payment.Single, payment.Merkle} {
		t.Run(mode.String(), func(t *testing.T) {
			var stored atomic.Int64
			m := &lifetimeMeter{stored: &stored}
			u := newUploader(t, strategy.SharedBuffer, true, m, func(c *upload.Config) {
				c.Payment = mode
				c.Store = func() limiter.Policy { return limiter.Fixed(2) }
			})
			u.progress = func(n, _ int) { stored.Store(int64(n)) }
			net := newNet(t, testnet.Faults{})
			ctx := context.Background()
			enc, res, err := encryptAndUpload(t, u, net, src)
			if err != nil {
				t.Fatal(err)
			}
			if res.Mode != mode || res.Stored != 8 {
				t.Fatalf("mode %v stored %d, want %v and 8", res.Mode, res.Stored, mode)
			}
			var got bytes.Buffer
			if err := selfenc.Decrypt(ctx, enc.DataMap, net.Get, &got); err != nil {
				t.Fatal(err)
			}
			if int64(got.Len()) != src.Size {
				t.Fatalf("downloaded %d bytes, want %d", got.Len(), src.Size)
			}
			proofs := m.Peak(buffer.Proof)
			if len(m.drops) != 8 {
				t.Fatalf("%d chunk drops, want 8", len(m.drops))
			}
			for i, d := range m.drops {
				switch mode {
				case payment.Single:
					if d.stored != 8 {
						t.Fatalf("drop %d came with %d of 8 stored: single waves keep chunks to the wave's end", i, d.stored)
					}
				case payment.Merkle:
					if d.proofLive != proofs {
						t.Fatalf("drop %d: %d proof bytes live, want all %d for the whole upload", i, d.proofLive, proofs)
					}
				}
			}
			if mode == payment.Merkle {
				if per := proofs / 8; per < 100_000 || per > 160_000 {
					t.Fatalf("merkle proofs average %d bytes, want about 130 KB", per)
				}
				if first := m.drops[0].stored; first == 8 {
					t.Fatal("merkle kept every chunk to the end; each should go when its store ends")
				}
			}
		})
	}
}
