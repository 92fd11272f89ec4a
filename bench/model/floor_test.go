package model_test

import (
	"syscall"
	"time"

	"github.com/zeebo/blake3"
	"golang.org/x/sys/unix"
)

// cpuTime returns the CPU time, user and system, this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// floorWork is the least work an upload phase cannot avoid, in bytes:
// the pages its client's allocator makes resident (first touch of fresh
// memory: the kernel's page faults and zeroing), the bytes the strategy
// writes into its buffers (copies, encodings, clones), and the content the
// peers hash to check each chunk's address.
type floorWork struct {
	faulted, written, hashed int64
}

// window is the memory the floor works through, reused: large enough that
// each step is many pages, small enough to stay in a corner of the machine.
const window = 64 << 20

// floor does w's work as plainly as it can be done and returns the CPU time
// it took: madvise(MADV_POPULATE_WRITE) over fresh pages then giving them
// back, memmove between two resident buffers, BLAKE3 over a buffer.
func floor(w floorWork) (time.Duration, error) {
	m, err := unix.Mmap(-1, 0, window, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return 0, err
	}
	defer unix.Munmap(m)
	unix.Madvise(m, unix.MADV_NOHUGEPAGE)
	src, dst := make([]byte, window), make([]byte, window)
	for i := range src {
		src[i] = byte(i)
	}
	copy(dst, src) // both resident before the clock starts
	start := cpuTime()
	for left := w.faulted; left > 0; left -= window {
		n := min(left, window)
		n = (n + 4095) &^ 4095
		if err := unix.Madvise(m[:n], unix.MADV_POPULATE_WRITE); err != nil {
			return 0, err
		}
		unix.Madvise(m[:n], unix.MADV_DONTNEED)
	}
	for left := w.written; left > 0; left -= window {
		copy(dst[:min(left, window)], src)
	}
	h := blake3.New()
	for left := w.hashed; left > 0; left -= window {
		h.Write(src[:min(left, window)])
	}
	h.Sum(nil)
	return cpuTime() - start, nil
}
