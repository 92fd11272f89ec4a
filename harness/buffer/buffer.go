package buffer

import (
	"fmt"
	"sync/atomic"
	"unsafe"
)

// Meter is told when tracked capacity becomes live and when it is dropped.
// Implementations must be safe for concurrent use and must not allocate on
// these calls: they run on the measured path.
type Meter interface {
	// Acquire records that n bytes of capacity at site s became live, and
	// that allocating them cost alloc bytes in all (alloc ≥ n when a Vec
	// grew through smaller capacities first).
	Acquire(s Site, n, alloc int64)
	// Release records that n bytes of capacity at site s were dropped.
	Release(s Site, n int64)
}

// Nop is a Meter that counts nothing.
type Nop struct{}

// Acquire does nothing.
func (Nop) Acquire(Site, int64, int64) {}

// Release does nothing.
func (Nop) Release(Site, int64) {}

// Buf is a tracked, reference-counted byte buffer. B holds the bytes; its
// capacity is the tracked size. A Buf starts with one holder; Retain adds
// one and Release drops one. The last Release returns the capacity to the
// Meter and nils B, so a use after release fails loudly.
type Buf struct {
	B     []byte
	site  Site
	meter Meter
	cap   int64 // the capacity acquired, returned on the last Release
	base  *byte // the backing array, to catch an append that moved it
	refs  atomic.Int32
}

// New returns a buffer of length n and capacity c (c ≥ n) at site s, counted
// by m (nil means Nop). alloc is what growing it cost in all, as computed by
// the caller's growth model; pass 0 to mean c.
func New(m Meter, s Site, n, c int, alloc int64) *Buf {
	if c < n {
		panic(fmt.Sprintf("buffer: capacity %d below length %d", c, n))
	}
	if m == nil {
		m = Nop{}
	}
	if alloc < int64(c) {
		alloc = int64(c)
	}
	b := &Buf{B: allocAt(s, n, c), site: s, meter: m, cap: int64(c)}
	b.base = unsafe.SliceData(b.B[:cap(b.B)])
	b.refs.Store(1)
	m.Acquire(s, int64(c), alloc)
	return b
}

// Copy returns a new buffer at site s holding a copy of src, with capacity
// equal to its length, as Rust's to_vec and Vec::clone give.
func Copy(m Meter, s Site, src []byte) *Buf {
	b := New(m, s, len(src), len(src), 0)
	copy(b.B, src)
	return b
}

// Site returns where the buffer was allocated.
func (b *Buf) Site() Site { return b.site }

// Retain adds a holder and returns b, like bytes::Bytes::clone.
func (b *Buf) Retain() *Buf {
	if b.refs.Add(1) <= 1 {
		panic("buffer: Retain after release")
	}
	return b
}

// Release drops one holder. The last one returns the capacity to the meter.
// Release on a nil *Buf does nothing.
func (b *Buf) Release() {
	if b == nil {
		return
	}
	switch r := b.refs.Add(-1); {
	case r == 0:
		if b.B != nil && unsafe.SliceData(b.B[:cap(b.B)]) != b.base {
			panic(fmt.Sprintf("buffer: %v buffer grew past its tracked capacity %d", b.site, b.cap))
		}
		b.B = nil
		b.meter.Release(b.site, b.cap)
	case r < 0:
		panic("buffer: Release after release")
	}
}
