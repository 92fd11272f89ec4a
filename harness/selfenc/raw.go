package selfenc

import (
	"sync"
	"sync/atomic"

	"github.com/fanbench/fanbench/harness/xorname"
)

// Transform runs the per-chunk work of Encrypt over data with no pipeline,
// as the baseline Encrypt's throughput is judged against: the same chunks,
// each hashed, keyed, compressed (brotli q6), sealed (ChaCha20-Poly1305),
// padded and hashed again by workers goroutines taking chunks from a shared
// counter and reusing their output buffers, with no reading, ordering,
// deferral, accounting, data-map shrink or output. The key material uses
// the chunk's own source hash for its neighbours, which costs the same.
func Transform(data []byte, workers int) error {
	size := int64(len(data))
	n := ChunkCount(size)
	workers = max(workers, 1)
	var (
		next  atomic.Int64
		wg    sync.WaitGroup
		first error
		once  sync.Once
	)
	for range workers {
		wg.Go(func() {
			s := newSealer()
			out := make([]byte, 0, maxEncryptedLen(MaxChunkSize))
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				start, end := ChunkBounds(size, i)
				plain := data[start:end]
				src := xorname.FromContent(plain)
				sec := deriveSecrets(0, []xorname.Name{src, src, src}, 0)
				var err error
				if out, err = s.seal(out, plain, &sec); err != nil {
					once.Do(func() { first = err })
					return
				}
				_ = xorname.FromContent(out)
			}
		})
	}
	wg.Wait()
	return first
}
