package buffer

import (
	"fmt"
	"sync/atomic"
	"unsafe"

	"github.com/fanbench/fanbench/harness/alloc"
)

// Meter is told when a tracked buffer becomes live and when it is dropped.
// Implementations must be safe for concurrent use; they run on the
// measured path and should allocate as little as they can.
type Meter interface {
	// Acquire records that b (b.Site(), b.Cap() bytes of capacity) became
	// live, and that allocating it cost alloc bytes in all (alloc ≥ b.Cap()
	// when a Vec grew through smaller capacities first).
	Acquire(b *Buf, alloc int64)
	// Release records that b was dropped.
	Release(b *Buf)
}

// Nop is a Meter that counts nothing.
type Nop struct{}

// Acquire does nothing.
func (Nop) Acquire(*Buf, int64) {}

// Release does nothing.
func (Nop) Release(*Buf) {}

// Buf is a tracked, reference-counted byte buffer. B holds the bytes; its
// capacity is the tracked size. A Buf starts with one holder; Retain adds
// one and Release drops one. The last Release frees the memory to the
// Heap's allocator and tells the Meter, and nils B, so a use after release
// fails loudly.
type Buf struct {
	B    []byte
	site Site
	heap *Heap
	blk  alloc.Block
	id   uint64
	cap  int64 // the capacity acquired, returned on the last Release
	// touched is how many of the first bytes have been written, as the
	// allocator was told.
	touched int
	base    *byte // the backing array, to catch an append that moved it
	refs    atomic.Int32
}

// goHeap is the Heap a nil *Heap stands for: Go slices, counted by nobody.
var goHeap = GoHeap(nil)

func orGo(h *Heap) *Heap {
	if h == nil {
		return goHeap
	}
	return h
}

// New returns an empty buffer (len 0) of capacity c at site s in h (nil:
// Go slices, counted by nobody, as for every constructor here), like
// Vec::with_capacity(c), of which the caller writes the first written
// bytes at once (appending them to B, or reading into B[:written]): they
// are what becomes resident.
func New(h *Heap, s Site, c, written int) *Buf {
	h = orGo(h)
	if written > c || written < 0 {
		panic(fmt.Sprintf("buffer: %d bytes written to a capacity of %d", written, c))
	}
	b := h.alloc(s, c)
	h.touch(b, written)
	h.acquire(b, int64(c))
	return b
}

// Copy returns a new buffer at site s in h holding a copy of src, with
// capacity equal to its length, as Rust's to_vec and Vec::clone give.
func Copy(h *Heap, s Site, src []byte) *Buf {
	h = orGo(h)
	b := h.alloc(s, len(src))
	h.touch(b, len(src))
	b.B = append(b.B, src...)
	h.acquire(b, int64(len(src)))
	return b
}

// NewVec returns an empty buffer (len 0) at site s in h that has grown as
// the Rust Vec g describes: allocated at g.Steps[0].Cap, then reallocated
// to each later step's capacity with the bytes it held by then, as Vec's
// growth calls realloc. The caller then appends g.Len bytes. The capacity
// tracked is the last; the earlier ones count as allocated bytes.
func NewVec(h *Heap, s Site, g Growth) *Buf {
	h = orGo(h)
	if len(g.Steps) == 0 || h.mem == nil { // Go slices: the last capacity at once
		b := h.alloc(s, g.Cap())
		h.touch(b, g.Len)
		h.acquire(b, g.Alloc())
		return b
	}
	b := h.alloc(s, g.Steps[0].Cap)
	for _, st := range g.Steps[1:] {
		h.touch(b, st.Len)
		h.realloc(b, st.Cap)
	}
	h.touch(b, g.Len)
	h.acquire(b, g.Alloc())
	return b
}

// Site returns where the buffer was allocated.
func (b *Buf) Site() Site { return b.site }

// Cap returns the tracked capacity, in bytes.
func (b *Buf) Cap() int64 { return b.cap }

// ID returns the buffer's identity, unique among the buffers of its Heap's
// process.
func (b *Buf) ID() uint64 { return b.id }

// Retain adds a holder and returns b, like bytes::Bytes::clone.
func (b *Buf) Retain() *Buf {
	if b.refs.Add(1) <= 1 {
		panic("buffer: Retain after release")
	}
	return b
}

// Release drops one holder. The last one frees the memory and tells the
// meter. Release on a nil *Buf does nothing.
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
		b.heap.free(b)
	case r < 0:
		panic("buffer: Release after release")
	}
}
