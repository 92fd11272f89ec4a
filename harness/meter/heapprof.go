package meter

import (
	"io"
	"math"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/google/pprof/profile"
)

// HeapSnapshot holds the runtime's heap profile records as of one moment,
// in memory allocated ahead, so taking one on the measured path allocates
// nothing (runtime/pprof's writer builds and gzips a profile on every call,
// about a megabyte each time). Write turns a snapshot into a pprof profile
// afterwards.
type HeapSnapshot struct {
	recs []runtime.MemProfileRecord
	n    int
	at   time.Time
}

// NewHeapSnapshot returns a snapshot with room for n records.
func NewHeapSnapshot(n int) *HeapSnapshot {
	return &HeapSnapshot{recs: make([]runtime.MemProfileRecord, max(n, 64))}
}

// Take records the heap profile now. The caller should run runtime.GC
// first: the runtime's records describe the heap as of the last completed
// collection. Take grows the snapshot only when the records no longer fit.
func (h *HeapSnapshot) Take() {
	for {
		n, ok := runtime.MemProfile(h.recs, false)
		if ok {
			h.n, h.at = n, time.Now()
			return
		}
		h.recs = make([]runtime.MemProfileRecord, n+n/4+64)
	}
}

// CopyFrom makes h a copy of src, reusing h's memory when it fits.
func (h *HeapSnapshot) CopyFrom(src *HeapSnapshot) {
	if cap(h.recs) < src.n {
		h.recs = make([]runtime.MemProfileRecord, len(src.recs))
	}
	h.recs = h.recs[:max(len(h.recs), src.n)]
	copy(h.recs, src.recs[:src.n])
	h.n, h.at = src.n, src.at
}

// Empty reports whether nothing was taken.
func (h *HeapSnapshot) Empty() bool { return h.n == 0 }

// Write writes the snapshot as a gzipped pprof heap profile, with the
// sample types go tool pprof expects of a Go heap profile (alloc_objects,
// alloc_space, inuse_objects, inuse_space; inuse_space by default). rate is
// the runtime.MemProfileRate the records were taken at; values are scaled
// up by the probability that an allocation of their average size was
// sampled, as the runtime's own writer does.
func (h *HeapSnapshot) Write(w io.Writer, rate int) error {
	p := &profile.Profile{
		SampleType: []*profile.ValueType{
			{Type: "alloc_objects", Unit: "count"},
			{Type: "alloc_space", Unit: "bytes"},
			{Type: "inuse_objects", Unit: "count"},
			{Type: "inuse_space", Unit: "bytes"},
		},
		DefaultSampleType: "inuse_space",
		PeriodType:        &profile.ValueType{Type: "space", Unit: "bytes"},
		Period:            int64(rate),
		TimeNanos:         h.at.UnixNano(),
	}
	// One mapping for the program, already symbolised, so pprof needs
	// neither the binary nor its addresses.
	exe, _ := os.Executable()
	m := &profile.Mapping{ID: 1, File: exe, HasFunctions: true, HasFilenames: true, HasLineNumbers: true}
	p.Mapping = []*profile.Mapping{m}
	locs := map[uintptr]*profile.Location{}
	funcs := map[string]*profile.Function{}
	for _, r := range h.recs[:h.n] {
		ao, ab := scale(r.AllocObjects, r.AllocBytes, rate)
		io, ib := scale(r.InUseObjects(), r.InUseBytes(), rate)
		s := &profile.Sample{Value: []int64{ao, ab, io, ib}}
		for _, pc := range userStack(r.Stack()) {
			loc := locs[pc]
			if loc == nil {
				loc = location(p, pc, funcs)
				loc.Mapping = m
				locs[pc] = loc
			}
			s.Location = append(s.Location, loc)
		}
		p.Sample = append(p.Sample, s)
	}
	return p.Write(w)
}

// userStack drops the runtime's own frames (mallocgc, makeslice…) from the
// leaf end of an allocation stack, so the leaf is the code that allocated.
func userStack(stk []uintptr) []uintptr {
	for i, pc := range stk {
		f := runtime.FuncForPC(pc)
		if f == nil || !(strings.HasPrefix(f.Name(), "runtime.") || strings.HasPrefix(f.Name(), "internal/runtime/")) {
			return stk[i:]
		}
	}
	return stk
}

// location symbolises one return address, with its inlined frames, as a
// pprof location.
func location(p *profile.Profile, pc uintptr, funcs map[string]*profile.Function) *profile.Location {
	loc := &profile.Location{ID: uint64(len(p.Location) + 1), Address: uint64(pc)}
	// Stack holds return addresses; pc-1 lands inside the call.
	frames := runtime.CallersFrames([]uintptr{pc})
	for {
		f, more := frames.Next()
		if f.Function != "" {
			fn := funcs[f.Function]
			if fn == nil {
				fn = &profile.Function{ID: uint64(len(p.Function) + 1), Name: f.Function, SystemName: f.Function, Filename: f.File}
				funcs[f.Function] = fn
				p.Function = append(p.Function, fn)
			}
			loc.Line = append(loc.Line, profile.Line{Function: fn, Line: int64(f.Line)})
		}
		if !more {
			break
		}
	}
	p.Location = append(p.Location, loc)
	return loc
}

// scale estimates the true count and size behind sampled ones: an
// allocation of s bytes is sampled with probability 1 − e^(−s/rate).
func scale(count, size int64, rate int) (int64, int64) {
	if count == 0 || size == 0 || rate <= 1 {
		return count, size
	}
	avg := float64(size) / float64(count)
	f := 1 / (1 - math.Exp(-avg/float64(rate)))
	return int64(float64(count) * f), int64(float64(size) * f)
}
