package uploader

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/selfenc"
	"github.com/fanbench/fanbench/harness/source"
	"github.com/fanbench/fanbench/harness/spill"
	"github.com/fanbench/fanbench/harness/xorname"
)

// Encrypted is the outcome of the encryption phase: the spill holding every
// chunk and the root data map. Only addresses are held in RAM.
type Encrypted struct {
	Source  source.Spec
	DataMap selfenc.DataMap
	// Cached says the spill came from the cache, so no encryption ran.
	Cached bool
	// Warnings are one-line notes the user must see, from the spill
	// cache: an entry found damaged and rebuilt, a spill too large to
	// keep. The runner copies them into the run's record.
	Warnings []string
	// Elapsed is the real time the phase took.
	Elapsed time.Duration

	dir *spill.Dir
}

// Chunks returns every chunk address in spill order: data chunks in the
// order self-encryption emitted them, then the data-map chunks.
func (e *Encrypted) Chunks() []xorname.Name { return e.dir.Addresses() }

// ChunkSizes returns the size of every chunk, in bytes, in Chunks order.
func (e *Encrypted) ChunkSizes() ([]int, error) {
	addrs := e.Chunks()
	sizes := make([]int, len(addrs))
	for i, a := range addrs {
		n, err := e.dir.Size(a)
		if err != nil {
			return nil, err
		}
		sizes[i] = int(n)
	}
	return sizes, nil
}

// ReadChunks reads the chunks addrs back from the spill, each into a
// buffer of h at site SpillRead, in order; on an error it releases what it
// read and returns none. Disk work takes no virtual time.
func (e *Encrypted) ReadChunks(addrs []xorname.Name, h *buffer.Heap) ([]*buffer.Buf, error) {
	bufs := make([]*buffer.Buf, len(addrs))
	for i, a := range addrs {
		b, err := e.dir.Read(a, h)
		if err != nil {
			for _, b := range bufs[:i] {
				b.Release()
			}
			return nil, err
		}
		bufs[i] = b
	}
	return bufs, nil
}

// Bytes returns the total size of the spilled chunks.
func (e *Encrypted) Bytes() int64 { return e.dir.Bytes() }

// Spill returns the spill directory.
func (e *Encrypted) Spill() *spill.Dir { return e.dir }

// Close removes the spill unless it is a cache entry.
func (e *Encrypted) Close() error { return e.dir.Close() }

// cacheVersion changes whenever the spilled bytes for a source would.
const cacheVersion = "selfenc-0.35-model/1"

// SpillBound returns an upper bound of the spill of a size-byte source, in
// bytes: incompressible chunks grow by a few bytes of framing and a
// 16-byte tag, and the data-map chunks add less than 1 MiB.
func SpillBound(size int64) int64 { return size + size/64 + 1<<20 }

// EncryptOptions set up an encryption phase.
type EncryptOptions struct {
	// Workers is the parallelism; 0 means GOMAXPROCS.
	Workers int
	// SpillBase is where private spill directories go; empty means
	// spill.DefaultBase(). CacheRoot, when not empty, enables the spill
	// cache there.
	SpillBase, CacheRoot string
}

// Encrypt runs ant-client's encryption phase (encrypt_file_to_spill): src
// is self-encrypted and every chunk is written to a spill. With a cache
// root set, a finished spill of the same source is reused instead, once
// its content is checked against its chunk addresses (spill.Cache.Get);
// the cache's size cap comes from spill.MaxEnv, or is spill.DefaultMax.
// Crash leftovers under the spill or cache directory are reaped either
// way.
func Encrypt(ctx context.Context, src source.Spec, opts EncryptOptions) (*Encrypted, error) {
	if err := src.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	need := SpillBound(src.Size)
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	fill := func(d *spill.Dir) (selfenc.DataMap, error) {
		return selfenc.Encrypt(ctx, src.Reader(), src.Size, selfenc.Options{Workers: workers}, func(c selfenc.Chunk) error {
			return d.Put(c.Address, c.Content)
		})
	}
	if opts.CacheRoot == "" {
		base := opts.SpillBase
		if base == "" {
			base = spill.DefaultBase()
		}
		d, err := spill.Create(base, need)
		if err != nil {
			return nil, err
		}
		dm, err := fill(d)
		if err != nil {
			d.Close()
			return nil, fmt.Errorf("encrypt: %w", err)
		}
		return &Encrypted{Source: src, DataMap: dm, Elapsed: time.Since(start), dir: d}, nil
	}

	max, err := spill.MaxFromEnv()
	if err != nil {
		return nil, err
	}
	c := spill.Cache{Root: opts.CacheRoot, Max: max}
	key := cacheVersion + "/" + src.Key()
	d, m, out, err := c.Get(key, need, func(d *spill.Dir) ([]byte, error) {
		dm, err := fill(d)
		if err != nil {
			return nil, fmt.Errorf("encrypt: %w", err)
		}
		return dm.MarshalBinary()
	})
	if err != nil {
		return nil, err
	}
	var dm selfenc.DataMap
	if err := dm.UnmarshalBinary(m.Meta); err != nil {
		d.Close()
		return nil, fmt.Errorf("spill cache %s: data map: %w", d.Path(), err)
	}
	return &Encrypted{Source: src, DataMap: dm, Cached: out.Cached, Warnings: out.Warnings, Elapsed: time.Since(start), dir: d}, nil
}
