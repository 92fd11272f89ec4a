package upload

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/selfenc"
	"github.com/fanbench/fanbench/harness/simtime"
	"github.com/fanbench/fanbench/harness/source"
	"github.com/fanbench/fanbench/harness/spill"
	"github.com/fanbench/fanbench/harness/transport"
	"github.com/fanbench/fanbench/harness/xorname"
)

// Interface is an uploader as the runner drives it: the encryption phase,
// then the upload phase. Another Go uploader can implement it to be
// measured the same way, on two conditions: it allocates its payload-sized
// buffers through package buffer (or its figures read zero), and it runs
// its upload phase on the network's virtual clock, its concurrency as
// simtime tasks (see package simtime's rules).
type Interface interface {
	Encrypt(ctx context.Context, src source.Spec) (*Encrypted, error)
	Upload(ctx context.Context, enc *Encrypted, net Network) (Result, error)
}

// Network is what the uploader needs from the network: closeness lookups,
// quotes, merkle candidates, a ledger to pay on, a clock for timeouts and a
// link to send PUTs over.
type Network interface {
	transport.Link
	// Closest returns the k peers nearest to target, nearest first.
	Closest(target xorname.Name, k int) []xorname.Name
	// Quote asks peer for a signed quote to store addr (size bytes) and
	// whether it already stores it.
	Quote(ctx context.Context, peer, addr xorname.Name, size int) (q payment.PeerQuote, alreadyStored bool, err error)
	// Candidates gathers merkle candidate quotes near a pool target, signed
	// over the batch timestamp (a payment.CandidateFunc).
	Candidates(ctx context.Context, poolTarget xorname.Name, timestamp uint64, n int) ([]payment.Candidate, error)
	Ledger() *payment.Ledger
	Clock() *simtime.Clock
}

// Errors the upload phase ends with.
var (
	// ErrInsufficientPeers is a close-group store that reached fewer than
	// CloseGroupMajority successes (Error::InsufficientPeers).
	ErrInsufficientPeers = errors.New("insufficient peers")
	// ErrPartialUpload is an upload that ended with chunks not stored
	// (Error::PartialUpload).
	ErrPartialUpload = errors.New("partial upload")
)

// Uploader is the model of ant-client's file uploader. It is safe to use
// for one upload at a time.
type Uploader struct {
	cfg Config
}

var _ Interface = (*Uploader)(nil)

// New returns an uploader with the given settings.
func New(cfg Config) (*Uploader, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Uploader{cfg: cfg}, nil
}

// Config returns the uploader's settings.
func (u *Uploader) Config() Config { return u.cfg }

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

// Encrypt runs the encryption phase: src is self-encrypted and every chunk
// is written to a spill. With a cache root set, a finished spill of the same
// source is reused instead, once its content is checked against its chunk
// addresses (spill.Cache.Get); the cache's size cap comes from
// spill.MaxEnv, or is spill.DefaultMax. Crash leftovers under the spill or
// cache directory are reaped either way.
func (u *Uploader) Encrypt(ctx context.Context, src source.Spec) (*Encrypted, error) {
	if err := src.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	need := SpillBound(src.Size)
	fill := func(d *spill.Dir) (selfenc.DataMap, error) {
		opts := selfenc.Options{Workers: u.cfg.workers(), Meter: u.cfg.heap().Meter()}
		return selfenc.Encrypt(ctx, src.Reader(), src.Size, opts, func(c selfenc.Chunk) error {
			return d.Put(c.Address, c.Content)
		})
	}
	if u.cfg.CacheRoot == "" {
		base := u.cfg.SpillBase
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
	c := spill.Cache{Root: u.cfg.CacheRoot, Max: max}
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
