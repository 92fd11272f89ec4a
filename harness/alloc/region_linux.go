//go:build linux

package alloc

import (
	"fmt"
	"math/bits"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mmapFunc maps length bytes of private anonymous memory. Tests replace it to
// inject a failure; New uses it for the region and its page tables.
var mmapFunc = func(length uintptr) (unsafe.Pointer, error) {
	return unix.MmapPtr(-1, 0, nil, length, unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
}

// region is the reserved address space of an allocator together with the
// exact page accounting of the modelled client: which 4 KiB pages are
// resident (written and not yet given back), and how many live blocks each
// page holds a part of. Offsets are bytes from the region's base. The owner
// serialises every call.
type region struct {
	mem  []byte // the whole mapping, len = size
	size int64

	res   []uint64 // bit per page: resident
	refs  []uint16 // per page: live blocks overlapping it
	nres  int64    // resident pages
	nlive int64    // resident pages with refs > 0

	returned int64 // pages given back to the OS since New (madvise, munmap, brk)

	noRemap    bool // move pages by copying instead of mremap (tests)
	noPopulate bool // the kernel lacks MADV_POPULATE_WRITE: fault page by page
	tables     [2]struct {
		p unsafe.Pointer
		n uintptr
	}
}

// mapRegion reserves size bytes (a multiple of PageSize) of address space
// and the page tables that account for it. A failure is returned as an error
// naming the size; nothing stays mapped.
func mapRegion(size int64) (*region, error) {
	if size <= 0 || size%PageSize != 0 {
		return nil, fmt.Errorf("alloc: reserve %d bytes: not a positive multiple of %d", size, PageSize)
	}
	pages := size / PageSize
	r := &region{size: size}
	p, err := mmapFunc(uintptr(size))
	if err != nil {
		return nil, fmt.Errorf("alloc: mapping %d bytes of address space (Options.Reserve): %w", size, err)
	}
	r.mem = unsafe.Slice((*byte)(p), size)
	// Page-granular residency needs 4 KiB pages: transparent huge pages
	// would make one touch resident 2 MiB. The advice only fails on kernels
	// without THP, where it is not needed.
	_ = unix.Madvise(r.mem, unix.MADV_NOHUGEPAGE)

	resBytes := uintptr((pages+63)/64) * 8
	refBytes := uintptr(pages) * 2
	for i, n := range []uintptr{resBytes, refBytes} {
		n = (n + PageSize - 1) &^ (PageSize - 1)
		t, err := mmapFunc(n)
		if err != nil {
			r.unmap()
			return nil, fmt.Errorf("alloc: mapping %d bytes of page tables for a %d-byte reserve: %w", n, size, err)
		}
		r.tables[i].p, r.tables[i].n = t, n
	}
	r.res = unsafe.Slice((*uint64)(r.tables[0].p), (pages+63)/64)
	r.refs = unsafe.Slice((*uint16)(r.tables[1].p), pages)
	return r, nil
}

// unmap releases the region and its tables. Slices into it become invalid.
func (r *region) unmap() error {
	var first error
	if r.mem != nil {
		first = unix.MunmapPtr(unsafe.Pointer(unsafe.SliceData(r.mem)), uintptr(r.size))
		r.mem = nil
	}
	for i := range r.tables {
		if r.tables[i].p != nil {
			if err := unix.MunmapPtr(r.tables[i].p, r.tables[i].n); err != nil && first == nil {
				first = err
			}
			r.tables[i].p = nil
		}
	}
	r.res, r.refs = nil, nil
	return first
}

// base returns the address of the region's first byte.
func (r *region) base() uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(r.mem))) }

// slice returns n bytes at off as a slice with capacity n.
func (r *region) slice(off int64, n int) []byte { return r.mem[off : off+int64(n) : off+int64(n)] }

func (r *region) isRes(p int64) bool { return r.res[p>>6]&(1<<(p&63)) != 0 }

// touch records a write of n bytes at off: every page the range meets becomes
// resident. A page new to the model is also written for real (an atomic add
// of zero, which changes no byte), so the process's own RSS follows the model
// even when the caller has not written the page yet.
func (r *region) touch(off, n int64) {
	if n <= 0 {
		return
	}
	end := off + n
	run := int64(-1) // first page of the run of newly resident pages, or -1
	for p := off / PageSize; p <= (end-1)/PageSize; p++ {
		w, b := p>>6, uint64(1)<<(p&63)
		if r.res[w]&b != 0 {
			r.fault(run, p, off)
			run = -1
			// Skip whole words of resident pages quickly.
			if b == 1 && r.res[w] == ^uint64(0) && (p+64)*PageSize <= end {
				p += 63
			}
			continue
		}
		r.res[w] |= b
		r.nres++
		if r.refs[p] > 0 {
			r.nlive++
		}
		if run < 0 {
			run = p
		}
	}
	r.fault(run, (end-1)/PageSize+1, off)
}

// populateMin is the shortest run of pages fault faults in with one
// madvise(MADV_POPULATE_WRITE) (Linux 5.14) rather than a write to each:
// the kernel then allocates and zeroes the pages in one call, without a
// trap per page, about a quarter less time per page on the development
// machine.
const populateMin = 16

// fault makes the pages [from, to) resident for real, as the program's
// first write to each would; from < 0 means none. off is where the
// caller's range starts: the first page is written at or after it, below
// which another block's bytes may lie.
func (r *region) fault(from, to, off int64) {
	if from < 0 || to <= from {
		return
	}
	if to-from >= populateMin && !r.noPopulate {
		lo, hi := from*PageSize, to*PageSize
		err := unix.Madvise(r.mem[lo:hi], unix.MADV_POPULATE_WRITE)
		if err == nil {
			return
		}
		r.noPopulate = true // an older kernel: write each page instead
	}
	for p := from; p < to; p++ {
		a := max(p*PageSize, off) &^ 7
		atomic.AddUint64((*uint64)(unsafe.Pointer(&r.mem[a])), 0)
	}
}

// release gives the whole pages of [off, off+n) back to the OS
// (madvise MADV_DONTNEED: the next touch reads zeros), as munmap, a
// shrinking brk or a purge would. off and n are page-aligned.
func (r *region) release(off, n int64) {
	if n <= 0 {
		return
	}
	if off%PageSize != 0 || n%PageSize != 0 {
		panic(fmt.Sprintf("alloc: release of unaligned range [%d,+%d)", off, n))
	}
	var freed int64
	for p := off / PageSize; p < (off+n)/PageSize; p++ {
		w, b := p>>6, uint64(1)<<(p&63)
		if r.res[w] == 0 && b == 1 && p+64 <= (off+n)/PageSize {
			p += 63
			continue
		}
		if r.res[w]&b == 0 {
			continue
		}
		r.res[w] &^= b
		freed++
		if r.refs[p] > 0 {
			r.nlive--
		}
	}
	if freed == 0 {
		return
	}
	r.nres -= freed
	r.returned += freed
	if err := unix.Madvise(r.mem[off:off+n], unix.MADV_DONTNEED); err != nil {
		// The range is ours and aligned: a failure means the mapping is
		// gone, which is a bug in this package.
		panic(fmt.Sprintf("alloc: madvise(DONTNEED) [%d,+%d): %v", off, n, err))
	}
}

// copy copies n bytes from src to dst inside the region, as memcpy in the
// client's allocator would: the destination pages become resident.
func (r *region) copy(dst, src, n int64) {
	if n <= 0 {
		return
	}
	r.touch(dst, n)
	copy(r.mem[dst:dst+n], r.mem[src:src+n])
}

// move moves the n bytes (page-aligned) at src to dst, as mremap moves a
// mapping: resident pages go with their contents, nothing is copied in the
// model, and src is left non-resident. The ranges must not overlap.
func (r *region) move(dst, src, n int64) {
	if dst%PageSize != 0 || src%PageSize != 0 || n%PageSize != 0 {
		panic(fmt.Sprintf("alloc: move of unaligned range %d→%d +%d", src, dst, n))
	}
	if n == 0 {
		return
	}
	// The destination is free address space; drop anything left there so
	// that the pages at dst after the move are exactly those of src.
	r.release(dst, n)
	moved := false
	if !r.noRemap {
		moved = r.remap(dst, src, n) == nil
	}
	if !moved {
		// Copy the resident pages only, then drop the source. The model's
		// counts do not change; the real RSS follows as with mremap.
		for p := int64(0); p < n/PageSize; p++ {
			if r.isRes(src/PageSize + p) {
				o := p * PageSize
				copy(r.mem[dst+o:dst+o+PageSize], r.mem[src+o:src+o+PageSize])
			}
		}
		_ = unix.Madvise(r.mem[src:src+n], unix.MADV_DONTNEED)
	}
	// Move the residency bits: clear at src, set at dst.
	for p := int64(0); p < n/PageSize; p++ {
		sp, dp := src/PageSize+p, dst/PageSize+p
		if !r.isRes(sp) {
			continue
		}
		r.res[sp>>6] &^= 1 << (sp & 63)
		if r.refs[sp] > 0 {
			r.nlive--
		}
		r.res[dp>>6] |= 1 << (dp & 63)
		if r.refs[dp] > 0 {
			r.nlive++
		}
	}
}

// remap moves pages with mremap(MREMAP_MAYMOVE|MREMAP_FIXED) and maps fresh
// anonymous memory over the hole it leaves at src.
func (r *region) remap(dst, src, n int64) error {
	b := unsafe.Pointer(unsafe.SliceData(r.mem))
	_, err := unix.MremapPtr(unsafe.Add(b, src), uintptr(n), unsafe.Add(b, dst), uintptr(n),
		unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED)
	if err != nil {
		return err
	}
	_, err = unix.MmapPtr(-1, 0, unsafe.Add(b, src), uintptr(n), unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE|unix.MAP_FIXED)
	if err != nil {
		// The region now has a hole: every later use of it would fault.
		panic(fmt.Sprintf("alloc: re-mapping [%d,+%d) after mremap: %v", src, n, err))
	}
	_ = unix.Madvise(r.mem[src:src+n], unix.MADV_NOHUGEPAGE)
	return nil
}

// live adds d (±1) to the live-block count of every page that [lo, hi)
// meets, keeping the count of resident pages that hold live data exact.
func (r *region) live(lo, hi int64, d int) {
	if hi <= lo {
		return
	}
	for p := lo / PageSize; p <= (hi-1)/PageSize; p++ {
		old := r.refs[p]
		nw := uint16(int(old) + d)
		r.refs[p] = nw
		if r.isRes(p) {
			switch {
			case old == 0 && nw > 0:
				r.nlive++
			case old > 0 && nw == 0:
				r.nlive--
			}
		}
	}
}

// residentIn counts the resident pages of [off, off+n).
func (r *region) residentIn(off, n int64) int64 {
	var c int64
	for p := off / PageSize; p < (off+n+PageSize-1)/PageSize; p++ {
		if r.isRes(p) {
			c++
		}
	}
	return c
}

// countResident recounts every resident page from the bitmap (for checks).
func (r *region) countResident() int64 {
	var c int
	for _, w := range r.res {
		c += bits.OnesCount64(w)
	}
	return int64(c)
}
