package buffer

import (
	"sync"
	"testing"
)

func TestCounterLivePeak(t *testing.T) {
	var c Counter
	a := New(&c, SpillRead, 10, 16, 0)
	b := New(&c, Encode, 100, 128, 248) // grown 8+16+32+64+128
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
	if c.Peak(Encode) != 128 || c.Allocated(Encode) != 248 || c.Allocated(SpillRead) != 16 {
		t.Fatalf("encode peak %d alloc %d, chunk alloc %d", c.Peak(Encode), c.Allocated(Encode), c.Allocated(SpillRead))
	}
}

func TestPeerStoreIsNotClient(t *testing.T) {
	var c Counter
	b := New(&c, PeerStore, 64, 64, 0)
	defer b.Release()
	if c.TotalLive() != 0 || c.Live(PeerStore) != 64 {
		t.Fatalf("total %d, peer-store %d; want 0 and 64", c.TotalLive(), c.Live(PeerStore))
	}
}

func TestCopyIsExactSize(t *testing.T) {
	var c Counter
	src := make([]byte, 1000, 4096)
	src[999] = 7
	b := Copy(&c, PeerCopy, src)
	if cap(b.B) != 1000 || b.B[999] != 7 || c.Live(PeerCopy) != 1000 {
		t.Fatalf("cap %d last %d live %d", cap(b.B), b.B[999], c.Live(PeerCopy))
	}
	b.Release()
}

func TestDoubleReleasePanics(t *testing.T) {
	b := New(nil, Encode, 1, 1, 0)
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
	var wg sync.WaitGroup
	hold := make(chan struct{})
	const n = 16
	ready := make(chan struct{}, n)
	for range n {
		wg.Go(func() {
			b := New(&c, WireFrame, 1024, 1024, 0)
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
