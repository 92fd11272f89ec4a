package alloc

import (
	"fmt"
	"time"
)

// glibc malloc's constants on x86-64 Linux, glibc 2.39 (bminor/glibc tag
// glibc-2.39, malloc/malloc.c unless said otherwise).
const (
	gSizeSz    = 8                   // SIZE_SZ = sizeof(INTERNAL_SIZE_T)
	gAlign     = 16                  // MALLOC_ALIGNMENT = 2*SIZE_SZ
	gHdr       = 2 * gSizeSz         // CHUNK_HDR_SZ: prev_size and size
	gMinSize   = 32                  // MINSIZE: offsetof(malloc_chunk, fd_nextsize), aligned
	gMinLarge  = 64 * gAlign         // MIN_LARGE_SIZE: (NSMALLBINS - SMALLBIN_CORRECTION) * SMALLBIN_WIDTH
	gNBins     = 128                 // NBINS; bin 1 is the unsorted bin
	gMmapMin   = 128 << 10           // DEFAULT_MMAP_THRESHOLD_MIN (and DEFAULT_MMAP_THRESHOLD)
	gMmapMax   = 4 * 1024 * 1024 * 8 // DEFAULT_MMAP_THRESHOLD_MAX on 64-bit: 4 MiB * sizeof(long) = 32 MiB
	gTrim      = 128 << 10           // DEFAULT_TRIM_THRESHOLD
	gTopPad    = 128 << 10           // DEFAULT_TOP_PAD: 131072 from sysdeps/generic/malloc-machine.h (malloc.c's own default of 0, and the manual's, are overridden)
	gConsolid  = 65536               // FASTBIN_CONSOLIDATION_THRESHOLD: a free this large may trim
	gNMmapsMax = 65536               // DEFAULT_MMAP_MAX
	gTcBins    = 64                  // TCACHE_MAX_BINS: chunks up to 1040 bytes
	gTcCount   = 7                   // TCACHE_FILL_COUNT
)

// request2size: the chunk size for a request of n bytes.
func gRequest2Size(n int64) int64 {
	if n+gSizeSz+gAlign-1 < gMinSize {
		return gMinSize
	}
	return (n + gSizeSz + gAlign - 1) &^ (gAlign - 1)
}

// csize2tidx (glibc 2.39).
func gTidx(size int64) int64 { return (size - gMinSize + gAlign - 1) / gAlign }

func gSmallbinIndex(size int64) int { return int(size >> 4) }

// largebin_index_64.
func gLargebinIndex(sz int64) int {
	switch {
	case sz>>6 <= 48:
		return 48 + int(sz>>6)
	case sz>>9 <= 20:
		return 91 + int(sz>>9)
	case sz>>12 <= 10:
		return 110 + int(sz>>12)
	case sz>>15 <= 4:
		return 119 + int(sz>>15)
	case sz>>18 <= 2:
		return 124 + int(sz>>18)
	}
	return 126
}

func gBinIndex(size int64) int {
	if size < gMinLarge {
		return gSmallbinIndex(size)
	}
	return gLargebinIndex(size)
}

func alignUp(n, a int64) int64   { return (n + a - 1) / a * a }
func alignDown(n, a int64) int64 { return n / a * a }

// gChunk is a chunk of the model: a heap chunk (in use, in the tcache, or
// free in a bin) or an mmapped chunk. off is the chunk's address (its
// prev_size field); the user's bytes start at off+16.
type gChunk struct {
	off, size int64
	state     uint8
	bin       int     // bin index while stateBinned
	fd, bk    *gChunk // bin or tcache links
}

const (
	stateInUse = iota
	stateTcache
	stateBinned
	stateMmapped
)

// glibc models glibc malloc's main arena and its mmapped chunks over a
// region: the brk heap grows up from the region's base, mappings are placed
// top-down in the upper half as the kernel places them. See doc.go.
type glibc struct {
	mem *region

	heapHi int64 // the brk heap may grow up to here
	brk    int64 // current program break: the heap is [0, brk)
	top    int64 // the top chunk is [top, brk)

	chunks map[int64]*gChunk // heap chunks (not top) by offset
	freeAt map[int64]*gChunk // binned chunks by end offset (for prev_inuse)
	bins   [gNBins]gChunk    // list heads; fd = first, bk = last
	tc     [gTcBins]struct {
		head *gChunk
		n    int
	}
	lastRemainder *gChunk

	maps   extents           // the mmap area
	mapped map[int64]*gChunk // mmapped chunks by offset
	nMmaps int

	mmapThreshold, trimThreshold int64
	mmappedBytes                 int64
	remaps, trims                int64

	spare []*gChunk
}

func newGlibc(mem *region) *glibc {
	half := alignDown(mem.size/2, PageSize)
	g := &glibc{
		mem:           mem,
		heapHi:        half,
		chunks:        make(map[int64]*gChunk),
		freeAt:        make(map[int64]*gChunk),
		maps:          newExtents(half, mem.size),
		mapped:        make(map[int64]*gChunk),
		mmapThreshold: gMmapMin,
		trimThreshold: gTrim,
	}
	for i := range g.bins {
		g.bins[i].fd, g.bins[i].bk = &g.bins[i], &g.bins[i]
	}
	return g
}

// w records a write of n bytes of allocator metadata at off.
func (g *glibc) w(off, n int64) { g.mem.touch(off, n) }

func (g *glibc) newChunk(off, size int64, state uint8) *gChunk {
	var c *gChunk
	if k := len(g.spare); k > 0 {
		c = g.spare[k-1]
		g.spare = g.spare[:k-1]
	} else {
		c = new(gChunk)
	}
	*c = gChunk{off: off, size: size, state: state}
	if state != stateMmapped {
		g.chunks[off] = c
	}
	return c
}

// drop forgets a heap chunk record that has been merged away.
func (g *glibc) drop(c *gChunk) {
	if g.chunks[c.off] == c {
		delete(g.chunks, c.off)
	}
	if g.lastRemainder == c {
		g.lastRemainder = nil
	}
	g.spare = append(g.spare, c)
}

func (g *glibc) chunkOfUser(user int64) *gChunk {
	off := user - gHdr
	if c := g.chunks[off]; c != nil && c.state == stateInUse {
		return c
	}
	if c := g.mapped[off]; c != nil {
		return c
	}
	panic(fmt.Sprintf("alloc: glibc: no chunk in use at %d", user))
}

func (g *glibc) spanOf(c *gChunk) span {
	return span{user: c.off + gHdr, lo: c.off, hi: c.off + c.size}
}

// ---- lists ----

func (g *glibc) linkAfter(pos, c *gChunk) {
	c.bk, c.fd = pos, pos.fd
	pos.fd.bk = c
	pos.fd = c
}

func (g *glibc) unlink(c *gChunk) {
	c.bk.fd = c.fd
	c.fd.bk = c.bk
	c.fd, c.bk = nil, nil
	if c.state == stateBinned {
		delete(g.freeAt, c.off+c.size)
	}
}

// toUnsorted puts a free chunk at the head of the unsorted bin, as
// _int_free_create_chunk and the splits in _int_malloc do, writing its
// header, links and footer.
func (g *glibc) toUnsorted(c *gChunk) {
	c.state, c.bin = stateBinned, 1
	g.freeAt[c.off+c.size] = c
	g.linkAfter(&g.bins[1], c)
	links := int64(16)
	if c.size >= gMinLarge {
		links = 32 // fd_nextsize, bk_nextsize set to NULL
	}
	g.w(c.off+gHdr, links)
	g.w(c.off+gSizeSz, gSizeSz) // set_head
	g.w(c.off+c.size, gSizeSz)  // set_foot: the next chunk's prev_size
}

// binInsert moves a chunk taken off the unsorted list into its bin
// (_int_malloc: "place chunk in bin"): small bins at the head; large bins
// sorted by size, largest first, a chunk of a size already present going
// second among its equals.
func (g *glibc) binInsert(c *gChunk) {
	i := gBinIndex(c.size)
	c.state, c.bin = stateBinned, i
	g.freeAt[c.off+c.size] = c
	head := &g.bins[i]
	if c.size < gMinLarge {
		g.linkAfter(head, c)
		return
	}
	x := head.fd
	for x != head && x.size > c.size {
		x = x.fd
	}
	switch {
	case x == head: // smaller than all: last
		g.linkAfter(head.bk, c)
	case x.size == c.size:
		g.linkAfter(x, c)
	default:
		g.linkAfter(x.bk, c)
		g.w(c.off+32, 16) // a new size: fd_nextsize, bk_nextsize
	}
}

// ---- tcache ----

func (g *glibc) tcPut(c *gChunk) {
	i := gTidx(c.size)
	c.state = stateTcache
	c.fd = g.tc[i].head
	g.tc[i].head = c
	g.tc[i].n++
	g.w(c.off+gHdr, 16) // e->next, e->key
}

func (g *glibc) tcGet(i int64) *gChunk {
	c := g.tc[i].head
	g.tc[i].head = c.fd
	g.tc[i].n--
	c.fd = nil
	c.state = stateInUse
	g.w(c.off+gHdr+8, 8) // e->key = 0
	return c
}

// ---- malloc ----

func (g *glibc) alloc(n int) (span, error) {
	c, err := g.malloc(int64(n))
	if err != nil {
		return span{}, err
	}
	return g.spanOf(c), nil
}

// malloc is __libc_malloc: the tcache, then _int_malloc.
func (g *glibc) malloc(n int64) (*gChunk, error) {
	nb := gRequest2Size(n)
	if i := gTidx(nb); i < gTcBins && g.tc[i].n > 0 {
		return g.tcGet(i), nil
	}
	return g.intMalloc(nb)
}

// setInuseAfter sets the in-use bit of the chunk after c (a write of the
// next chunk's size field).
func (g *glibc) setInuseAfter(c *gChunk) { g.w(c.off+c.size+gSizeSz, gSizeSz) }

// intMalloc is _int_malloc for a chunk size nb.
func (g *glibc) intMalloc(nb int64) (*gChunk, error) {
	small := nb < gMinLarge
	var idx int
	if small {
		idx = gSmallbinIndex(nb)
		head := &g.bins[idx]
		if v := head.bk; v != head {
			g.unlink(v)
			v.state = stateInUse
			g.setInuseAfter(v)
			// Stash other chunks of this size in the tcache.
			if ti := gTidx(nb); ti < gTcBins {
				for g.tc[ti].n < gTcCount && head.bk != head {
					t := head.bk
					g.unlink(t)
					g.setInuseAfter(t)
					g.tcPut(t)
				}
			}
			return v, nil
		}
	} else {
		idx = gLargebinIndex(nb)
	}

	ti := gTidx(nb)
	tcacheNb := ti < gTcBins
	returnCached := false
	uns := &g.bins[1]
	for uns.bk != uns {
		v := uns.bk
		size := v.size
		if small && v.bk == uns && v == g.lastRemainder && size > nb+gMinSize {
			// Split the last remainder; it stays the only unsorted chunk.
			g.unlink(v)
			r := g.newChunk(v.off+nb, size-nb, stateBinned)
			v.size = nb
			v.state = stateInUse
			g.chunks[v.off] = v
			g.toUnsorted(r)
			g.lastRemainder = r
			g.w(v.off+gSizeSz, gSizeSz)
			return v, nil
		}
		g.unlink(v)
		if size == nb {
			g.setInuseAfter(v)
			if tcacheNb && g.tc[ti].n < gTcCount {
				g.tcPut(v)
				returnCached = true
				continue
			}
			v.state = stateInUse
			return v, nil
		}
		g.binInsert(v)
	}
	if returnCached {
		return g.tcGet(ti), nil
	}

	if !small {
		// Best fit in the request's own large bin: the smallest size that
		// fits, and of several chunks of that size the second.
		head := &g.bins[idx]
		if head.fd != head && head.fd.size >= nb {
			v := head.bk
			for v.size < nb {
				v = v.bk
			}
			for v.bk != head && v.bk.size == v.size {
				v = v.bk // the first of its size
			}
			if v != head.bk && v.fd.size == v.size {
				v = v.fd
			}
			return g.split(v, nb, false), nil
		}
	}

	// The next non-empty bin: its smallest chunk.
	for i := idx + 1; i < gNBins; i++ {
		head := &g.bins[i]
		if head.bk != head {
			return g.split(head.bk, nb, small), nil
		}
	}

	// The top chunk.
	if g.brk-g.top >= nb+gMinSize {
		return g.splitTop(nb), nil
	}
	return g.sysmalloc(nb)
}

// split takes nb bytes from the start of binned chunk v; a remainder of at
// least MINSIZE goes to the unsorted bin.
func (g *glibc) split(v *gChunk, nb int64, small bool) *gChunk {
	g.unlink(v)
	v.state = stateInUse
	rem := v.size - nb
	if rem < gMinSize {
		g.setInuseAfter(v)
		return v
	}
	v.size = nb
	g.w(v.off+gSizeSz, gSizeSz)
	r := g.newChunk(v.off+nb, rem, stateBinned)
	g.toUnsorted(r)
	if small {
		g.lastRemainder = r
	}
	return v
}

// splitTop carves nb bytes from the top chunk.
func (g *glibc) splitTop(nb int64) *gChunk {
	c := g.newChunk(g.top, nb, stateInUse)
	g.w(c.off+gSizeSz, gSizeSz)
	g.top += nb
	g.w(g.top+gSizeSz, gSizeSz) // the new top's header
	return c
}

// sysmalloc: mmap the request when it meets the threshold, else extend
// the heap with brk (nb + top_pad + MINSIZE less the top, page-rounded)
// and split the top.
func (g *glibc) sysmalloc(nb int64) (*gChunk, error) {
	if nb >= g.mmapThreshold && g.nMmaps < gNMmapsMax {
		if c, ok := g.mmapChunk(nb); ok {
			return c, nil
		}
	}
	size := alignUp(nb+gTopPad+gMinSize-(g.brk-g.top), PageSize)
	if g.brk+size > g.heapHi {
		// glibc would fall back to mmap as MORECORE (noncontiguous); the
		// model's heap has half the reserve, so this is the client's OOM.
		return nil, fmt.Errorf("glibc: brk heap of %d bytes cannot grow by %d: %w", g.brk, size, ErrExhausted)
	}
	g.brk += size
	g.w(g.top+gSizeSz, gSizeSz) // set_head(old_top, size + old_size)
	return g.splitTop(nb), nil
}

// mmapChunk is sysmalloc_mmap: the request plus SIZE_SZ, page-rounded, with
// the chunk header at the mapping's start.
func (g *glibc) mmapChunk(nb int64) (*gChunk, bool) {
	size := alignUp(nb+gSizeSz, PageSize)
	start, ok := g.maps.top(size)
	if !ok {
		return nil, false
	}
	c := g.newChunk(start, size, stateMmapped)
	g.mapped[start] = c
	g.nMmaps++
	g.mmappedBytes += size
	g.w(start, gHdr)
	return c, true
}

// ---- free ----

func (g *glibc) free(s span) { g.freeChunk(g.chunkOfUser(s.user)) }

// freeChunk is __libc_free then _int_free.
func (g *glibc) freeChunk(c *gChunk) {
	if c.state == stateMmapped {
		// The dynamic threshold (__libc_free): chunksize_nomask includes
		// the IS_MMAPPED bit (2), so a chunk equal to the threshold raises
		// it to itself.
		if c.size|2 > g.mmapThreshold && c.size|2 <= gMmapMax {
			g.mmapThreshold = c.size
			g.trimThreshold = 2 * c.size
		}
		g.munmap(c)
		return
	}
	g.intFree(c)
}

func (g *glibc) munmap(c *gChunk) {
	g.mem.release(c.off, c.size)
	g.maps.put(c.off, c.size)
	delete(g.mapped, c.off)
	g.nMmaps--
	g.mmappedBytes -= c.size
	g.spare = append(g.spare, c)
}

// intFree is _int_free for a heap chunk: the tcache if it has room, else
// merge with free neighbours (_int_free_merge_chunk) and maybe trim.
func (g *glibc) intFree(c *gChunk) {
	if i := gTidx(c.size); i < gTcBins && g.tc[i].n < gTcCount {
		g.tcPut(c)
		return
	}
	off, size := c.off, c.size
	next := off + size
	// Consolidate backward.
	if p := g.freeAt[off]; p != nil {
		g.unlink(p)
		g.drop(c)
		c = p
		off, size = p.off, p.size+size
		c.size = size
	}
	if next == g.top {
		// Into the top.
		g.drop(c)
		g.top = off
		size = g.brk - off
		g.w(off+gSizeSz, gSizeSz)
	} else {
		if nc := g.chunks[next]; nc.state == stateBinned {
			g.unlink(nc)
			size += nc.size
			g.drop(nc)
		} else {
			g.w(next+gSizeSz, gSizeSz) // clear_inuse_bit_at_offset
		}
		c.off, c.size = off, size
		g.chunks[off] = c
		g.toUnsorted(c)
	}
	// _int_free_maybe_consolidate: main arena, MORECORE can trim.
	if size >= gConsolid && g.brk-g.top >= g.trimThreshold {
		g.systrim()
	}
}

// systrim gives the top of the heap back with a negative brk, keeping
// top_pad and a MINSIZE top: extra = ALIGN_DOWN(top - MINSIZE - 1 - pad, page).
func (g *glibc) systrim() {
	topSize := g.brk - g.top
	area := topSize - gMinSize - 1
	if area <= gTopPad {
		return
	}
	extra := alignDown(area-gTopPad, PageSize)
	if extra == 0 {
		return
	}
	g.mem.release(g.brk-extra, extra)
	g.brk -= extra
	g.trims++
	g.w(g.top+gSizeSz, gSizeSz)
}

// ---- realloc ----

func (g *glibc) realloc(s span, n int) (span, int64, error) {
	c := g.chunkOfUser(s.user)
	bytes := int64(n)
	// __libc_realloc: stay if the request fits the usable size closely.
	usable := c.size - gHdr
	if c.state != stateMmapped {
		usable += gSizeSz
	}
	if bytes <= usable {
		d := usable - bytes
		if d < 2*gSizeSz || (c.state == stateMmapped && d <= PageSize) {
			return s, 0, nil
		}
	}
	nb := gRequest2Size(bytes)
	if c.state == stateMmapped {
		return g.remapChunk(c, nb, bytes)
	}
	return g.intRealloc(c, nb)
}

// remapChunk is mremap_chunk: the mapping is resized to the request plus
// SIZE_SZ, page-rounded, in place when the address space after it is free,
// else moved (MREMAP_MAYMOVE). If no address space is left, realloc falls
// back to malloc, copy and munmap as glibc does.
func (g *glibc) remapChunk(c *gChunk, nb, bytes int64) (span, int64, error) {
	size := alignUp(nb+gSizeSz, PageSize)
	switch {
	case size == c.size:
	case size < c.size:
		tail := c.size - size
		g.mem.release(c.off+size, tail)
		g.maps.put(c.off+size, tail)
		g.mmappedBytes -= tail
		c.size = size
	case g.maps.grow(c.off, c.size, size):
		g.mmappedBytes += size - c.size
		c.size = size
	default:
		start, ok := g.maps.top(size)
		if !ok {
			if c.size-gSizeSz >= nb {
				return g.spanOf(c), 0, nil
			}
			nc, err := g.malloc(bytes)
			if err != nil {
				return span{}, 0, err
			}
			n := c.size - gHdr
			g.mem.copy(nc.off+gHdr, c.off+gHdr, n)
			g.munmap(c)
			return g.spanOf(nc), n, nil
		}
		g.mem.move(start, c.off, c.size)
		g.maps.put(c.off, c.size)
		delete(g.mapped, c.off)
		g.mmappedBytes += size - c.size
		c.off, c.size = start, size
		g.mapped[start] = c
		g.remaps++
	}
	g.w(c.off+gSizeSz, gSizeSz)
	return g.spanOf(c), 0, nil
}

// intRealloc is _int_realloc: shrink in place, grow into the top or a free
// next chunk, else malloc, copy the old usable size, free.
func (g *glibc) intRealloc(c *gChunk, nb int64) (span, int64, error) {
	oldsize := c.size
	next := c.off + oldsize
	var newsize int64
	switch {
	case oldsize >= nb:
		newsize = oldsize
	case next == g.top && oldsize+(g.brk-g.top) >= nb+gMinSize:
		c.size = nb
		g.w(c.off+gSizeSz, gSizeSz)
		g.top = c.off + nb
		g.w(g.top+gSizeSz, gSizeSz)
		return g.spanOf(c), 0, nil
	case next != g.top && g.chunks[next].state == stateBinned && oldsize+g.chunks[next].size >= nb:
		nc := g.chunks[next]
		g.unlink(nc)
		newsize = oldsize + nc.size
		g.drop(nc)
	default:
		nc, err := g.intMalloc(nb)
		if err != nil {
			return span{}, 0, err
		}
		if nc.off == next && nc.state == stateInUse {
			// The new chunk follows the old one (the top was extended):
			// merge instead of copying.
			newsize = oldsize + nc.size
			g.drop(nc)
		} else {
			n := oldsize - gSizeSz // memsize
			g.mem.copy(nc.off+gHdr, c.off+gHdr, n)
			g.intFree(c)
			return g.spanOf(nc), n, nil
		}
	}
	c.size = newsize
	rem := newsize - nb
	if rem < gMinSize {
		g.w(c.off+gSizeSz, gSizeSz)
		g.setInuseAfter(c)
		return g.spanOf(c), 0, nil
	}
	c.size = nb
	g.w(c.off+gSizeSz, gSizeSz)
	r := g.newChunk(c.off+nb, rem, stateInUse)
	g.w(r.off+gSizeSz, gSizeSz)
	g.setInuseAfter(r)
	g.intFree(r)
	return g.spanOf(c), 0, nil
}

func (g *glibc) tick(time.Duration) {}

func (g *glibc) fill(st *Stats) {
	st.MmapThreshold, st.TrimThreshold = g.mmapThreshold, g.trimThreshold
	st.Mmapped, st.Heap = g.mmappedBytes, g.brk
	st.Remaps, st.Trims = g.remaps, g.trims
}
