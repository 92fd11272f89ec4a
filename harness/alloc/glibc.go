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
	c.state = stateBinned
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
	c.state = stateBinned
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

func (g *glibc) tick(time.Duration) {}

func (g *glibc) fill(st *Stats) {
	st.MmapThreshold, st.TrimThreshold = g.mmapThreshold, g.trimThreshold
	st.Mmapped, st.Heap = g.mmappedBytes, g.brk
	st.Remaps, st.Trims = g.remaps, g.trims
}
