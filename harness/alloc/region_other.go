//go:build !linux

package alloc

import (
	"errors"
	"fmt"
)

// region is Linux-only: the glibc and mimalloc policies need mmap,
// madvise(MADV_DONTNEED) and mremap as Linux has them.
type region struct {
	size                  int64
	nres, nlive, returned int64
}

func mapRegion(size int64) (*region, error) {
	return nil, fmt.Errorf("alloc: mapping %d bytes: %w", size, errors.ErrUnsupported)
}

func (r *region) unmap() error                  { return nil }
func (r *region) slice(off int64, n int) []byte { panic("alloc: no region") }
func (r *region) touch(off, n int64)            { panic("alloc: no region") }
func (r *region) release(off, n int64)          { panic("alloc: no region") }
func (r *region) copy(dst, src, n int64)        { panic("alloc: no region") }
func (r *region) move(dst, src, n int64)        { panic("alloc: no region") }
func (r *region) live(lo, hi int64, d int)      { panic("alloc: no region") }
func (r *region) residentIn(off, n int64) int64 { panic("alloc: no region") }
