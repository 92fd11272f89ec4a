package alloc

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// PageSize is the page size of the modelled process, in bytes: residency is
// counted in pages of this size (x86-64 and arm64 Linux with 4 KiB pages).
const PageSize = 4096

// DefaultReserve is the address space an Allocator reserves when
// Options.Reserve is 0: 64 GiB. It is address space only (MAP_NORESERVE):
// nothing is resident until written.
const DefaultReserve = 64 << 30

// Options configures an Allocator. The zero value is DefaultOptions.
type Options struct {
	// Reserve is the address space, in bytes, that the glibc and mimalloc
	// policies map for the client's buffers: the most the modelled client
	// can hold at once, not memory used. Rounded up to a multiple of 2 MiB.
	// 0 means DefaultReserve. The go policy ignores it.
	Reserve int64
}

// DefaultOptions are the options New uses for a zero Options.
var DefaultOptions = Options{Reserve: DefaultReserve}

// ErrExhausted is returned (wrapped) when a policy needs more of the reserved
// address space than is left: the modelled client has run out of memory.
var ErrExhausted = errors.New("reserved address space exhausted")

// Policies returns the names New accepts, in a fixed order; the first is
// the default (the allocator of ant-client on Linux).
func Policies() []string { return []string{"glibc", "mimalloc", "go"} }

// Block is one allocation: a byte slice of the requested length (and equal
// capacity) plus the identity the Allocator needs to resize or free it. It is
// a small value; copies of it name the same allocation. A Block is valid from
// the Alloc or Realloc that returned it until it is passed to Free or
// Realloc; its bytes are invalid after that and after Close.
type Block struct {
	buf []byte
	id  uint32 // index+1 in the allocator's table; 0 for the zero Block
	gen uint32
}

// Bytes returns the block's memory: len and cap are the requested size. For
// the glibc and mimalloc policies it lies outside the Go heap.
func (b Block) Bytes() []byte { return b.buf }

// Len returns the requested size of the block, in bytes.
func (b Block) Len() int { return len(b.buf) }

// IsZero reports whether b is the zero Block (no allocation).
func (b Block) IsZero() bool { return b.id == 0 }

// Stats is a snapshot of an Allocator's counters. Byte figures are exact
// page counts × PageSize unless said otherwise.
type Stats struct {
	Policy string

	// Live is the sum of the requested sizes of the live blocks, in bytes
	// (the tracked view, as heaptrack would report it); LiveBlocks their number.
	Live       int64
	LiveBlocks int

	// Resident is the modelled client's resident memory for its buffers:
	// pages written and not given back to the OS. PeakResident is its
	// highest value since New.
	Resident     int64
	PeakResident int64
	// ResidentLive is the part of Resident in pages that hold part of a live
	// block (its header included); ResidentRetained = Resident −
	// ResidentLive is memory freed by the program but kept by the allocator
	// (free chunks, untrimmed top, unpurged slices): fragmentation and cache.
	ResidentLive     int64
	ResidentRetained int64
	// Returned is the total given back to the OS since New (munmap, brk
	// trim, purge), in bytes.
	Returned int64

	// Allocs, Reallocs and Frees count the calls that succeeded.
	Allocs, Reallocs, Frees int64

	// glibc only: the dynamic thresholds now, bytes of live mmapped chunks
	// (mappings, page-rounded), the size of the main arena (brk heap), and
	// the number of mremap moves and of brk trims so far.
	MmapThreshold, TrimThreshold int64
	Mmapped, Heap                int64
	Remaps, Trims                int64
	// mimalloc only: the number of purges that returned memory.
	Purges int64
}

// Allocator hands out blocks whose placement, reuse and return to the OS
// follow one allocator policy, and counts the modelled client's resident
// memory exactly. It is safe for concurrent use; one mutex serialises every
// call. Close releases its address space.
type Allocator struct {
	mu   sync.Mutex
	name string
	pol  policy  // glibc, mimalloc: placement in mem
	mem  *region // nil for the go policy
	gh   goHeap  // the go policy's counters

	tab  []entry
	idle []uint32 // free table slots (indices)

	live, peak           int64
	liveBlocks           int
	allocs, reallocs, fr int64
	closed               bool
}

// entry is the allocator's record of a live block.
type entry struct {
	gen     uint32
	live    bool
	n       int    // requested size
	touched int    // bytes of the prefix the caller has touched
	s       span   // placement (region policies)
	buf     []byte // go policy: keeps the slice for Realloc's copy
}

// span is where a policy placed a block: user is the offset of its first
// byte; [lo, hi) is the extent it holds (chunk header to end) for the
// live/retained split.
type span struct{ user, lo, hi int64 }

// policy is a placement policy over a region. Each call runs under the
// Allocator's mutex.
type policy interface {
	// alloc places a block of n bytes.
	alloc(n int) (span, error)
	// realloc resizes the block at s to n bytes, preserving its contents
	// as the real allocator does; copied is the number of bytes copied
	// into a new place (the new block's prefix [0, copied) is resident),
	// 0 when the block grew in place or its pages were moved.
	realloc(s span, n int) (nw span, copied int64, err error)
	// free releases the block at s.
	free(s span)
	// tick advances the policy's clock to now.
	tick(now time.Duration)
	// fill adds the policy's own figures to st.
	fill(st *Stats)
}

// New returns an Allocator with the named policy (one of Policies). An
// unknown name, a bad option or a failure to map the address space is
// returned as an error; nothing is left mapped.
func New(name string, opts Options) (*Allocator, error) {
	if opts.Reserve == 0 {
		opts.Reserve = DefaultReserve
	}
	if opts.Reserve < 0 {
		return nil, fmt.Errorf("alloc: Options.Reserve %d is negative", opts.Reserve)
	}
	const grain = 2 << 20
	reserve := (opts.Reserve + grain - 1) / grain * grain
	a := &Allocator{name: name}
	switch name {
	case "go":
		return a, nil
	case "glibc", "mimalloc":
		if reserve < 4*grain {
			return nil, fmt.Errorf("alloc: Options.Reserve %d is below the minimum %d", opts.Reserve, 4*grain)
		}
		r, err := mapRegion(reserve)
		if err != nil {
			return nil, fmt.Errorf("alloc: policy %q: %w", name, err)
		}
		a.mem = r
		if name == "glibc" {
			a.pol = newGlibc(r)
		} else {
			a.pol = newMimalloc(r)
		}
		return a, nil
	}
	return nil, fmt.Errorf("alloc: unknown allocator policy %q (known: %s)", name, strings.Join(Policies(), ", "))
}

// Policy returns the allocator's policy name.
func (a *Allocator) Policy() string { return a.name }

// Alloc returns a new block of n bytes (n ≥ 0). Its bytes are not resident
// until Touch says they were written; their contents are unspecified (zero
// for fresh memory, old data for reused memory, as with malloc). It fails
// when the reserved address space is exhausted (ErrExhausted) or after Close.
func (a *Allocator) Alloc(n int) (Block, error) {
	if n < 0 {
		panic(fmt.Sprintf("alloc: Alloc(%d): negative size", n))
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return Block{}, errClosed
	}
	var e entry
	e.n = n
	if a.mem == nil {
		e.buf = a.gh.alloc(n)
	} else {
		s, err := a.pol.alloc(n)
		if err != nil {
			return Block{}, fmt.Errorf("alloc: %s: Alloc(%d): %w", a.name, n, err)
		}
		a.mem.live(s.lo, s.hi, +1)
		e.s = s
	}
	a.allocs++
	a.live += int64(n)
	a.liveBlocks++
	b := a.put(e)
	a.notePeak()
	return b, nil
}

// Realloc resizes b to n bytes like realloc(3) (and Rust's Vec growth):
// the first min(len, n) bytes are preserved, and the policy decides whether
// the block grows in place, moves its pages (mremap) or is copied. On
// success b is invalid and the returned Block replaces it; on error b is
// unchanged and still live.
func (a *Allocator) Realloc(b Block, n int) (Block, error) {
	if n < 0 {
		panic(fmt.Sprintf("alloc: Realloc to %d: negative size", n))
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return Block{}, errClosed
	}
	e := a.get(b, "Realloc")
	old := *e
	if a.mem == nil {
		e.buf, e.touched = a.gh.realloc(e.buf, e.touched, n)
	} else {
		a.mem.live(old.s.lo, old.s.hi, -1)
		s, copied, err := a.pol.realloc(old.s, n)
		if err != nil {
			a.mem.live(old.s.lo, old.s.hi, +1)
			return Block{}, fmt.Errorf("alloc: %s: Realloc(%d → %d): %w", a.name, old.n, n, err)
		}
		a.mem.live(s.lo, s.hi, +1)
		e.s = s
		e.touched = max(min(e.touched, n), int(min(copied, int64(n))))
	}
	e.n = n
	a.live += int64(n - old.n)
	a.reallocs++
	// The old handle dies: a new generation names the resized block.
	e.gen++
	nb := Block{id: b.id, gen: e.gen}
	if a.mem == nil {
		nb.buf = e.buf
	} else {
		nb.buf = a.mem.slice(e.s.user, n)
	}
	a.notePeak()
	return nb, nil
}

// Touch records that the first n bytes of b have been (or are about to be)
// written; their pages become resident. Bytes already touched are not
// counted twice. The caller writes no further than it has touched, or the
// process's real RSS and the model part ways. n > b.Len() panics.
func (a *Allocator) Touch(b Block, n int) {
	if n > len(b.buf) || n < 0 {
		panic(fmt.Sprintf("alloc: Touch(%d) of a %d-byte block", n, len(b.buf)))
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return
	}
	e := a.get(b, "Touch")
	if n <= e.touched {
		return
	}
	if a.mem == nil {
		a.gh.touch(e.touched, n)
	} else {
		a.mem.touch(e.s.user+int64(e.touched), int64(n-e.touched))
	}
	e.touched = n
	a.notePeak()
}

// Free releases b. Freeing the zero Block does nothing; freeing a block
// twice panics.
func (a *Allocator) Free(b Block) {
	if b.id == 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return
	}
	e := a.get(b, "Free")
	if a.mem == nil {
		a.gh.free(e.touched)
	} else {
		a.mem.live(e.s.lo, e.s.hi, -1)
		a.pol.free(e.s)
	}
	a.live -= int64(e.n)
	a.liveBlocks--
	a.fr++
	e.live = false
	e.gen++
	e.buf = nil
	a.idle = append(a.idle, b.id-1)
}

// Tick tells the allocator that the simulated clock reads now. Only
// mimalloc uses time (its delayed purge); a clock going backwards is ignored.
func (a *Allocator) Tick(now time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed || a.pol == nil {
		return
	}
	a.pol.tick(now)
}

// Resident returns the modelled client's resident memory for its buffers
// now, in bytes.
func (a *Allocator) Resident() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.resident()
}

// PeakResident returns the highest Resident since New, in bytes.
func (a *Allocator) PeakResident() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.peak
}

// Stats returns a snapshot of the allocator's counters.
func (a *Allocator) Stats() Stats {
	a.mu.Lock()
	defer a.mu.Unlock()
	st := Stats{
		Policy: a.name, Live: a.live, LiveBlocks: a.liveBlocks,
		Resident: a.resident(), PeakResident: a.peak,
		Allocs: a.allocs, Reallocs: a.reallocs, Frees: a.fr,
	}
	if a.mem == nil {
		st.ResidentLive = st.Resident
	} else if !a.closed {
		st.ResidentLive = a.mem.nlive * PageSize
		st.Returned = a.mem.returned * PageSize
		a.pol.fill(&st)
	}
	st.ResidentRetained = st.Resident - st.ResidentLive
	return st
}

// Close unmaps the allocator's address space. Every Block's bytes become
// invalid (using them faults); later calls fail or do nothing. Close is
// idempotent.
func (a *Allocator) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil
	}
	a.closed = true
	if a.mem != nil {
		if err := a.mem.unmap(); err != nil {
			return fmt.Errorf("alloc: %s: unmapping: %w", a.name, err)
		}
	}
	return nil
}

var errClosed = errors.New("alloc: allocator is closed")

func (a *Allocator) resident() int64 {
	if a.mem == nil {
		return a.gh.resident
	}
	if a.closed {
		return 0
	}
	return a.mem.nres * PageSize
}

func (a *Allocator) notePeak() {
	if r := a.resident(); r > a.peak {
		a.peak = r
	}
}

// put stores e in a free table slot and returns its Block.
func (a *Allocator) put(e entry) Block {
	var i uint32
	if k := len(a.idle); k > 0 {
		i = a.idle[k-1]
		a.idle = a.idle[:k-1]
		e.gen = a.tab[i].gen
	} else {
		i = uint32(len(a.tab))
		a.tab = append(a.tab, entry{})
	}
	e.live = true
	a.tab[i] = e
	b := Block{id: i + 1, gen: e.gen}
	if a.mem == nil {
		b.buf = e.buf
	} else {
		b.buf = a.mem.slice(e.s.user, e.n)
	}
	return b
}

// get returns the live entry of b or panics: using a freed or resized Block
// is a programmer error, like a double free.
func (a *Allocator) get(b Block, op string) *entry {
	if b.id == 0 || int(b.id) > len(a.tab) {
		panic(fmt.Sprintf("alloc: %s of a Block this allocator did not return", op))
	}
	e := &a.tab[b.id-1]
	if !e.live || e.gen != b.gen {
		panic(fmt.Sprintf("alloc: %s of a Block that was freed or resized", op))
	}
	return e
}

// goHeap is the go policy: plain Go slices. Resident counts the touched
// pages of live slices only; Go's own heap (garbage not yet collected,
// fragmentation, metadata) is not in it.
type goHeap struct{ resident int64 }

func pagesOf(n int) int64 { return (int64(n) + PageSize - 1) / PageSize * PageSize }

func (g *goHeap) alloc(n int) []byte { return make([]byte, n) }

func (g *goHeap) touch(from, to int) { g.resident += pagesOf(to) - pagesOf(from) }

func (g *goHeap) free(touched int) { g.resident -= pagesOf(touched) }

// realloc grows or shrinks like append and a slice expression: a new slice,
// the old contents copied (the new prefix is written, so resident), the old
// slice dropped.
func (g *goHeap) realloc(old []byte, touched, n int) ([]byte, int) {
	nb := make([]byte, n)
	c := copy(nb, old)
	g.free(touched)
	g.touch(0, c)
	return nb, c
}
