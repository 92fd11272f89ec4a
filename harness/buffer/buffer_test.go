package buffer

import (
	"errors"
	"sync"
	"testing"

	"github.com/fanbench/fanbench/harness/alloc"
)

func TestCounterLivePeak(t *testing.T) {
	var c Counter
	h := GoHeap(&c)
	a := New(h, SpillRead, 16, 10)
	b := NewVec(h, Encode, Growth{Len: 100, Steps: []Step{{8, 0}, {16, 8}, {32, 16}, {64, 32}, {128, 64}}})
	if got := c.TotalLive(); got != 16+128 {
		t.Fatalf("live = %d, want 144", got)
	}
	a2 := a.Retain() // a Bytes clone adds no bytes
	if got := c.TotalLive(); got != 144 {
		t.Fatalf("live after Retain = %d, want 144", got)
	}
	a.Release()
	if got := c.Live(SpillRead); got != 16 {
		t.Fatalf("live after one of two releases = %d, want 16", got)
	}
	a2.Release()
	b.Release()
	if c.TotalLive() != 0 || c.TotalPeak() != 144 {
		t.Fatalf("live %d peak %d, want 0 and 144", c.TotalLive(), c.TotalPeak())
	}
	// Grown 8+16+32+64+128.
	if c.Peak(Encode) != 128 || c.Allocated(Encode) != 248 || c.Allocated(SpillRead) != 16 {
		t.Fatalf("encode peak %d alloc %d, chunk alloc %d", c.Peak(Encode), c.Allocated(Encode), c.Allocated(SpillRead))
	}
}

func TestPeerStoreIsNotClient(t *testing.T) {
	var c Counter
	b := New(GoHeap(&c), PeerStore, 64, 64)
	defer b.Release()
	if c.TotalLive() != 0 || c.Live(PeerStore) != 64 {
		t.Fatalf("total %d, peer-store %d; want 0 and 64", c.TotalLive(), c.Live(PeerStore))
	}
}

func TestCopyIsExactSize(t *testing.T) {
	var c Counter
	src := make([]byte, 1000, 4096)
	src[999] = 7
	b := Copy(GoHeap(&c), PeerCopy, src)
	if cap(b.B) != 1000 || b.B[999] != 7 || c.Live(PeerCopy) != 1000 {
		t.Fatalf("cap %d last %d live %d", cap(b.B), b.B[999], c.Live(PeerCopy))
	}
	b.Release()
}

func TestDoubleReleasePanics(t *testing.T) {
	b := New(GoHeap(nil), Encode, 1, 1)
	b.Release()
	defer func() {
		if recover() == nil {
			t.Fatal("second Release did not panic")
		}
	}()
	b.Release()
}

func TestConcurrentPeak(t *testing.T) {
	var c Counter
	h := GoHeap(&c)
	var wg sync.WaitGroup
	hold := make(chan struct{})
	const n = 16
	ready := make(chan struct{}, n)
	for range n {
		wg.Go(func() {
			b := New(h, WireFrame, 1024, 1024)
			ready <- struct{}{}
			<-hold
			b.Release()
		})
	}
	for range n {
		<-ready
	}
	close(hold)
	wg.Wait()
	if c.TotalPeak() != n*1024 || c.TotalLive() != 0 {
		t.Fatalf("peak %d live %d, want %d and 0", c.TotalPeak(), c.TotalLive(), n*1024)
	}
}

func TestSiteNames(t *testing.T) {
	for s := range NumSites {
		back, err := ParseSite(s.String())
		if err != nil || back != s {
			t.Fatalf("ParseSite(%q) = %v, %v", s.String(), back, err)
		}
	}
	if _, err := ParseSite("nope"); err == nil {
		t.Fatal("unknown site accepted")
	}
}

func glibc(t *testing.T) *alloc.Allocator {
	t.Helper()
	a, err := alloc.New("glibc", alloc.Options{Reserve: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// TestHeapResident checks the glibc heap's resident figure for buffers
// worked out by hand. A 4 MiB copy is above the 128 KiB mmap threshold: a
// mapping of ALIGN_UP(4 MiB + 16, 4096) = 4198400 bytes, all written. A Vec
// grown 64 KiB → 128 KiB → 256 KiB, holding 200,000 bytes at the end: 64
// KiB (65,552-byte chunk) comes from the heap, whose first sbrk takes the
// chunk, the 128 KiB top pad and MINSIZE, page-rounded: 200,704 bytes;
// writing its 65,536 bytes makes 17 pages resident (the header page
// included). Growing to 128 KiB extends it into the top in place: 32 more
// pages as the Vec fills it. 256 KiB is above the threshold: a new mapping
// of 266,240 bytes, the 131,072 bytes held memcpy'd into it and the heap
// chunk freed into the top. The 200,000 bytes held then fill 49 of its 65
// pages (the header is in the first). The heap keeps its 33 written pages
// (the top is below the trim threshold).
func TestHeapResident(t *testing.T) {
	var c Counter
	a := glibc(t)
	h := NewHeap(a, &c, nil)
	src := make([]byte, 4<<20)
	cp := Copy(h, PeerCopy, src)
	if got := a.Resident(); got != 4198400 {
		t.Fatalf("after a 4 MiB copy: resident %d, want 4198400", got)
	}
	g := Growth{Len: 200_000, Steps: []Step{{64 << 10, 0}, {128 << 10, 64 << 10}, {256 << 10, 128 << 10}}}
	v := NewVec(h, Encode, g)
	want := int64(4198400 + 33*4096 + 49*4096)
	if got := a.Resident(); got != want {
		t.Errorf("after the Vec: resident %d, want %d", got, want)
	}
	if c.Live(Encode) != 256<<10 || c.Allocated(Encode) != (64+128+256)<<10 {
		t.Errorf("encode live %d allocated %d", c.Live(Encode), c.Allocated(Encode))
	}
	v.B = append(v.B, src[:200_000]...) // the bytes the Vec holds
	cp.Release()                        // munmap: its pages go back
	v.Release()
	if got := a.Resident(); got != 33*4096 {
		t.Errorf("after both are dropped: resident %d, want the heap's 33 pages", got)
	}
}

// TestHeapLimitKills checks that the allocation that takes the client's
// resident memory to the limit ends the run: the hook sees the figure,
// then the allocating goroutine panics with Killed.
func TestHeapLimitKills(t *testing.T) {
	a := glibc(t)
	h := NewHeap(a, nil, nil)
	var seen int64
	h.SetLimit(10<<20, 1<<20, func(r int64) { seen = r })
	src := make([]byte, 4<<20)
	first := Copy(h, PeerCopy, src) // 1 MiB + 4198400: under 10 MiB
	defer first.Release()
	second := Copy(h, PeerCopy, src) // 9,445,376: still under
	defer second.Release()
	func() {
		defer func() {
			k, ok := recover().(Killed)
			if !ok || k.Resident != 1<<20+3*4198400 || k.Limit != 10<<20 || seen != k.Resident {
				t.Fatalf("recovered %v, hook saw %d", k, seen)
			}
			var err error = k
			if !errors.As(err, &Killed{}) {
				t.Fatal("Killed is not an error")
			}
		}()
		Copy(h, PeerCopy, src) // 13,643,776: over
		t.Fatal("the third copy was not killed")
	}()
}
