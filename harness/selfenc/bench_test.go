package selfenc

import (
	"bytes"
	"context"
	"runtime"
	"sync"
	"testing"

	"github.com/fanbench/fanbench/harness/source"
)

// benchData is 64 MiB of incompressible bytes: the worst case for brotli and
// the PRNG data the upstream e2e tests use. It is generated once and held in
// memory so that both benchmarks measure the transform, not the source.
var benchData = sync.OnceValue(func() []byte {
	spec := source.Spec{Seed: 1, Size: 64 << 20}
	b := make([]byte, spec.Size)
	if _, err := spec.ReadAt(b, 0); err != nil {
		panic(err) // a valid spec never fails
	}
	return b
})

// BenchmarkEncrypt measures Encrypt end to end, with GOMAXPROCS workers and
// an emit that drops the chunks. Compare with BenchmarkRaw: the pipeline's
// goal is at least 80 % of its MB/s.
func BenchmarkEncrypt(b *testing.B) {
	data := benchData()
	opts := Options{Workers: runtime.GOMAXPROCS(0)}
	drop := func(Chunk) error { return nil }
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Encrypt(context.Background(), bytes.NewReader(data), int64(len(data)), opts, drop); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRaw measures the per-chunk work of Encrypt with no pipeline
// (Transform).
func BenchmarkRaw(b *testing.B) {
	data := benchData()
	w := runtime.GOMAXPROCS(0)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := Transform(data, w); err != nil {
			b.Fatal(err)
		}
	}
}
