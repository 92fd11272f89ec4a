package meter

import (
	"bytes"
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/result"
	"github.com/google/pprof/profile"
)

// fakeClock is a hand-set simulated clock.
type fakeClock struct{ t time.Duration }

func (c *fakeClock) now() time.Duration { return c.t }

func TestLivePeak(t *testing.T) {
	c := &fakeClock{}
	l := NewLive(c.now, time.Second)
	h := buffer.GoHeap(l)
	a := buffer.New(h, buffer.SpillRead, 100, 100)
	c.t = 2 * time.Second
	b := buffer.NewVec(h, buffer.Encode, buffer.Growth{Len: 10, Steps: []buffer.Step{{Cap: 8}, {Cap: 16, Len: 8}, {Cap: 32, Len: 16}, {Cap: 64, Len: 32}}})
	p := buffer.New(h, buffer.PeerStore, 1000, 1000) // not the client's
	c.t = 3 * time.Second
	b.Release()
	c.t = 5500 * time.Millisecond
	d := buffer.New(h, buffer.PeerCopy, 50, 50)
	a.Release()
	d.Release()
	p.Release()

	f := l.Figures()
	if f.Peak != 164 || f.PeakSim != int64(2*time.Second) {
		t.Fatalf("peak %d at %v, want 164 at 2s", f.Peak, time.Duration(f.PeakSim))
	}
	if f.AtPeak["chunk"] != 100 || f.AtPeak["encode"] != 64 || f.AtPeak["copy"] != 0 {
		t.Fatalf("at peak %v", f.AtPeak)
	}
	if f.SitePeaks["copy"] != 50 || f.SitePeaks["peer-store"] != 1000 || f.Allocated["encode"] != 120 {
		t.Fatalf("site peaks %v allocated %v", f.SitePeaks, f.Allocated)
	}
	// One-second intervals, each with its highest point and when it was
	// reached: 0s 100, 1s 100 (carried), 2s 164, 3s 164 (carried, then
	// 100), 4s 100, 5.5s 150.
	want := []struct {
		v  int64
		at time.Duration
	}{{100, 0}, {100, time.Second}, {164, 2 * time.Second}, {164, 3 * time.Second}, {100, 4 * time.Second}, {150, 5500 * time.Millisecond}}
	if len(f.Timeline) != len(want) {
		t.Fatalf("timeline %v", f.Timeline)
	}
	for i, w := range want {
		if f.Timeline[i].V != w.v || f.Timeline[i].T != int64(w.at) {
			t.Errorf("point %d = %+v, want %d at %v", i, f.Timeline[i], w.v, w.at)
		}
	}
}

func TestTimelineBounded(t *testing.T) {
	c := &fakeClock{}
	l := NewLive(c.now, time.Millisecond)
	var held []*buffer.Buf
	for i := range 20_000 {
		c.t = time.Duration(i) * time.Millisecond
		held = append(held, buffer.New(buffer.GoHeap(l), buffer.Encode, 1, 1))
		if i%3 == 0 {
			held[0].Release()
			held = held[1:]
		}
	}
	f := l.Figures()
	if len(f.Timeline) > MaxPoints || len(f.Timeline) < MaxPoints/2 {
		t.Fatalf("timeline has %d points, want between %d and %d", len(f.Timeline), MaxPoints/2, MaxPoints)
	}
	top := int64(0)
	for _, p := range f.Timeline {
		top = max(top, p.V)
	}
	if top != f.Peak {
		t.Fatalf("timeline's highest point %d, peak %d", top, f.Peak)
	}
}

func TestPeakProfile(t *testing.T) {
	// Two copies and an encode buffer live at the peak; one copy made
	// before it and dropped, one made after it: neither is in the profile.
	l := NewLive(func() time.Duration { return 0 }, time.Millisecond)
	h := buffer.GoHeap(l)
	early := buffer.New(h, buffer.PeerCopy, 10, 10)
	early.Release()
	a := buffer.New(h, buffer.PeerCopy, 100, 100)
	b := buffer.New(h, buffer.PeerCopy, 100, 100)
	e := allocEncode(h) // another call site
	b.Release()
	late := buffer.New(h, buffer.PeerCopy, 50, 50)
	for _, x := range []*buffer.Buf{a, e, late} {
		x.Release()
	}
	p := l.PeakProfile()
	if err := p.CheckValid(); err != nil {
		t.Fatal(err)
	}
	flat := map[string][2]int64{}
	for _, s := range p.Sample {
		leaf := s.Location[0].Line[0].Function.Name
		v := flat[leaf]
		flat[leaf] = [2]int64{v[0] + s.Value[0], v[1] + s.Value[1]}
		if caller := s.Location[1].Line[0].Function.Name; !strings.HasSuffix(caller, "meter.TestPeakProfile") && !strings.HasSuffix(caller, "meter.allocEncode") {
			t.Errorf("%s allocated by %s, want the test or allocEncode", leaf, caller)
		}
	}
	if fmt.Sprint(flat) != "map[site.copy:[2 200] site.encode:[1 64]]" {
		t.Fatalf("profile by site %v, want 2 copies of 100 and an encode buffer of 64", flat)
	}
}

//go:noinline
func allocEncode(h *buffer.Heap) *buffer.Buf { return buffer.New(h, buffer.Encode, 64, 64) }

func TestSampler(t *testing.T) {
	s := Sampler{Interval: time.Millisecond}
	s.Start()
	start := time.Now()
	keep := make([][]byte, 0, 64)
	for range 64 {
		b := make([]byte, 1<<20)
		b[0] = 1
		keep = append(keep, b)
		time.Sleep(100 * time.Microsecond)
	}
	time.Sleep(5 * time.Millisecond)
	f := s.Stop()
	if f.PeakHeap < 64<<20 || f.AllocBytes < 64<<20 || f.AllocObjects < 64 {
		t.Fatalf("peak heap %d, allocated %d bytes in %d objects; want ≥ 64 MiB", f.PeakHeap, f.AllocBytes, f.AllocObjects)
	}
	// A 1 ms ticker over the elapsed time, allowing for a loaded machine.
	if want := int(time.Since(start)/time.Millisecond) / 10; f.Samples < want || f.PeakMapped < f.PeakHeap {
		t.Fatalf("%d samples in %v (want ≥ %d), mapped %d < heap %d", f.Samples, time.Since(start), want, f.PeakMapped, f.PeakHeap)
	}
	if top := slices.MaxFunc(f.Heap, func(a, b result.Point) int { return cmp.Compare(a.V, b.V) }); top.V != f.PeakHeap {
		t.Fatalf("heap timeline's top %d, peak %d", top.V, f.PeakHeap)
	}
	_ = keep[63][0]
}

func TestHeapSnapshot(t *testing.T) {
	keep := make([][]byte, 8)
	for i := range keep {
		keep[i] = allocForProfile(4 << 20)
	}
	runtime.GC()
	h := NewHeapSnapshot(16)
	h.Take()
	var best HeapSnapshot
	best.CopyFrom(h)
	var buf bytes.Buffer
	if err := best.Write(&buf, runtime.MemProfileRate); err != nil {
		t.Fatal(err)
	}
	p, err := profile.Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var inuse int64
	for _, s := range p.Sample {
		for _, l := range s.Location[0].Line {
			if strings.HasSuffix(l.Function.Name, "allocForProfile") {
				inuse += s.Value[3]
			}
		}
	}
	if inuse < 32<<20 || inuse > 34<<20 {
		t.Fatalf("in-use bytes at allocForProfile = %d, want 32 MiB", inuse)
	}
	runtime.KeepAlive(keep)
}

//go:noinline
func allocForProfile(n int) []byte { return make([]byte, n) }

func TestSeries(t *testing.T) {
	s := NewSeries(time.Second)
	s.Add(0, 5)
	s.Add(500*time.Millisecond, 9) // same interval: the higher stays
	s.Add(3*time.Second, 2)        // intervals 1 and 2 carry 9
	s.Add(3*time.Second+1, 1)      // lower, same interval
	want := []int64{9, 9, 9, 2}
	if got := s.Points(); len(got) != len(want) {
		t.Fatalf("points %v", got)
	}
	for i, w := range want {
		if p := s.Points()[i]; p.V != w || p.T != int64(time.Duration(i)*time.Second) {
			t.Errorf("point %d = %+v, want %d at %ds", i, p, w, i)
		}
	}
	long := NewSeries(time.Millisecond)
	for i := range 100_000 {
		long.Add(time.Duration(i)*time.Millisecond, int64(i%977))
	}
	if n := len(long.Points()); n > MaxPoints || n < MaxPoints/2 || long.Max() != 976 {
		t.Fatalf("%d points, max %d", n, long.Max())
	}
}

// TestRecordsStayBounded checks that the records of buffers no profile can
// hold are dropped: after a peak of three buffers, 10,000 short-lived ones
// (below the peak) leave about as many records as buffers live now and at
// the peak, and the peak profile still holds the peak's three.
func TestRecordsStayBounded(t *testing.T) {
	l := NewLive(func() time.Duration { return 0 }, time.Millisecond)
	h := buffer.GoHeap(l)
	a := buffer.New(h, buffer.PeerCopy, 100, 100)
	b := buffer.New(h, buffer.PeerCopy, 100, 100)
	c := buffer.New(h, buffer.PeerCopy, 100, 100)
	b.Release()
	c.Release()
	for range 10_000 {
		buffer.New(h, buffer.WireFrame, 10, 10).Release()
	}
	l.mu.Lock()
	n := len(l.records)
	l.mu.Unlock()
	if n > 64 {
		t.Errorf("%d records kept after 10,003 buffers, 1 live and 3 at the peak; want at most 64", n)
	}
	var count, bytes int64
	for _, s := range l.PeakProfile().Sample {
		count += s.Value[0]
		bytes += s.Value[1]
	}
	if count != 3 || bytes != 300 {
		t.Errorf("peak profile holds %d buffers, %d bytes; want 3, 300", count, bytes)
	}
	a.Release()
}
