package alloc

import (
	"fmt"
)

// The glibc model's allocation path (glibc.go): malloc, _int_malloc, the
// splitting of free chunks and the top, sysmalloc and mmapped chunks.

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
