//go:build linux

package alloc

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// regionRSS returns the Rss the kernel reports for the allocator's region:
// the sum of the Rss lines of every /proc/self/smaps mapping inside it (the
// region can be split into several by mremap).
func regionRSS(a *Allocator) (int64, error) {
	data, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return 0, err
	}
	lo, hi := a.mem.base(), a.mem.base()+uintptr(a.mem.size)
	var total int64
	inside := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if f := strings.Fields(line); len(f) > 0 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":") {
			s, e, ok := strings.Cut(f[0], "-")
			if !ok {
				continue
			}
			start, err1 := strconv.ParseUint(s, 16, 64)
			end, err2 := strconv.ParseUint(e, 16, 64)
			if err1 != nil || err2 != nil {
				continue
			}
			inside = uintptr(start) >= lo && uintptr(end) <= hi
			if !inside && uintptr(start) < hi && uintptr(end) > lo {
				return 0, fmt.Errorf("mapping %s straddles the region [%#x, %#x)", f[0], lo, hi)
			}
			continue
		}
		if inside && strings.HasPrefix(line, "Rss:") {
			kb, err := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("smaps: %q: %v", line, err)
			}
			total += kb << 10
		}
	}
	return total, sc.Err()
}

// checkRSS checks that the kernel's resident size of the region equals the
// model's count, page for page.
func checkRSS(t *testing.T, a *Allocator, step int) {
	t.Helper()
	got, err := regionRSS(a)
	if err != nil {
		t.Fatalf("step %d: reading the region's RSS: %v", step, err)
	}
	if want := a.Resident(); got != want {
		t.Errorf("step %d: the kernel says the region has %d bytes resident, the model %d", step, got, want)
	}
}

// TestRegionRSS touches, moves and releases pages of a bare region and
// checks the kernel agrees after each operation.
func TestRegionRSS(t *testing.T) {
	for _, noRemap := range []bool{false, true} {
		r, err := mapRegion(64 << 20)
		if err != nil {
			t.Fatal(err)
		}
		r.noRemap = noRemap
		a := &Allocator{name: "region", mem: r}
		check := func(what string, pages int64) {
			t.Helper()
			if r.nres != pages {
				t.Errorf("noRemap=%v %s: model %d pages, want %d", noRemap, what, r.nres, pages)
			}
			got, err := regionRSS(a)
			if err != nil {
				t.Fatal(err)
			}
			if got != r.nres*PageSize {
				t.Errorf("noRemap=%v %s: kernel %d bytes, model %d", noRemap, what, got, r.nres*PageSize)
			}
		}
		r.touch(100, 1)                    // page 0
		r.touch(PageSize-8, 16)            // pages 0 and 1
		r.touch(10*PageSize, 200*PageSize) // pages 10..209
		check("touch", 202)
		r.move(32<<20, 10*PageSize, 256*PageSize) // pages 10..265 → the 32 MiB mark
		check("move", 202)
		r.release(32<<20, 100*PageSize)
		check("release", 102)
		r.copy(PageSize, (32<<20)+100*PageSize, 3*PageSize) // pages 1..3: 2, 3 new
		check("copy", 104)
		if c := r.countResident(); c != r.nres {
			t.Errorf("bitmap %d pages, counter %d", c, r.nres)
		}
		r.unmap()
	}
}
