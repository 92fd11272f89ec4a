package meter

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/google/pprof/profile"
)

// maxDepth is the deepest call stack kept per buffer: the model's call
// chains are about 15 frames from a task's start to an allocation.
const maxDepth = 32

// stacks interns call stacks: a buffer's record keeps the index of its
// allocation stack, so the thousands of buffers of a run share a few
// dozen stacks.
type stacks struct {
	ids  map[[maxDepth]uintptr]int32
	list [][]uintptr
}

func newStacks() stacks { return stacks{ids: map[[maxDepth]uintptr]int32{}} }

// id returns the index of the stack pcs[:depth], adding it if new.
func (s *stacks) id(pcs [maxDepth]uintptr, depth int) int32 {
	if id, ok := s.ids[pcs]; ok {
		return id
	}
	id := int32(len(s.list))
	s.ids[pcs] = id
	s.list = append(s.list, append([]uintptr(nil), pcs[:depth]...))
	return id
}

// PeakProfile returns, as a pprof profile, every client buffer that was
// live at the peak of the total: one sample per buffer, valued 1 object and
// its capacity in bytes (sample types inuse_objects and inuse_space, as a
// heap profile has), its stack the call chain that allocated it under a
// leaf frame naming its site ("site.copy", "site.encode", …), labelled with
// the site. Its inuse_space total is the peak, to the byte. It returns nil
// when no client buffer was ever live.
func (l *Live) PeakProfile() *profile.Profile {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.peak == 0 {
		return nil
	}
	return l.profileAt(l.peakSeq)
}

// profileAt builds the profile of the buffers live after event at. l.mu is
// held.
func (l *Live) profileAt(at uint64) *profile.Profile {
	p := &profile.Profile{
		SampleType: []*profile.ValueType{
			{Type: "inuse_objects", Unit: "count"},
			{Type: "inuse_space", Unit: "bytes"},
		},
		DefaultSampleType: "inuse_space",
		PeriodType:        &profile.ValueType{Type: "space", Unit: "bytes"},
		Period:            1, // every buffer, not a sample
		Comments:          []string{"the modelled client's tracked buffers live at the peak of their total, from fanbench's exact tracker"},
	}
	exe, _ := os.Executable()
	m := &profile.Mapping{ID: 1, File: exe, HasFunctions: true, HasFilenames: true, HasLineNumbers: true}
	p.Mapping = []*profile.Mapping{m}
	funcs := map[string]*profile.Function{}
	function := func(name, file string) *profile.Function {
		if f, ok := funcs[name]; ok {
			return f
		}
		f := &profile.Function{ID: uint64(len(p.Function) + 1), Name: name, SystemName: name, Filename: file}
		funcs[name] = f
		p.Function = append(p.Function, f)
		return f
	}
	location := func(f *profile.Function, line int64) *profile.Location {
		loc := &profile.Location{ID: uint64(len(p.Location) + 1), Mapping: m, Line: []profile.Line{{Function: f, Line: line}}}
		p.Location = append(p.Location, loc)
		return loc
	}
	var siteLoc [buffer.NumSites]*profile.Location
	stackLocs := map[int32][]*profile.Location{}
	for _, r := range l.records {
		if r.from > at || (r.to != 0 && r.to <= at) {
			continue
		}
		if siteLoc[r.site] == nil {
			siteLoc[r.site] = location(function("site."+r.site.String(), ""), 0)
		}
		locs, ok := stackLocs[r.stack]
		if !ok {
			locs = symbolize(l.stacks.list[r.stack], function, location)
			stackLocs[r.stack] = locs
		}
		p.Sample = append(p.Sample, &profile.Sample{
			Location: append([]*profile.Location{siteLoc[r.site]}, locs...),
			Value:    []int64{1, r.cap},
			Label:    map[string][]string{"site": {r.site.String()}},
		})
	}
	return p
}

// symbolize turns a stack into locations, leaf first, dropping the frames
// of the measurement and buffer layers above the model's own call.
func symbolize(pcs []uintptr, function func(name, file string) *profile.Function, location func(*profile.Function, int64) *profile.Location) []*profile.Location {
	var locs []*profile.Location
	frames := runtime.CallersFrames(pcs)
	for {
		fr, more := frames.Next()
		if fr.Function != "" && (len(locs) > 0 || !inLayers(fr.Function)) {
			locs = append(locs, location(function(fr.Function, fr.File), int64(fr.Line)))
		}
		if !more {
			return locs
		}
	}
}

// inLayers reports whether fn is one of the buffer package's functions or
// Live's methods, which every buffer's stack starts with.
func inLayers(fn string) bool {
	for _, prefix := range []string{"/harness/buffer.", "/harness/meter.(*Live)."} {
		if strings.Contains(fn, prefix) {
			return true
		}
	}
	return false
}

// WriteProfile writes p gzipped to w.
func WriteProfile(w io.Writer, p *profile.Profile) error {
	if p == nil {
		return fmt.Errorf("meter: no profile")
	}
	return p.Write(w)
}
