package spill

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/xorname"
)

// MaxAge is how old a spill directory must be before Reap removes it even
// when its owner cannot be checked: ant-client file.rs SPILL_MAX_AGE_SECS
// (L133), 24 hours.
const MaxAge = 24 * time.Hour

// FreeSpaceMargin is the share of the file size that must be free on disk
// beyond the file itself before a spill starts: ant-client file.rs L124 and
// L379-413 require size + 10 %.
const FreeSpaceMargin = 0.10

const (
	dirPrefix = "spill_"
	lockName  = ".lock"
)

// Dir is one spill directory. Put and Read are safe for concurrent use.
type Dir struct {
	path  string
	owned bool     // removed by Close
	lock  *os.File // a cache entry's directory, flock'ed shared; nil for a plain spill

	mu    sync.Mutex
	addrs []xorname.Name
	seen  map[xorname.Name]struct{}
	bytes int64
}

// DefaultBase returns the base directory spills go under when none is given:
// fanbench/spill in the user's cache directory, or in the temporary
// directory when there is no cache directory.
func DefaultBase() string {
	root, err := os.UserCacheDir()
	if err != nil {
		root = os.TempDir()
	}
	return filepath.Join(root, "fanbench", "spill")
}

// Create reaps crash leftovers under base and makes a new private spill
// directory there. need is the number of bytes the spill will hold; Create
// fails if the file system has less than need × (1 + FreeSpaceMargin) free.
func Create(base string, need int64) (*Dir, error) {
	if err := os.MkdirAll(base, 0o700); err != nil {
		return nil, fmt.Errorf("spill: base directory: %w", err)
	}
	if _, err := Reap(base, MaxAge); err != nil {
		return nil, err
	}
	if err := checkFree(base, need); err != nil {
		return nil, err
	}
	var r [6]byte
	if _, err := rand.Read(r[:]); err != nil {
		return nil, fmt.Errorf("spill: %w", err)
	}
	path := filepath.Join(base, fmt.Sprintf("%s%d_%s", dirPrefix, time.Now().Unix(), hex.EncodeToString(r[:])))
	if err := os.Mkdir(path, 0o700); err != nil {
		return nil, fmt.Errorf("spill: directory: %w", err)
	}
	if err := writeLock(path); err != nil {
		os.RemoveAll(path)
		return nil, err
	}
	return &Dir{path: path, owned: true, seen: make(map[xorname.Name]struct{})}, nil
}

// writeLock writes the lock file naming this process into dir, whole or
// not at all (a temporary file renamed into place), so that Reap never
// reads half a pid.
func writeLock(dir string) error {
	tmp := filepath.Join(dir, lockName+".tmp")
	err := os.WriteFile(tmp, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600)
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, lockName))
	}
	if err != nil {
		return fmt.Errorf("spill: lock file: %w", err)
	}
	return nil
}

func checkFree(base string, need int64) error {
	var st syscall.Statfs_t
	if err := syscall.Statfs(base, &st); err != nil {
		return nil // cannot tell; the writes will fail loudly if space runs out
	}
	free := int64(st.Bavail) * int64(st.Bsize)
	want := need + int64(float64(need)*FreeSpaceMargin)
	if free < want {
		return fmt.Errorf("spill: %s: %d bytes free, need %d (file size + %.0f%%; fanbench cache -prune -max 0 empties the spill cache)", base, free, want, FreeSpaceMargin*100)
	}
	return nil
}

// Path returns the directory's path.
func (d *Dir) Path() string { return d.path }

// Put writes one chunk's content under its address. A chunk whose address
// was already put is skipped, as ChunkSpill deduplicates by address. The
// caller keeps ownership of content.
func (d *Dir) Put(addr xorname.Name, content []byte) error {
	d.mu.Lock()
	if _, dup := d.seen[addr]; dup {
		d.mu.Unlock()
		return nil
	}
	d.seen[addr] = struct{}{}
	d.addrs = append(d.addrs, addr)
	d.bytes += int64(len(content))
	d.mu.Unlock()
	if err := os.WriteFile(filepath.Join(d.path, addr.String()), content, 0o600); err != nil {
		return fmt.Errorf("spill: write chunk %s: %w", addr.Short(), err)
	}
	return nil
}

// Addresses returns the chunk addresses in the order they were first put.
// The slice is shared; callers must not modify it.
func (d *Dir) Addresses() []xorname.Name {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.addrs
}

// Bytes returns the total size of the distinct chunks put, in bytes.
func (d *Dir) Bytes() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.bytes
}

// Size returns the size in bytes of the chunk at addr.
func (d *Dir) Size(addr xorname.Name) (int64, error) {
	st, err := os.Stat(filepath.Join(d.path, addr.String()))
	if err != nil {
		return 0, fmt.Errorf("spill: chunk %s: %w", addr.Short(), err)
	}
	return st.Size(), nil
}

// Read returns the content of the chunk at addr in a new exact-size buffer
// at site buffer.SpillRead in h. The caller owns the buffer and must
// Release it.
func (d *Dir) Read(addr xorname.Name, h *buffer.Heap) (*buffer.Buf, error) {
	f, err := os.Open(filepath.Join(d.path, addr.String()))
	if err != nil {
		return nil, fmt.Errorf("spill: read chunk %s: %w", addr.Short(), err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("spill: read chunk %s: %w", addr.Short(), err)
	}
	n := int(st.Size())
	b := buffer.New(h, buffer.SpillRead, n, n)
	b.B = b.B[:n]
	if _, err := io.ReadFull(f, b.B); err != nil {
		b.Release()
		return nil, fmt.Errorf("spill: read chunk %s: %w", addr.Short(), err)
	}
	return b, nil
}

// Close removes the directory if this Dir created it and releases a cache
// entry, which stays in place. It is safe to call more than once.
func (d *Dir) Close() error {
	var err error
	if d.owned {
		if e := os.RemoveAll(d.path); e != nil {
			err = fmt.Errorf("spill: remove %s: %w", d.path, e)
		}
		d.owned = false
	}
	if d.lock != nil {
		d.lock.Close()
		d.lock = nil
	}
	return err
}

// Reap removes spill directories under base that are left over from
// crashed runs: private spills and cache builds whose lock names a process
// that no longer exists, those older than maxAge, and cache entries whose
// eviction was cut short. Cache entries themselves are never reaped. It
// returns how many it removed.
func Reap(base string, maxAge time.Duration) (int, error) {
	entries, err := os.ReadDir(base)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("spill: reap %s: %w", base, err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		path := filepath.Join(base, e.Name())
		switch name := e.Name(); {
		case strings.HasPrefix(name, trashPrefix):
			// Renamed out of the way under an exclusive lock: nobody owns it.
		case strings.HasPrefix(name, dirPrefix) || strings.HasPrefix(name, stagingPrefix):
			if !stale(path, maxAge) {
				continue
			}
		default:
			continue
		}
		if err := os.RemoveAll(path); err == nil {
			n++
		}
	}
	return n, nil
}

// lockGrace is how long a spill directory may go without a readable lock
// before Reap takes it for a crash leftover. Its maker writes the lock
// right after making the directory; without the grace, a Reap running in
// that instant (another run's start) removed a live run's directory.
const lockGrace = time.Minute

// stale reports whether a spill directory's owner is gone or it is older
// than maxAge.
func stale(dir string, maxAge time.Duration) bool { return staleReason(dir, maxAge) != "" }

// staleReason says why a spill directory is a crash leftover, or "" when
// its owner may still be using it.
func staleReason(dir string, maxAge time.Duration) string {
	st, err := os.Stat(dir)
	if err != nil {
		return "" // gone already
	}
	age := time.Since(st.ModTime())
	if age > maxAge {
		return fmt.Sprintf("older than %v", maxAge)
	}
	b, err := os.ReadFile(filepath.Join(dir, lockName))
	pid, perr := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || perr != nil || pid <= 0 {
		// No lock (or a damaged one): a crash before the lock was
		// written, or a directory being made right now.
		if age > lockGrace {
			return "no lock"
		}
		return ""
	}
	if pid == os.Getpid() || alive(pid) {
		return ""
	}
	return fmt.Sprintf("pid %d is gone", pid)
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
