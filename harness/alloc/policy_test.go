package alloc

import (
	"testing"
	"time"
	"unsafe"
)

const (
	kib = 1 << 10
	mib = 1 << 20
)

// step is one operation of a hand-worked sequence and the figures expected
// after it. Blocks are named by a letter; at is the simulated time (mimalloc).
type step struct {
	op   string // "alloc", "touch", "free", "realloc", "tick"
	name string
	n    int
	at   time.Duration

	resident int64 // Resident after the step
	retained int64 // ResidentRetained after the step; -1: not checked
	check    func(t *testing.T, a *Allocator, blocks map[string]Block)
}

// runSteps runs steps on a fresh allocator of the policy and checks the
// figures after each; the region's real RSS is checked too when the kernel
// shows it (see rss_test.go).
func runSteps(t *testing.T, policy string, steps []step) *Allocator {
	t.Helper()
	a, err := New(policy, Options{Reserve: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	blocks := map[string]Block{}
	for i, s := range steps {
		switch s.op {
		case "alloc":
			b, err := a.Alloc(s.n)
			if err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			blocks[s.name] = b
		case "touch":
			b := blocks[s.name]
			a.Touch(b, s.n)
			fill(b.Bytes()[:s.n], byte(i))
		case "free":
			a.Free(blocks[s.name])
			delete(blocks, s.name)
		case "realloc":
			b, err := a.Realloc(blocks[s.name], s.n)
			if err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			blocks[s.name] = b
		case "tick":
			a.Tick(s.at)
		default:
			t.Fatalf("step %d: unknown op %q", i, s.op)
		}
		st := a.Stats()
		if st.Resident != s.resident {
			t.Errorf("step %d (%s %s %d): Resident = %d, want %d", i, s.op, s.name, s.n, st.Resident, s.resident)
		}
		if s.retained >= 0 && st.ResidentRetained != s.retained {
			t.Errorf("step %d (%s %s %d): ResidentRetained = %d, want %d", i, s.op, s.name, s.n, st.ResidentRetained, s.retained)
		}
		if s.check != nil {
			s.check(t, a, blocks)
		}
		if a.mem != nil {
			if got := a.mem.countResident() * PageSize; got != st.Resident {
				t.Errorf("step %d: page bitmap holds %d bytes, counter %d", i, got, st.Resident)
			}
			checkRSS(t, a, i)
		}
	}
	return a
}

// fill writes v over p, one byte per page and the last byte, as a caller
// that touched p would have written it.
func fill(p []byte, v byte) {
	for i := 0; i < len(p); i += PageSize {
		p[i] = v
	}
	if len(p) > 0 {
		p[len(p)-1] = v
	}
}

func addr(b Block) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b.Bytes()))) }

// TestGlibcSequence follows glibc 2.39 by hand (x86-64: SIZE_SZ 8, chunk
// size = request + 8 rounded up to 16; a mmapped chunk is request + 8 + 8,
// page-rounded, its header in the mapping's first page).
func TestGlibcSequence(t *testing.T) {
	const (
		// 4 MiB: chunk 4194320; as a mapping 4198400 (1025 pages).
		mapA = 4198400
		// A touched whole: header and data share page 0; user bytes
		// [16, 4194320) end in page 1024: 1025 pages.
		resA = 1025 * PageSize
		// 8 MiB: mapping 8392704 (2049 pages); 4.25 MiB touched: user
		// bytes [16, 4456464) reach page 1088: 1089 pages.
		mapB = 8392704
		resB = 1089 * PageSize
		// 5,000,000 bytes: chunk 5000016, mapping 5001216 (1221 pages),
		// all touched (user bytes end at 5000016, page 1220).
		resD = 1221 * PageSize
	)
	steps := []step{
		{op: "alloc", name: "A", n: 4 * mib, resident: PageSize, retained: 0}, // mmap: the header page
		{op: "touch", name: "A", n: 4 * mib, resident: resA, retained: 0},
		{op: "alloc", name: "B", n: 8 * mib, resident: resA + PageSize, retained: 0},
		{op: "touch", name: "B", n: 4352 * kib, resident: resA + resB, retained: 0},
		// free(A): munmap at once; the threshold rises to A's mapping
		// (4198400), the trim threshold to twice that.
		{op: "free", name: "A", resident: resB, retained: 0, check: thresholds(mapA, 2*mapA)},
		// C (4 MiB, chunk 4194320 < 4198400) now comes from the heap:
		// brk grows by 4194320 + top_pad 131072 + MINSIZE 32, page-rounded
		// = 4329472; C at 0, the top's header at 4194328 (page 1024).
		// Pages 0 and 1024 are written.
		{op: "alloc", name: "C", n: 4 * mib, resident: resB + 2*PageSize, retained: 0,
			check: heap(4329472)},
		{op: "touch", name: "C", n: 4 * mib, resident: resB + 1025*PageSize, retained: 0},
		// free(C) merges into the top: 4329472 < trim threshold 8396800,
		// so nothing is returned: C's 1025 pages stay, retained.
		{op: "free", name: "C", resident: resB + 1025*PageSize, retained: 1025 * PageSize},
		// D (5,000,000: chunk 5000016 ≥ 4198400, top too small) is mmapped.
		{op: "alloc", name: "D", n: 5000000, resident: resB + 1025*PageSize + PageSize, retained: 1025 * PageSize},
		{op: "touch", name: "D", n: 5000000, resident: resB + 1025*PageSize + resD, retained: 1025 * PageSize},
		// E (4 MiB) is split from the top at 0: C's pages again, no new one.
		{op: "alloc", name: "E", n: 4 * mib, resident: resB + 1025*PageSize + resD, retained: 0,
			check: func(t *testing.T, a *Allocator, bs map[string]Block) {
				if got := addr(bs["E"]) - a.mem.base(); got != 16 {
					t.Errorf("E at heap offset %d, want 16 (C's place)", got)
				}
			}},
		{op: "touch", name: "E", n: 4 * mib, resident: resB + 1025*PageSize + resD, retained: 0},
		// F (4 MiB): the top has 4329472 − 4194320 = 135152 left, so brk
		// grows by 4194320 + 131072 + 32 − 135152 = 4190272 → 4194304
		// (heap 8523776); F at 4194320, the new top's header at 8388648
		// (page 2048) is a new page.
		{op: "alloc", name: "F", n: 4 * mib, resident: resB + 1026*PageSize + resD, retained: -1, check: heap(8523776)},
		// F's bytes [4194336, 8388640) are pages 1024..2048; 1025..2047 are new.
		{op: "touch", name: "F", n: 4 * mib, resident: resB + 2049*PageSize + resD, retained: 0},
		// free(E): F follows it, so E goes to the unsorted bin; the top
		// (135136) is below the trim threshold. E's pages are retained.
		{op: "free", name: "E", resident: resB + 2049*PageSize + resD, retained: 1024 * PageSize},
		// free(F) merges E, F and the top: 8523776 ≥ 8396800, so systrim
		// returns ALIGN_DOWN(8523776 − 33 − 131072, 4096) = 8388608 from
		// the end: brk = 135168, pages 33..2048 go, 0..32 stay.
		{op: "free", name: "F", resident: resB + 33*PageSize + resD, retained: 33 * PageSize,
			check: func(t *testing.T, a *Allocator, _ map[string]Block) {
				heap(135168)(t, a, nil)
				if st := a.Stats(); st.Trims != 1 {
					t.Errorf("Trims = %d, want 1", st.Trims)
				}
			}},
		// free(B): the threshold rises to B's mapping, 8392704.
		{op: "free", name: "B", resident: 33*PageSize + resD, retained: 33 * PageSize, check: thresholds(mapB, 2*mapB)},
		// free(D): 5001216 < 8392704, no change; the heap keeps its pad.
		{op: "free", name: "D", resident: 33 * PageSize, retained: 33 * PageSize, check: thresholds(mapB, 2*mapB)},
	}
	a := runSteps(t, "glibc", steps)
	if got, want := a.PeakResident(), int64(resB+2049*PageSize+resD); got != want {
		t.Errorf("PeakResident = %d, want %d", got, want)
	}
}

// TestGlibcVecGrowth grows one buffer by doubling, as Rust's Vec does, and
// follows realloc by hand: in place into the top, then a mmapped copy, then
// mremap.
func TestGlibcVecGrowth(t *testing.T) {
	steps := []step{
		// 64 KiB: chunk 65552 < 128 KiB, from the heap: brk grows by
		// 65552 + 131072 + 32 → 200704 (49 pages); the top's header at
		// 65560 is page 16. Pages 0 and 16.
		{op: "alloc", name: "v", n: 64 * kib, resident: 2 * PageSize, retained: 0, check: heap(200704)},
		// User bytes [16, 65552): pages 0..16.
		{op: "touch", name: "v", n: 64 * kib, resident: 17 * PageSize, retained: 0},
		// realloc to 128 KiB (chunk 131088): the next chunk is the top and
		// 65552 + 135152 ≥ 131088 + 32: grows in place; the top's header
		// moves to 131096, page 32.
		{op: "realloc", name: "v", n: 128 * kib, resident: 18 * PageSize, retained: 0},
		{op: "touch", name: "v", n: 128 * kib, resident: 33 * PageSize, retained: 0},
		// realloc to 256 KiB (chunk 262160): the top (69616) is too small,
		// so _int_malloc → sysmalloc mmaps 262168 → 266240 bytes; memcpy
		// copies memsize = 131080 bytes: new pages 0..32 of the mapping.
		// Freeing the old chunk merges it into the top (200704 ≥ 131072):
		// systrim returns ALIGN_DOWN(200704 − 33 − 131072) = 65536 bytes,
		// pages 33..48, none of them resident. The heap's 33 pages stay.
		{op: "realloc", name: "v", n: 256 * kib, resident: 66 * PageSize, retained: 33 * PageSize,
			check: func(t *testing.T, a *Allocator, _ map[string]Block) { heap(135168)(t, a, nil) }},
		// Touching 256 KiB: pages 0..64 of the mapping.
		{op: "touch", name: "v", n: 256 * kib, resident: 98 * PageSize, retained: 33 * PageSize},
		// realloc to 512 KiB: mremap to 524312 → 528384 bytes. The mapping
		// sits at the top of the mmap area, so it moves; its 65 resident
		// pages move with it, nothing is copied.
		{op: "realloc", name: "v", n: 512 * kib, resident: 98 * PageSize, retained: 33 * PageSize,
			check: func(t *testing.T, a *Allocator, _ map[string]Block) {
				if st := a.Stats(); st.Remaps != 1 || st.Mmapped != 528384 {
					t.Errorf("Remaps = %d, Mmapped = %d; want 1, 528384", st.Remaps, st.Mmapped)
				}
			}},
		{op: "touch", name: "v", n: 512 * kib, resident: 162 * PageSize, retained: 33 * PageSize},
		// free: munmap; the threshold rises to 528384.
		{op: "free", name: "v", resident: 33 * PageSize, retained: 33 * PageSize, check: thresholds(528384, 2*528384)},
	}
	a := runSteps(t, "glibc", steps)
	if got, want := a.PeakResident(), int64(162*PageSize); got != want {
		t.Errorf("PeakResident = %d, want %d", got, want)
	}
}

// TestGlibcReallocKeepsContents checks that each realloc path (in place,
// copy into a mapping, mremap move) preserves the bytes.
func TestGlibcReallocKeepsContents(t *testing.T) {
	for _, noRemap := range []bool{false, true} {
		a, err := New("glibc", Options{Reserve: 1 << 30})
		if err != nil {
			t.Fatal(err)
		}
		a.mem.noRemap = noRemap
		b, _ := a.Alloc(1000)
		for n := 1000; n <= 4*mib; n *= 2 {
			a.Touch(b, b.Len())
			p := b.Bytes()
			for i := range p {
				p[i] = byte(i * 7)
			}
			nb, err := a.Realloc(b, 2*n)
			if err != nil {
				t.Fatal(err)
			}
			q := nb.Bytes()
			for i := 0; i < n; i++ {
				if q[i] != byte(i*7) {
					t.Fatalf("noRemap=%v: after realloc %d → %d, byte %d = %d, want %d", noRemap, n, 2*n, i, q[i], byte(i*7))
				}
			}
			b = nb
		}
		if st := a.Stats(); st.Remaps == 0 {
			t.Errorf("noRemap=%v: no mremap move happened", noRemap)
		}
		a.Close()
	}
}

func thresholds(mmap, trim int64) func(*testing.T, *Allocator, map[string]Block) {
	return func(t *testing.T, a *Allocator, _ map[string]Block) {
		t.Helper()
		if st := a.Stats(); st.MmapThreshold != mmap || st.TrimThreshold != trim {
			t.Errorf("thresholds = %d, %d; want %d, %d", st.MmapThreshold, st.TrimThreshold, mmap, trim)
		}
	}
}

func heap(size int64) func(*testing.T, *Allocator, map[string]Block) {
	return func(t *testing.T, a *Allocator, _ map[string]Block) {
		t.Helper()
		if st := a.Stats(); st.Heap != size {
			t.Errorf("Heap = %d, want %d", st.Heap, size)
		}
	}
}

// TestMimallocSequence follows mimalloc v3.3.2 by hand: objects above
// 512 KiB get singleton pages of 64 KiB slices (block = good size, + one
// slice for the page info), freed slices are reused at once and purged
// 1000 ms after the first free that scheduled a purge.
func TestMimallocSequence(t *testing.T) {
	const (
		resA = 1024 * PageSize // 4 MiB at slice 0, page-aligned: 1024 pages
		resB = 1088 * PageSize // 4.25 MiB of the 8 MiB block
		resC = 1221 * PageSize // 5,000,000 bytes: pages 0..1220
	)
	ms := time.Millisecond
	steps := []step{
		{op: "alloc", name: "A", n: 4 * mib, resident: 0, retained: 0},
		{op: "touch", name: "A", n: 4 * mib, resident: resA, retained: 0},
		// B: 8 MiB, good size 8 MiB (1 MiB steps), 129 slices at 4259840.
		{op: "alloc", name: "B", n: 8 * mib, resident: resA, retained: 0},
		{op: "touch", name: "B", n: 4352 * kib, resident: resA + resB, retained: 0},
		// free(A) at 0: a purge is scheduled for 1000 ms; A's pages stay.
		{op: "free", name: "A", resident: resA + resB, retained: resA},
		// C: 5,000,000 → good size 5242880 (256 KiB steps), 81 slices: the
		// 65 free slices at 0 are too few, so it goes after B.
		{op: "alloc", name: "C", n: 5000000, resident: resA + resB, retained: resA,
			check: func(t *testing.T, a *Allocator, bs map[string]Block) {
				if got := addr(bs["C"]) - a.mem.base(); got != 12713984 {
					t.Errorf("C at %d, want 12713984", got)
				}
			}},
		{op: "touch", name: "C", n: 5000000, resident: resA + resB + resC, retained: resA},
		// D (4 MiB) reuses A's slices before the purge: no new page.
		{op: "alloc", name: "D", n: 4 * mib, resident: resA + resB + resC, retained: 0},
		{op: "touch", name: "D", n: 4 * mib, resident: resA + resB + resC, retained: 0},
		// free(B) at 500 ms: the expiry stays at 1000 ms.
		{op: "tick", at: 500 * ms, resident: resA + resB + resC, retained: 0},
		{op: "free", name: "B", resident: resA + resB + resC, retained: resB},
		{op: "tick", at: 999 * ms, resident: resA + resB + resC, retained: resB},
		// 1000 ms: every marked range still free is purged, B's too (freed
		// only 500 ms ago); A's range is D's now and is skipped.
		{op: "tick", at: 1000 * ms, resident: resA + resC, retained: 0},
		{op: "free", name: "D", resident: resA + resC, retained: resA},
		{op: "tick", at: 1999 * ms, resident: resA + resC, retained: resA},
		{op: "tick", at: 2000 * ms, resident: resC, retained: 0},
		{op: "free", name: "C", resident: resC, retained: resC},
		{op: "tick", at: 3000 * ms, resident: 0, retained: 0},
	}
	a := runSteps(t, "mimalloc", steps)
	if got, want := a.PeakResident(), int64(resA+resB+resC); got != want {
		t.Errorf("PeakResident = %d, want %d", got, want)
	}
	if st := a.Stats(); st.Purges != 3 {
		t.Errorf("Purges = %d, want 3", st.Purges)
	}
}

// TestMimallocMediumBlocks follows a ~55 KB payment proof: bin 47, blocks
// of 57344 bytes in a 512 KiB medium page (9 blocks), one block extended at
// a time with its free-list link written.
func TestMimallocMediumBlocks(t *testing.T) {
	steps := []step{
		{op: "alloc", name: "p", n: 55000, resident: PageSize, retained: -1}, // the link in page 0
		{op: "touch", name: "p", n: 55000, resident: 14 * PageSize, retained: 0},
		// The second block starts at 57344 = page 14.
		{op: "alloc", name: "q", n: 55000, resident: 15 * PageSize, retained: -1},
		{op: "touch", name: "q", n: 55000, resident: 28 * PageSize, retained: 0},
		// p's 14 pages are free but kept.
		{op: "free", name: "p", resident: 28 * PageSize, retained: 14 * PageSize},
		// The page is empty but the only one of its class: retired, kept.
		{op: "free", name: "q", resident: 28 * PageSize, retained: 28 * PageSize},
		{op: "tick", at: 5 * time.Second, resident: 28 * PageSize, retained: 28 * PageSize},
		// The last freed block comes back first.
		{op: "alloc", name: "r", n: 50000, resident: 28 * PageSize, retained: 14 * PageSize,
			check: func(t *testing.T, a *Allocator, bs map[string]Block) {
				if got := addr(bs["r"]) - a.mem.base(); got != 57344 {
					t.Errorf("r at %d, want 57344", got)
				}
			}},
	}
	runSteps(t, "mimalloc", steps)
}

// TestGoSequence: plain slices; Resident is the touched pages of live
// slices, nothing is retained.
func TestGoSequence(t *testing.T) {
	steps := []step{
		{op: "alloc", name: "A", n: 4 * mib, resident: 0, retained: 0},
		{op: "touch", name: "A", n: 4 * mib, resident: 4 * mib, retained: 0},
		{op: "alloc", name: "B", n: 8 * mib, resident: 4 * mib, retained: 0},
		{op: "touch", name: "B", n: 4352 * kib, resident: 4*mib + 4352*kib, retained: 0},
		{op: "free", name: "A", resident: 4352 * kib, retained: 0},
		// Growing B copies all 8 MiB into a new slice (append's copy).
		{op: "realloc", name: "B", n: 16 * mib, resident: 8 * mib, retained: 0},
		{op: "touch", name: "B", n: 10*mib + 1, resident: 10*mib + PageSize, retained: 0},
		{op: "free", name: "B", resident: 0, retained: 0},
	}
	a := runSteps(t, "go", steps)
	if got, want := a.PeakResident(), int64(10*mib+PageSize); got != want {
		t.Errorf("PeakResident = %d, want %d", got, want)
	}
}
