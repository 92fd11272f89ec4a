package model_test

import (
	"context"
	"flag"
	"runtime"
	"testing"

	"github.com/fanbench/fanbench/harness/alloc"
	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/runner"
	"github.com/fanbench/fanbench/harness/selfenc"
	"github.com/fanbench/fanbench/harness/source"
	"github.com/fanbench/fanbench/harness/testnet"
	"github.com/fanbench/fanbench/harness/upload"
	"github.com/fanbench/fanbench/harness/upload/strategy"
	"github.com/fanbench/fanbench/harness/uploader"
)

var (
	size      = flag.Int64("size", 64<<20, "source size in bytes for the model benchmarks")
	limit     = flag.String("limiter", "warm:64", "store policy for UploadPhase: aimd, warm:N, fixed:N or budget")
	workers   = flag.Int("workers", 0, "encryption workers (0: GOMAXPROCS)")
	allocator = flag.String("allocator", "glibc", "allocator of the client's buffers for UploadPhase: glibc, mimalloc or go")
)

// spec is the seeded source of every model benchmark, -size bytes long.
func spec() source.Spec { return source.Spec{Seed: 1, Size: *size} }

// nworkers is the encryption workers: -workers, or GOMAXPROCS.
func nworkers() int {
	if *workers > 0 {
		return *workers
	}
	return runtime.GOMAXPROCS(0)
}

// BenchmarkEncryptPhase times the encryption phase from the seeded source
// into a fresh private spill on disk (no cache), in MB/s of source bytes.
func BenchmarkEncryptPhase(b *testing.B) {
	cfg := upload.DefaultConfig()
	cfg.SpillBase = b.TempDir()
	cfg.Workers = nworkers()
	u, err := upload.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(*size)
	for b.Loop() {
		enc, err := u.Encrypt(context.Background(), spec())
		if err != nil {
			b.Fatal(err)
		}
		if err := enc.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawTransform times the brotli + ChaCha20-Poly1305 + BLAKE3 work
// alone over the source held in memory, with the same workers: the
// baseline EncryptPhase is judged against.
func BenchmarkRawTransform(b *testing.B) {
	s := spec()
	data := make([]byte, s.Size)
	if _, err := s.ReadAt(data, 0); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(s.Size)
	for b.Loop() {
		if err := selfenc.Transform(data, nworkers()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUploadPhase times the upload phase of each buffer strategy from a
// warm spill cache against a fresh in-process testnet (built outside the
// timer), and reports the simulated time as sim-sec/op.
func BenchmarkUploadPhase(b *testing.B) {
	policy, err := runner.ParseLimiter(*limit)
	if err != nil {
		b.Fatal(err)
	}
	cache := b.TempDir()
	for _, s := range strategy.All() {
		b.Run("mode="+s.String(), func(b *testing.B) {
			cfg := upload.DefaultConfig()
			cfg.Strategy, cfg.Store, cfg.CacheRoot = s, policy, cache
			u, err := upload.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			enc, err := u.Encrypt(context.Background(), spec()) // warms the cache once
			if err != nil {
				b.Fatal(err)
			}
			defer enc.Close()
			b.SetBytes(*size)
			for b.Loop() {
				b.StopTimer()
				net, err := testnet.New(testnet.DefaultConfig())
				if err != nil {
					b.Fatal(err)
				}
				mem, err := alloc.New(*allocator, alloc.Options{})
				if err != nil {
					b.Fatal(err)
				}
				heap := buffer.NewHeap(mem, nil, net.Clock().Now)
				env := uploader.Env{Net: net, Clock: net.Clock(), Ledger: uploader.PaymentLedger(net.Ledger()), Heap: heap}
				b.StartTimer()
				cpu0 := cpuTime()
				res, err := u.Upload(context.Background(), enc, env)
				if err != nil {
					b.Fatal(err)
				}
				cpu := cpuTime() - cpu0
				b.StopTimer()
				st := mem.Stats()
				fl, err := floor(floorWork{faulted: st.Resident + st.Returned, written: heap.Written(), hashed: net.Hashed()})
				if err != nil {
					b.Fatal(err)
				}
				mem.Close()
				b.StartTimer()
				b.ReportMetric(res.SimElapsed.Seconds(), "sim-sec/op")
				b.ReportMetric(cpu.Seconds(), "cpu-sec/op")
				b.ReportMetric(fl.Seconds(), "floor-sec/op")
				b.ReportMetric(float64(cpu)/float64(fl), "cpu/floor")
			}
		})
	}
}
