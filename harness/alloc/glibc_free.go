package alloc

// The glibc model's freeing and resizing paths (glibc.go): free, _int_free
// with its consolidation and trimming, munmap, and realloc.

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
