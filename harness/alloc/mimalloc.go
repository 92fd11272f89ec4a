package alloc

import (
	"fmt"
	"math/bits"
	"time"
)

// mimalloc v3.3.2's constants on 64-bit Linux (microsoft/mimalloc tag
// v3.3.2, commit 30b2d9d8: the sources libmimalloc-sys 0.1.49 builds by
// default, as pinned by ant-node's Cargo.lock). include/mimalloc/types.h
// unless said otherwise.
const (
	mSlice       = 64 << 10                 // MI_ARENA_SLICE_SIZE
	mSmallPage   = mSlice                   // MI_SMALL_PAGE_SIZE
	mMediumPage  = 8 * mSmallPage           // MI_MEDIUM_PAGE_SIZE
	mLargePage   = 8 * mMediumPage          // MI_LARGE_PAGE_SIZE = MI_SIZE_SIZE * medium
	mSmallMax    = (mSmallPage - 4096) / 6  // MI_SMALL_MAX_OBJ_SIZE: 10 KiB
	mMediumMax   = (mMediumPage - 4096) / 6 // MI_MEDIUM_MAX_OBJ_SIZE: ~84 KiB
	mLargeMax    = mLargePage / 8           // MI_LARGE_MAX_OBJ_SIZE: 512 KiB (MI_ENABLE_LARGE_PAGES = 1)
	mExtendMax   = 4 << 10                  // MI_MAX_EXTEND_SIZE (src/page.c)
	mPurgeDelay  = 1000 * time.Millisecond  // mi_option_purge_delay 1000 × arena_purge_mult 1 (src/options.c)
	mStartAlign2 = 512                      // MI_PAGE_BLOCK_START_MAX_OFFSET (src/arena.c)
)

// mBin is mi_bin (src/page-queue.c) for a size in bytes: 8-byte words, exact
// up to 8 words, then four classes per power of two.
func mBin(size int64) int {
	w := (size + 7) / 8
	if w <= 8 {
		if w == 0 {
			return 1
		}
		return int(w)
	}
	w--
	b := int64(63 - bits.LeadingZeros64(uint64(w)))
	return int((b << 2) + ((w >> (b - 2)) & 3) - 3)
}

// mBinSize is the block size of a bin: the largest size with that bin
// (_mi_bin_size, the QNULL table of src/theap.c).
func mBinSize(bin int) int64 {
	if bin <= 8 {
		return int64(bin) * 8
	}
	// bin = 4b + k - 3 for w-1 in [(4+k)<<(b-2), (5+k)<<(b-2)).
	b := int64(bin+3) >> 2
	k := int64(bin+3) & 3
	return ((5 + k) << (b - 2)) * 8
}

// mGoodSize is _mi_os_good_alloc_size (src/os.c): a huge block's size.
func mGoodSize(n int64) int64 {
	var a int64
	switch {
	case n < 512<<10:
		a = PageSize
	case n < 2<<20:
		a = 64 << 10
	case n < 8<<20:
		a = 256 << 10
	case n < 32<<20:
		a = 1 << 20
	default:
		a = 4 << 20
	}
	return alignUp(n, a)
}

// mPage is a mimalloc page: a run of slices holding blocks of one size, or
// one huge block (a singleton page).
type mPage struct {
	start, slices int64 // byte offset of the first slice; number of slices
	bsize         int64 // block size
	blockStart    int64
	reserved      int // blocks that fit
	capacity      int // blocks made available so far (extended)
	used          int
	free, local   []int32 // free block indices; the next is at the end
	bin           int     // 0 for a singleton
	prev, next    *mPage
}

// mimalloc models mimalloc v3's arena, pages and delayed purge over a region
// that is one arena of 64 KiB slices. See doc.go.
type mimalloc struct {
	mem    *region
	slices extents // in bytes, slice-aligned

	queues [74]struct{ first, last *mPage } // by bin; 73 = huge
	blocks map[int64]*mPage                 // live block offset → page

	now    time.Duration
	expire time.Duration // 0: no purge scheduled
	marked []extent      // freed slice ranges awaiting the purge
	purges int64

	spare []*mPage
}

// newPage returns a zeroed page record, reusing a freed one (and its lists'
// capacity) so that the hot path does not allocate.
func (m *mimalloc) newPage() *mPage {
	k := len(m.spare)
	if k == 0 {
		return new(mPage)
	}
	pg := m.spare[k-1]
	m.spare = m.spare[:k-1]
	*pg = mPage{free: pg.free[:0], local: pg.local[:0]}
	return pg
}

func newMimalloc(mem *region) *mimalloc {
	return &mimalloc{
		mem:    mem,
		slices: newExtents(0, alignDown(mem.size, mSlice)),
		blocks: make(map[int64]*mPage),
	}
}

func (m *mimalloc) alloc(n int) (span, error) {
	m.collect()
	off, pg, err := m.malloc(int64(n))
	if err != nil {
		return span{}, err
	}
	m.blocks[off] = pg
	return span{user: off, lo: off, hi: off + pg.bsize}, nil
}

// malloc places n bytes: a singleton page above MI_LARGE_MAX_OBJ_SIZE
// (mi_huge_page_alloc), else a block of the size class.
func (m *mimalloc) malloc(n int64) (int64, *mPage, error) {
	if n > mLargeMax {
		bsize := mGoodSize(n)
		// mi_arenas_page_singleton_alloc: info_size + block_size in slices;
		// the page info lives in the arena's meta area
		// (MI_PAGE_META_IS_SEPARATED), so the block starts at the slice.
		slices := (bsize + mSlice) / mSlice // info_size (> 0, < a slice) + bsize, rounded up
		start, ok := m.slices.low(slices * mSlice)
		if !ok {
			return 0, nil, fmt.Errorf("mimalloc: no %d free slices for a %d-byte block: %w", slices, n, ErrExhausted)
		}
		pg := m.newPage()
		pg.start, pg.slices, pg.bsize = start, slices, bsize
		pg.reserved, pg.capacity, pg.used = 1, 1, 1
		return start, pg, nil
	}
	bin := mBin(n)
	bsize := mBinSize(bin)
	q := &m.queues[bin]
	var pg *mPage
	for p := q.first; p != nil; p = p.next {
		if len(p.free) > 0 || len(p.local) > 0 || p.capacity < p.reserved {
			pg = p
			break
		}
	}
	if pg == nil {
		var size int64
		switch {
		case bsize <= mSmallMax:
			size = mSmallPage
		case bsize <= mMediumMax:
			size = mMediumPage
		default:
			size = mLargePage
		}
		start, ok := m.slices.low(size)
		if !ok {
			return 0, nil, fmt.Errorf("mimalloc: no %d-byte page for %d-byte blocks: %w", size, bsize, ErrExhausted)
		}
		pg = m.newPage()
		pg.start, pg.slices, pg.bsize, pg.bin = start, size/mSlice, bsize, bin
		// mi_page_block_start: power-of-two blocks up to 512 bytes skip
		// the first block when the page info is separate.
		if bsize <= mStartAlign2 && bsize&(bsize-1) == 0 {
			pg.blockStart = bsize
		}
		pg.reserved = int((size - pg.blockStart) / bsize)
		// mi_page_queue_push: fresh pages go first.
		pg.next = q.first
		if q.first != nil {
			q.first.prev = pg
		} else {
			q.last = pg
		}
		q.first = pg
	}
	if len(pg.free) == 0 {
		// _mi_page_free_collect: the local free list becomes the free list.
		pg.free, pg.local = pg.local, pg.free[:0]
	}
	if len(pg.free) == 0 {
		// mi_page_extend_free: up to 4 KiB of blocks (at least one), in
		// address order, each written with its free-list link.
		k := max(1, int(mExtendMax/bsize))
		k = min(k, pg.reserved-pg.capacity)
		for i := pg.capacity + k - 1; i >= pg.capacity; i-- {
			pg.free = append(pg.free, int32(i))
			m.mem.touch(pg.start+pg.blockStart+int64(i)*bsize, 8)
		}
		pg.capacity += k
	}
	i := pg.free[len(pg.free)-1]
	pg.free = pg.free[:len(pg.free)-1]
	pg.used++
	return pg.start + pg.blockStart + int64(i)*bsize, pg, nil
}

func (m *mimalloc) free(s span) {
	m.freeBlock(s.user)
	m.collect()
}

func (m *mimalloc) freeBlock(off int64) {
	pg := m.blocks[off]
	if pg == nil {
		panic(fmt.Sprintf("alloc: mimalloc: no block in use at %d", off))
	}
	delete(m.blocks, off)
	pg.used--
	if pg.bin == 0 {
		m.pageFree(pg)
		return
	}
	pg.local = append(pg.local, int32((off-pg.start-pg.blockStart)/pg.bsize))
	m.mem.touch(off, 8) // the free-list link
	if pg.used > 0 {
		return
	}
	// _mi_page_retire: the only page of its size class is kept.
	q := &m.queues[pg.bin]
	if q.first == pg && q.last == pg {
		return
	}
	if pg.prev != nil {
		pg.prev.next = pg.next
	} else {
		q.first = pg.next
	}
	if pg.next != nil {
		pg.next.prev = pg.prev
	} else {
		q.last = pg.prev
	}
	m.pageFree(pg)
}

// pageFree is _mi_arenas_free: schedule the purge of the page's slices
// (mi_arena_schedule_purge), then make them free for reuse.
func (m *mimalloc) pageFree(pg *mPage) {
	n := pg.slices * mSlice
	if m.expire == 0 {
		m.expire = m.now + mPurgeDelay
	}
	m.marked = append(m.marked, extent{pg.start, pg.start + n})
	m.slices.put(pg.start, n)
	m.spare = append(m.spare, pg)
}

// collect is mi_arenas_try_purge at a collect point: once the expiry has
// passed, every marked range that is still free is purged (MADV_DONTNEED,
// purge_decommits) and all marks are cleared, however recently the range
// was freed.
func (m *mimalloc) collect() {
	if m.expire == 0 || m.now < m.expire {
		return
	}
	m.expire = 0
	purged := false
	for _, r := range m.marked {
		for s := r.start; s < r.end; s += mSlice {
			if m.slices.isFree(s, mSlice) && m.mem.residentIn(s, mSlice) > 0 {
				m.mem.release(s, mSlice)
				purged = true
			}
		}
	}
	m.marked = m.marked[:0]
	if purged {
		m.purges++
	}
}

// realloc is _mi_theap_realloc_zero: stay if the new size fits and wastes
// at most half, else allocate, copy min(usable, n) and free.
func (m *mimalloc) realloc(s span, n int) (span, int64, error) {
	m.collect()
	pg := m.blocks[s.user]
	usable := pg.bsize
	nn := int64(n)
	if nn <= usable && nn >= usable/2 && nn > 0 {
		return s, 0, nil
	}
	off, npg, err := m.malloc(nn)
	if err != nil {
		return span{}, 0, err
	}
	m.blocks[off] = npg
	c := min(usable, nn)
	m.mem.copy(off, s.user, c)
	m.freeBlock(s.user)
	m.collect()
	return span{user: off, lo: off, hi: off + npg.bsize}, c, nil
}

func (m *mimalloc) tick(now time.Duration) {
	if now > m.now {
		m.now = now
	}
	m.collect()
}

func (m *mimalloc) fill(st *Stats) { st.Purges = m.purges }
