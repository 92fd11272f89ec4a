package alloc

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

func TestUnknownPolicy(t *testing.T) {
	_, err := New("jemalloc", Options{})
	if err == nil {
		t.Fatal("New(jemalloc) succeeded")
	}
	for _, want := range append([]string{`"jemalloc"`}, Policies()...) {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

func TestBadReserve(t *testing.T) {
	for _, r := range []int64{-1, 1 << 20} {
		if _, err := New("glibc", Options{Reserve: r}); err == nil || !strings.Contains(err.Error(), "Reserve") {
			t.Errorf("Reserve %d: err = %v, want one naming Options.Reserve", r, err)
		}
	}
}

// TestMapFailureInjected: a failing mmap is an error that says what could
// not be mapped and wraps the errno; nothing panics.
func TestMapFailureInjected(t *testing.T) {
	saved := mmapFunc
	defer func() { mmapFunc = saved }()
	mmapFunc = func(uintptr) (unsafe.Pointer, error) { return nil, unix.ENOMEM }
	for _, p := range []string{"glibc", "mimalloc"} {
		_, err := New(p, Options{Reserve: 1 << 30})
		if !errors.Is(err, syscall.ENOMEM) || !strings.Contains(err.Error(), "1073741824 bytes of address space") {
			t.Errorf("%s: err = %v, want ENOMEM naming the size", p, err)
		}
	}
	// A failure of the page tables' mapping unmaps the region again.
	calls := 0
	mmapFunc = func(n uintptr) (unsafe.Pointer, error) {
		if calls++; calls == 2 {
			return nil, unix.ENOMEM
		}
		return saved(n)
	}
	if _, err := New("glibc", Options{Reserve: 1 << 30}); !errors.Is(err, syscall.ENOMEM) || !strings.Contains(err.Error(), "page tables") {
		t.Errorf("tables: err = %v", err)
	}
}

// TestMapFailureTooLarge: more address space than the machine has.
func TestMapFailureTooLarge(t *testing.T) {
	_, err := New("glibc", Options{Reserve: 1 << 62})
	if err == nil || !strings.Contains(err.Error(), "address space") {
		t.Fatalf("err = %v, want a mapping error", err)
	}
}

// TestMapFailureRlimit runs New in a child process whose address space is
// limited with RLIMIT_AS (ulimit -v), as on a VM with a limit.
func TestMapFailureRlimit(t *testing.T) {
	if os.Getenv("ALLOC_RLIMIT_CHILD") == "1" {
		lim := &unix.Rlimit{Cur: 8 << 30, Max: 8 << 30}
		if err := unix.Setrlimit(unix.RLIMIT_AS, lim); err != nil {
			fmt.Println("setrlimit:", err)
			os.Exit(3)
		}
		_, err := New("glibc", Options{Reserve: 64 << 30})
		fmt.Println("ERR:", err, errors.Is(err, syscall.ENOMEM))
		os.Exit(0)
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMapFailureRlimit$")
	cmd.Env = append(os.Environ(), "ALLOC_RLIMIT_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	want := "ERR: alloc: policy \"glibc\": alloc: mapping 68719476736 bytes of address space (Options.Reserve): cannot allocate memory true"
	if !strings.Contains(string(out), want) {
		t.Errorf("child said:\n%s\nwant a line %q", out, want)
	}
}

// TestExhausted: a reserve too small for the request is the client's OOM,
// a returned ErrExhausted, and the allocator stays usable.
func TestExhausted(t *testing.T) {
	for _, p := range []string{"glibc", "mimalloc"} {
		a, err := New(p, Options{Reserve: 8 << 20})
		if err != nil {
			t.Fatal(err)
		}
		_, err = a.Alloc(64 << 20)
		if !errors.Is(err, ErrExhausted) {
			t.Errorf("%s: Alloc(64 MiB) in 8 MiB: err = %v, want ErrExhausted", p, err)
		}
		b, err := a.Alloc(1 << 20)
		if err != nil {
			t.Errorf("%s: Alloc(1 MiB) after the failure: %v", p, err)
		}
		_, err = a.Realloc(b, 64<<20)
		if !errors.Is(err, ErrExhausted) {
			t.Errorf("%s: Realloc to 64 MiB: err = %v, want ErrExhausted", p, err)
		}
		a.Touch(b, b.Len()) // b is still live
		a.Free(b)
		a.Close()
	}
}

func TestMisuse(t *testing.T) {
	for _, p := range Policies() {
		a, err := New(p, Options{Reserve: 64 << 20})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := a.Alloc(100)
		nb, _ := a.Realloc(b, 200)
		panics(t, p+": Touch beyond the length", func() { a.Touch(nb, 201) })
		panics(t, p+": Free of the pre-realloc block", func() { a.Free(b) })
		a.Free(nb)
		panics(t, p+": double Free", func() { a.Free(nb) })
		a.Free(Block{}) // no-op
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Alloc(1); err == nil {
			t.Errorf("%s: Alloc after Close succeeded", p)
		}
		if err := a.Close(); err != nil {
			t.Errorf("%s: second Close: %v", p, err)
		}
	}
}

func panics(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", what)
		}
	}()
	f()
}

// TestConcurrent runs goroutines that allocate, write, grow and free at
// once (run with -race), then checks the counters and the kernel's RSS.
func TestConcurrent(t *testing.T) {
	for _, p := range Policies() {
		a, err := New(p, Options{Reserve: 1 << 30})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Go(func() {
				for i := range 50 {
					n := 1000 + (g*7919+i*104729)%(600<<10)
					b, err := a.Alloc(n)
					if err != nil {
						t.Error(err)
						return
					}
					a.Touch(b, n)
					fill(b.Bytes(), byte(i))
					b, err = a.Realloc(b, 2*n)
					if err != nil {
						t.Error(err)
						return
					}
					if b.Bytes()[n-1] != byte(i) {
						t.Errorf("%s: contents lost in Realloc", p)
					}
					a.Free(b)
				}
			})
		}
		wg.Wait()
		st := a.Stats()
		if st.Live != 0 || st.LiveBlocks != 0 || st.Allocs != 200 || st.Frees != 200 || st.Reallocs != 200 {
			t.Errorf("%s: %+v", p, st)
		}
		if a.mem != nil {
			checkRSS(t, a, -1)
		}
		a.Close()
	}
}

// TestHotPathAllocs: once warm, Alloc, Touch, Realloc and Free of region
// policies allocate nothing on the Go heap.
func TestHotPathAllocs(t *testing.T) {
	for _, p := range []string{"glibc", "mimalloc"} {
		a, err := New(p, Options{Reserve: 1 << 30})
		if err != nil {
			t.Fatal(err)
		}
		cycle := func() {
			b, _ := a.Alloc(300 << 10)
			a.Touch(b, 1000)
			c, _ := a.Alloc(4 << 20)
			b, _ = a.Realloc(b, 600<<10)
			a.Free(c)
			a.Free(b)
		}
		for range 10 {
			cycle()
		}
		if n := testing.AllocsPerRun(100, cycle); n != 0 {
			t.Errorf("%s: %v Go allocations per cycle", p, n)
		}
		a.Close()
	}
}
