package buffer

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/fanbench/fanbench/harness/alloc"
	"github.com/fanbench/fanbench/harness/trace"
)

// Heap is the memory tracked buffers live in: an allocator that places
// their bytes (package alloc: glibc, mimalloc or plain Go slices), a Meter
// told of every buffer, and optionally a memory limit. Build one with
// NewHeap or GoHeap. A Heap is safe for concurrent use.
type Heap struct {
	mem   *alloc.Allocator // nil: Go slices, no resident figures
	meter Meter
	now   func() time.Duration // the simulated clock, for mimalloc's purge delay

	written atomic.Int64 // bytes written into buffers, in all

	limit, base int64 // see SetLimit
	killed      atomic.Bool
	kill        func(resident int64)

	traceMu sync.Mutex
	trace   *trace.Writer // nil: no trace; see Trace
	task    func() uint64
}

// ids numbers every Buf of the process, so buffers of different Heaps
// (the client's, the peers') never share an identity.
var ids atomic.Uint64

// NewHeap returns a Heap whose buffers are placed by a and counted by m
// (nil: Nop). a nil gives Go slices, as GoHeap does. now, when not nil,
// reads the simulated clock for allocator policies that use time.
func NewHeap(a *alloc.Allocator, m Meter, now func() time.Duration) *Heap {
	if m == nil {
		m = Nop{}
	}
	return &Heap{mem: a, meter: m, now: now}
}

// GoHeap returns a Heap of plain Go slices counted by m (nil: Nop): memory
// that is not the modelled client's, or tests that need no allocator.
func GoHeap(m Meter) *Heap { return NewHeap(nil, m, nil) }

// Meter returns the Heap's meter.
func (h *Heap) Meter() Meter { return h.meter }

// Allocator returns the Heap's allocator, or nil for Go slices.
func (h *Heap) Allocator() *alloc.Allocator { return h.mem }

// SetLimit makes the Heap a machine of limit bytes: once the client's
// resident memory (its allocator's Resident plus base, the resident bytes
// the client holds besides its tracked buffers) reaches limit, the Heap
// calls kill with that figure, once, and then panics with a Killed value,
// from the allocating goroutine, as the kernel's OOM killer ends the
// process at the allocation that runs out. A limit of 0 means none. The
// Heap must have an allocator.
func (h *Heap) SetLimit(limit, base int64, kill func(resident int64)) {
	if limit > 0 && h.mem == nil {
		panic("buffer: a memory limit needs an allocator")
	}
	h.limit, h.base, h.kill = limit, base, kill
}

// Trace makes the Heap write every client buffer's allocation, growth,
// touches and free to w, in order, each with the simulated time (now, as
// given to NewHeap, which must not be nil) and the task that allocated it
// (task, e.g. simtime.Clock.Task). w's header must list every Site's name,
// in Site order (TraceSites). The peers' buffers (PeerStore) are not the
// client's and are left out. The caller flushes and closes w; its first
// error is w's.
func (h *Heap) Trace(w *trace.Writer, task func() uint64) {
	h.traceMu.Lock()
	h.trace, h.task = w, task
	h.traceMu.Unlock()
}

// TraceSites returns the site table of a trace the Heap writes: every
// Site's name, in Site order.
func TraceSites() []string {
	names := make([]string, NumSites)
	for s := range NumSites {
		names[s] = s.String()
	}
	return names
}

func (h *Heap) record(b *Buf, k trace.Kind, touched int) {
	if h.trace == nil || !b.site.Client() {
		return
	}
	h.traceMu.Lock()
	defer h.traceMu.Unlock()
	e := trace.Event{Kind: k, T: int64(h.now()), ID: b.id, Touched: int64(touched)}
	switch k {
	case trace.Alloc:
		e.Task, e.Site, e.Cap = h.task(), int(b.site), b.cap
	case trace.Grow:
		e.Cap = b.cap
	}
	h.trace.Write(e) // its first error sticks, for the caller to see
}

// Killed is the panic value of an allocation that took the client's
// resident memory to the Heap's limit.
type Killed struct {
	Resident, Limit int64 // bytes
}

func (k Killed) String() string {
	return fmt.Sprintf("killed: the client's resident memory reached %d bytes, at a limit of %d", k.Resident, k.Limit)
}

// Error returns the same text as String, so a Killed reads as an error
// wherever it ends up.
func (k Killed) Error() string { return k.String() }

func (h *Heap) alloc(s Site, c int) *Buf {
	b := &Buf{site: s, heap: h, id: ids.Add(1), cap: int64(c)}
	b.refs.Store(1)
	if h.mem == nil {
		b.B = make([]byte, 0, c)
	} else {
		h.tick()
		blk, err := h.mem.Alloc(c)
		if err != nil {
			panic(AllocError{Site: s, Size: c, Err: err})
		}
		b.blk = blk
		b.B = blk.Bytes()[:0:c]
		h.record(b, trace.Alloc, 0)
		h.check()
	}
	b.base = unsafe.SliceData(b.B[:cap(b.B)])
	return b
}

// realloc grows b to capacity c, as Vec's growth calls realloc; b holds no
// holders' data yet.
// Only a Heap with an Allocator grows a Vec step by step (NewVec).
func (h *Heap) realloc(b *Buf, c int) {
	h.tick()
	blk, err := h.mem.Realloc(b.blk, c)
	if err != nil {
		panic(AllocError{Site: b.site, Size: c, Err: err})
	}
	b.blk = blk
	b.B = blk.Bytes()[:0:c]
	b.cap = int64(c)
	h.record(b, trace.Grow, b.touched)
	h.check()
	b.base = unsafe.SliceData(b.B[:cap(b.B)])
}

func (h *Heap) touch(b *Buf, n int) {
	if n <= b.touched {
		return
	}
	h.written.Add(int64(n - b.touched))
	if h.mem == nil {
		b.touched = n
		return
	}
	h.mem.Touch(b.blk, n)
	b.touched = n
	h.record(b, trace.Touch, n)
	h.check()
}

func (h *Heap) acquire(b *Buf, allocated int64) { h.meter.Acquire(b, allocated) }

func (h *Heap) free(b *Buf) {
	h.meter.Release(b)
	if h.mem != nil {
		h.tick()
		h.mem.Free(b.blk)
		h.record(b, trace.Free, 0)
	}
}

func (h *Heap) tick() {
	if h.now != nil {
		h.mem.Tick(h.now())
	}
}

// check applies the limit.
func (h *Heap) check() {
	if h.limit <= 0 || h.killed.Load() {
		return
	}
	r := h.mem.Resident() + h.base
	if r < h.limit || !h.killed.CompareAndSwap(false, true) {
		return
	}
	if h.kill != nil {
		h.kill(r)
	}
	panic(Killed{Resident: r, Limit: h.limit})
}

// Written returns the bytes the buffers' holders have written into them
// since the Heap was made, in all: the bytes the strategy copies and
// encodes, growth copies aside.
func (h *Heap) Written() int64 { return h.written.Load() }

// Resident returns the client's resident memory now, in bytes: its
// allocator's Resident plus the declared base. It is 0 for Go slices.
func (h *Heap) Resident() int64 {
	if h.mem == nil {
		return 0
	}
	return h.mem.Resident() + h.base
}

// AllocError is the panic value of an allocation the allocator refused
// (its reserved address space exhausted, or closed): the harness cannot
// model the client any further.
type AllocError struct {
	Site Site
	Size int
	Err  error
}

func (e AllocError) Error() string {
	return fmt.Sprintf("buffer: allocating %d bytes at site %v: %v", e.Size, e.Site, e.Err)
}

func (e AllocError) Unwrap() error { return e.Err }

// Growth is how a Rust Vec<u8> reached its capacity: its first
// allocation, then each reallocation, in order, and the bytes it holds at
// the end.
type Growth struct {
	Len   int
	Steps []Step
}

// Step is one allocation of a growing Vec: to capacity Cap, when it held
// Len bytes (copied, or moved, by the reallocation).
type Step struct{ Cap, Len int }

// Cap returns the final capacity, in bytes (0 for a Vec never allocated).
func (g Growth) Cap() int {
	if len(g.Steps) == 0 {
		return 0
	}
	return g.Steps[len(g.Steps)-1].Cap
}

// Alloc returns the bytes allocated in all on the way, in bytes: the sum
// of the capacities.
func (g Growth) Alloc() int64 {
	var n int64
	for _, s := range g.Steps {
		n += int64(s.Cap)
	}
	return n
}
