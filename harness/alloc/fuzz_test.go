//go:build linux

package alloc

import (
	"errors"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

// FuzzPolicies runs a byte-coded sequence of Alloc, Realloc, Touch, Free and
// Tick on each region policy and checks after every operation that live
// blocks do not overlap, that every touched byte of a live block is
// resident and still holds what was written, that the resident and live
// counters agree with a recount of the page tables, and the policy's own
// structure (glibc: chunks tile the heap, no two free chunks adjacent). At
// the end the kernel's RSS of the region must equal the model's.
func FuzzPolicies(f *testing.F) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 4 {
		b := make([]byte, 1200)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, ops []byte) {
		for _, p := range []string{"glibc", "mimalloc"} {
			for _, noRemap := range []bool{false, true} {
				runFuzz(t, p, noRemap, ops)
			}
		}
	})
}

type fuzzBlock struct {
	b       Block
	touched int
	tag     byte
}

func runFuzz(t *testing.T, policy string, noRemap bool, ops []byte) {
	a, err := New(policy, Options{Reserve: 256 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	a.mem.noRemap = noRemap
	var live []*fuzzBlock
	now := time.Duration(0)
	size := func(x, y byte) int {
		v := int(x)<<8 | int(y)
		switch x % 4 {
		case 0:
			return v % 2048 // small: tcache, small bins, small pages
		case 1, 2:
			return 40<<10 + v*9%(600<<10) // proofs and encode steps around the thresholds
		default:
			return 1<<20 + v*131%(8<<20) // chunks and frames
		}
	}
	for i := 0; i+3 <= len(ops); i += 3 {
		op, x, y := ops[i], ops[i+1], ops[i+2]
		switch op % 6 {
		case 0, 1: // alloc
			if len(live) >= 12 {
				continue
			}
			n := size(x, y)
			b, err := a.Alloc(n)
			if errors.Is(err, ErrExhausted) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			live = append(live, &fuzzBlock{b: b, tag: byte(i)})
		case 2: // touch a prefix and write the pattern
			if len(live) == 0 {
				continue
			}
			fb := live[int(x)%len(live)]
			n := fb.b.Len() * int(y) / 255
			a.Touch(fb.b, n)
			writePattern(fb, n)
		case 3: // realloc
			if len(live) == 0 {
				continue
			}
			fb := live[int(x)%len(live)]
			n := size(y, x)
			nb, err := a.Realloc(fb.b, n)
			if errors.Is(err, ErrExhausted) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			fb.b = nb
			fb.touched = min(fb.touched, n)
		case 4: // free
			if len(live) == 0 {
				continue
			}
			k := int(x) % len(live)
			a.Free(live[k].b)
			live = append(live[:k], live[k+1:]...)
		case 5: // the clock moves
			now += time.Duration(x) * 10 * time.Millisecond
			a.Tick(now)
		}
		checkInvariants(t, a, live, i%48 == 0)
		if t.Failed() {
			t.Fatalf("%s noRemap=%v: failed after op %d", policy, noRemap, i/3)
		}
	}
	for _, fb := range live {
		a.Free(fb.b)
	}
	checkInvariants(t, a, nil, true)
	checkRSS(t, a, len(ops)/3)
}

// writePattern writes the block's tag into the first byte of every page of
// [touched, n) and into byte n-1.
func writePattern(fb *fuzzBlock, n int) {
	p := fb.b.Bytes()
	for i := fb.touched; i < n; i++ {
		p[i] = fb.tag ^ byte(i>>12)
		if next := (i/PageSize + 1) * PageSize; next < n-1 {
			i = next - 1
		}
	}
	if n > fb.touched && n > 0 {
		p[n-1] = fb.tag ^ byte((n-1)>>12)
	}
	fb.touched = max(fb.touched, n)
}

// checkInvariants checks the invariants; full also recounts the live pages
// over the whole page table, which is slow.
func checkInvariants(t *testing.T, a *Allocator, live []*fuzzBlock, full bool) {
	t.Helper()
	r := a.mem
	base := r.base()
	// No overlap between live blocks.
	type iv struct{ lo, hi uintptr }
	ivs := make([]iv, 0, len(live))
	for _, fb := range live {
		if fb.b.Len() > 0 {
			lo := addr(fb.b)
			ivs = append(ivs, iv{lo, lo + uintptr(fb.b.Len())})
		}
	}
	sort.Slice(ivs, func(i, j int) bool { return ivs[i].lo < ivs[j].lo })
	for i := 1; i < len(ivs); i++ {
		if ivs[i].lo < ivs[i-1].hi {
			t.Errorf("live blocks overlap: [%#x,%#x) and [%#x,%#x)", ivs[i-1].lo-base, ivs[i-1].hi-base, ivs[i].lo-base, ivs[i].hi-base)
		}
	}
	// Touched bytes are resident and hold the pattern.
	for _, fb := range live {
		off := int64(addr(fb.b) - base)
		p := fb.b.Bytes()
		for i := 0; i < fb.touched; i += PageSize - int((off+int64(i))%PageSize) {
			if !r.isRes((off + int64(i)) / PageSize) {
				t.Errorf("touched byte %d of a block at %d is not resident", i, off)
				break
			}
		}
		// writePattern wrote every block-relative page start below touched.
		for i := 0; i < fb.touched; i += PageSize {
			if p[i] != fb.tag^byte(i>>12) {
				t.Errorf("block at %d: byte %d = %d, want %d", off, i, p[i], fb.tag^byte(i>>12))
				break
			}
		}
	}
	// Counters agree with a recount.
	if c := r.countResident(); c != r.nres {
		t.Errorf("resident counter %d, bitmap %d", r.nres, c)
	}
	if full {
		var nlive int64
		for p := range r.refs {
			if r.refs[p] > 0 && r.isRes(int64(p)) {
				nlive++
			}
		}
		if nlive != r.nlive {
			t.Errorf("live-resident counter %d, recount %d", r.nlive, nlive)
		}
	}
	if g, ok := a.pol.(*glibc); ok {
		checkGlibcHeap(t, g)
	}
}

// checkGlibcHeap walks the heap: chunks tile [0, top), binned chunks are
// indexed by their end and never adjacent to another free chunk or the top.
func checkGlibcHeap(t *testing.T, g *glibc) {
	t.Helper()
	var off int64
	prevFree := false
	n := 0
	for off < g.top {
		c := g.chunks[off]
		if c == nil || c.off != off || c.size < gMinSize || c.size%gAlign != 0 {
			t.Errorf("heap walk: no valid chunk at %d (top %d)", off, g.top)
			return
		}
		free := c.state == stateBinned
		if free && prevFree {
			t.Errorf("two adjacent free chunks end at %d", off)
		}
		if free && g.freeAt[c.off+c.size] != c {
			t.Errorf("free chunk at %d not indexed by its end", off)
		}
		prevFree = free
		off += c.size
		n++
	}
	if off != g.top || prevFree {
		t.Errorf("heap walk ends at %d (top %d), last free = %v", off, g.top, prevFree)
	}
	if n != len(g.chunks) {
		t.Errorf("heap walk found %d chunks, the index has %d", n, len(g.chunks))
	}
	if g.brk-g.top < 0 || g.brk%PageSize != 0 {
		t.Errorf("top %d, brk %d", g.top, g.brk)
	}
}
