package meter

import (
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/result"
)

// MaxPoints bounds a timeline's length.
const MaxPoints = 1024

// Live is an exact buffer.Meter with a peak, its moment and a timeline,
// and the record of every client buffer's life, so the buffers live at the
// peak can be written as a profile (PeakProfile). Its methods are safe for
// concurrent use; Acquire and Release take one mutex, and allocate only
// to grow the record of buffers and to keep a call stack seen for the first
// time.
type Live struct {
	now   func() time.Duration // simulated time
	start time.Time            // real time at New

	mu        sync.Mutex
	live      [buffer.NumSites]int64
	sitePeak  [buffer.NumSites]int64
	allocated [buffer.NumSites]int64
	total     int64
	peak      int64
	peakSim   time.Duration
	peakReal  time.Duration
	atPeak    [buffer.NumSites]int64

	// The timeline: bucket i covers simulated time [i·width, (i+1)·width)
	// and keeps its highest point, at the exact moment it was reached.
	width   time.Duration
	buckets [MaxPoints]bucket
	n       int // buckets in use

	// Every client buffer's life that a peak profile may still hold: seq
	// counts the Acquire and Release calls; a buffer was live at the peak
	// when its acquire came at or before peakSeq and its release after.
	// The records of buffers in no profile are dropped as the slice fills
	// (dropRecords), so it holds about the buffers live now and at the peak.
	records []record
	pos     []int32               // dropRecords' scratch
	index   map[*buffer.Buf]int32 // live buffers' records
	stacks  stacks
	seq     uint64
	peakSeq uint64
}

// record is one client buffer's life.
type record struct {
	site     buffer.Site
	cap      int64
	stack    int32  // in Live.stacks
	from, to uint64 // Live.seq at its acquire and release; to is 0 while live
}

// bucket is one interval of the timeline: its highest total, when that
// was first reached (exact simulated time), and the sites then.
type bucket struct {
	max   int64
	at    time.Duration
	sites [buffer.NumSites]int64
}

var _ buffer.Meter = (*Live)(nil)

// NewLive returns a counter whose moments are read from now (simulated
// time since the phase began, e.g. a netsim clock's Now). The first
// timeline interval is width; it doubles as the run outgrows MaxPoints.
func NewLive(now func() time.Duration, width time.Duration) *Live {
	if width <= 0 {
		width = time.Millisecond
	}
	return &Live{now: now, start: time.Now(), width: width, index: map[*buffer.Buf]int32{}, stacks: newStacks()}
}

// Acquire implements buffer.Meter.
func (l *Live) Acquire(b *buffer.Buf, alloc int64) {
	s := b.Site()
	var pcs [maxDepth]uintptr
	var depth int
	if s.Client() {
		depth = runtime.Callers(2, pcs[:]) // from the Heap's acquire upwards
	}
	l.mu.Lock()
	l.allocated[s] += alloc
	if s.Client() {
		l.seq++
		if len(l.records) == cap(l.records) {
			l.dropRecords()
		}
		l.index[b] = int32(len(l.records))
		l.records = append(l.records, record{site: s, cap: b.Cap(), stack: l.stacks.id(pcs, depth), from: l.seq})
	}
	l.change(s, b.Cap())
	l.mu.Unlock()
}

// Release implements buffer.Meter.
func (l *Live) Release(b *buffer.Buf) {
	s := b.Site()
	l.mu.Lock()
	if s.Client() {
		l.seq++
		if i, ok := l.index[b]; ok {
			l.records[i].to = l.seq
			delete(l.index, b)
		}
	}
	l.change(s, -b.Cap())
	l.mu.Unlock()
}

// dropRecords drops the records of buffers that no profile can hold: those
// released before the peak, and those acquired after it and released
// since (a later peak comes after their release). If fewer than half go,
// it makes room for as many again, so that compacting costs O(1) per
// record. l.mu is held.
func (l *Live) dropRecords() {
	if len(l.pos) < len(l.records) {
		l.pos = make([]int32, cap(l.records))
	}
	n := 0
	for i, r := range l.records {
		if r.to != 0 && (r.to <= l.peakSeq || r.from > l.peakSeq) {
			continue
		}
		l.pos[i] = int32(n)
		l.records[n] = r
		n++
	}
	for b, i := range l.index {
		l.index[b] = l.pos[i]
	}
	l.records = l.records[:n]
	if 2*n > cap(l.records) {
		l.records = slices.Grow(l.records, cap(l.records))
	}
}

// change applies a delta of site s; l.mu is held.
func (l *Live) change(s buffer.Site, d int64) {
	client := s.Client()
	var t time.Duration
	if client {
		t = l.now()
		l.advance(t)
	}
	l.live[s] += d
	if l.live[s] > l.sitePeak[s] {
		l.sitePeak[s] = l.live[s]
	}
	if !client {
		return
	}
	l.total += d
	if l.total > l.peak {
		l.peak = l.total
		l.peakSim = t
		l.peakReal = time.Since(l.start)
		l.atPeak = l.live
		l.peakSeq = l.seq
	}
	if b := &l.buckets[l.n-1]; l.total > b.max {
		b.max, b.at, b.sites = l.total, t, l.live
	}
}

// advance opens the timeline's intervals up to simulated time t; intervals
// with no event carry the level as it stood.
func (l *Live) advance(t time.Duration) {
	i := int(t / l.width)
	for i >= MaxPoints {
		l.compact()
		i = int(t / l.width)
	}
	for l.n <= i {
		l.buckets[l.n] = bucket{max: l.total, at: time.Duration(l.n) * l.width, sites: l.live}
		l.n++
	}
}

// compact merges neighbouring intervals, keeping the higher, and doubles
// the width.
func (l *Live) compact() {
	m := (l.n + 1) / 2
	for j := 0; j < m; j++ {
		a := l.buckets[2*j]
		if 2*j+1 < l.n && l.buckets[2*j+1].max > a.max {
			a = l.buckets[2*j+1]
		}
		l.buckets[j] = a
	}
	l.n = m
	l.width *= 2
}

// Total returns the live bytes of all client sites now.
func (l *Live) Total() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

// Peak returns the highest total seen, in bytes.
func (l *Live) Peak() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.peak
}

// Figures returns everything counted, as a result.Live.
func (l *Live) Figures() result.Live {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := result.Live{
		Peak:      l.peak,
		PeakSim:   int64(l.peakSim),
		PeakReal:  int64(l.peakReal),
		AtPeak:    map[string]int64{},
		SitePeaks: map[string]int64{},
		Allocated: map[string]int64{},
	}
	var sites []buffer.Site
	for s := range buffer.NumSites {
		if l.sitePeak[s] == 0 && l.allocated[s] == 0 {
			continue
		}
		sites = append(sites, s)
		f.Sites = append(f.Sites, s.String())
		f.AtPeak[s.String()] = l.atPeak[s]
		f.SitePeaks[s.String()] = l.sitePeak[s]
		f.Allocated[s.String()] = l.allocated[s]
	}
	f.Timeline = make([]result.Point, l.n)
	for i := range l.n {
		b := &l.buckets[i]
		p := result.Point{T: int64(b.at), V: b.max, Sites: make([]int64, len(sites))}
		for j, s := range sites {
			p.Sites[j] = b.sites[s]
		}
		f.Timeline[i] = p
	}
	return f
}
