package alloc

import "fmt"

// extents is the free address space of a range [lo, hi), as a sorted list
// of disjoint free intervals. It places mappings the way the kernel does
// (top-down: the highest gap that fits, as unmapped_area_topdown) or the way
// an arena's slice bitmap does (lowest first). Units are the caller's
// (bytes, page-aligned). Not safe for concurrent use.
type extents struct {
	lo, hi int64
	free   []extent // sorted by start, never adjacent, never empty
}

type extent struct{ start, end int64 }

func newExtents(lo, hi int64) extents {
	return extents{lo: lo, hi: hi, free: []extent{{lo, hi}}}
}

// top takes n units from the top of the highest free interval that holds them.
func (e *extents) top(n int64) (int64, bool) {
	for i := len(e.free) - 1; i >= 0; i-- {
		if f := e.free[i]; f.end-f.start >= n {
			e.take(i, f.end-n, f.end)
			return f.end - n, true
		}
	}
	return 0, false
}

// low takes n units from the start of the lowest free interval that holds them.
func (e *extents) low(n int64) (int64, bool) {
	for i, f := range e.free {
		if f.end-f.start >= n {
			e.take(i, f.start, f.start+n)
			return f.start, true
		}
	}
	return 0, false
}

// grow extends the taken interval [start, start+old) in place to
// [start, start+nw) if the units after it are free.
func (e *extents) grow(start, old, nw int64) bool {
	at := start + old
	for i, f := range e.free {
		if f.start == at {
			if f.end-f.start < nw-old {
				return false
			}
			e.take(i, at, start+nw)
			return true
		}
		if f.start > at {
			break
		}
	}
	return false
}

// take removes [s, t) from free interval i, which contains it.
func (e *extents) take(i int, s, t int64) {
	f := e.free[i]
	switch {
	case s == f.start && t == f.end:
		e.free = append(e.free[:i], e.free[i+1:]...)
	case s == f.start:
		e.free[i].start = t
	case t == f.end:
		e.free[i].end = s
	default:
		e.free = append(e.free, extent{})
		copy(e.free[i+2:], e.free[i+1:])
		e.free[i] = extent{f.start, s}
		e.free[i+1] = extent{t, f.end}
	}
}

// put returns [start, start+n) to the free space, merging with neighbours.
// Returning units that are already free is a bug of the caller.
func (e *extents) put(start, n int64) {
	end := start + n
	i := 0
	for i < len(e.free) && e.free[i].start < start {
		i++
	}
	if (i > 0 && e.free[i-1].end > start) || (i < len(e.free) && e.free[i].start < end) || start < e.lo || end > e.hi {
		panic(fmt.Sprintf("alloc: freeing [%d,%d) that is not taken", start, end))
	}
	left := i > 0 && e.free[i-1].end == start
	right := i < len(e.free) && e.free[i].start == end
	switch {
	case left && right:
		e.free[i-1].end = e.free[i].end
		e.free = append(e.free[:i], e.free[i+1:]...)
	case left:
		e.free[i-1].end = end
	case right:
		e.free[i].start = start
	default:
		e.free = append(e.free, extent{})
		copy(e.free[i+1:], e.free[i:])
		e.free[i] = extent{start, end}
	}
}

// isFree reports whether all of [start, start+n) is free.
func (e *extents) isFree(start, n int64) bool {
	for _, f := range e.free {
		if f.start <= start && start+n <= f.end {
			return true
		}
	}
	return false
}
