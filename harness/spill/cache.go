package spill

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/fanbench/fanbench/harness/xorname"
	"github.com/fanbench/fanbench/internal/quantity"
)

const (
	manifestName  = "manifest.json"
	badName       = ".bad"
	entryPrefix   = "cache_"
	stagingPrefix = "staging_"
	trashPrefix   = "trash_"
)

// DefaultMax is the cache's size cap when none is set, in bytes: 8 GiB.
// It holds the spills of every built-in scenario at once (their upper
// bounds add up to about 6.8 GiB, mostly merkle-4gb's 4 GiB source, whose
// re-encryption costs minutes per run), so the built-in suite never
// re-encrypts, while a disk stays bounded to a known share (a tenth of a
// 80 GB disk). cmd/fanbench's tests check the sum against this cap.
const DefaultMax int64 = 8 << 30

// MaxEnv is the environment variable that overrides DefaultMax, as a byte
// size with an optional unit ("2GiB", "500MB"); 0 keeps nothing. Child
// processes inherit it, which is how a run's cap reaches the uploader.
const MaxEnv = "FANBENCH_CACHE_MAX"

// MaxFromEnv returns the cap MaxEnv sets, or DefaultMax when it is unset or
// empty. A value that is not a byte size is an error naming the variable.
func MaxFromEnv() (int64, error) {
	v := strings.TrimSpace(os.Getenv(MaxEnv))
	if v == "" {
		return DefaultMax, nil
	}
	n, err := quantity.ParseBytes(v)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", MaxEnv, err)
	}
	return n, nil
}

// Cache holds finished spills under Root, one directory per key, within a
// size cap. A Cache value holds no state of its own: several processes may
// use one Root at once.
//
// An entry cache_<hash of key> holds the chunk files, named by hex address
// as in a Dir, and manifest.json, whose modification time is the entry's
// last use. Every process using an entry holds a shared flock(2) on its
// directory until Dir.Close; an entry is removed only under an exclusive
// lock taken without waiting, after a rename out of the way, so an entry
// in use is never removed and a process killed while using one leaves no
// lock behind.
type Cache struct {
	// Root is the cache directory; see DefaultBase.
	Root string
	// Max caps the total size of the entries, in bytes. Get evicts the
	// least recently used entries to stay within it, and a spill larger
	// than Max is not kept. Zero keeps nothing; see DefaultMax and
	// MaxFromEnv.
	Max int64
	// Now is the clock last uses are recorded with; nil means time.Now.
	Now func() time.Time
}

func (c Cache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c Cache) dir(key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(c.Root, entryPrefix+hex.EncodeToString(sum[:12]))
}

// Outcome says what Get did besides returning the spill.
type Outcome struct {
	// Cached says the spill came from the cache: no fill ran.
	Cached bool
	// Kept says the spill is a cache entry (found or published) rather
	// than a private one that Close removes.
	Kept bool
	// Reaped is the number of crash leftovers removed.
	Reaped int
	// Evicted lists the entries removed to respect Max or to free disk.
	Evicted []Entry
	// Warnings are what the user must hear about: a damaged entry that was
	// rebuilt, a spill too large to keep. Each is one line naming the entry.
	Warnings []string
}

// Get returns the spill for key: the cached one if it is sound, or a new
// one that fill writes (it returns the caller's metadata for the manifest).
//
// The steps:
//  1. Crash leftovers under Root are reaped (Reap), on every call, hit or
//     miss.
//  2. The entry for key, if any, is checked in full: the manifest's
//     checksum, then every chunk hashed with BLAKE3 against its address.
//     A sound entry is returned and its last use recorded. A damaged one
//     is removed (or, while another process uses it, marked bad so that
//     the next Get rebuilds it) and a warning says which entry and why.
//  3. Entries not in use are evicted, bad ones first, then the least
//     recently used, until the disk has need bytes + FreeSpaceMargin free.
//  4. fill writes a staging spill and its manifest is written. Entries are
//     evicted as in step 3 until the spill's real size (need is only a
//     bound) fits under Max with the others, and the entry is published by
//     an atomic rename, so a crash never leaves a half-built entry that a
//     later run would trust. A spill larger than Max, or one whose key
//     another process published first, stays private: Close removes it.
//
// need is an upper bound of the spill's size in bytes. The caller must
// Close the Dir: that releases the entry (or removes a private spill).
func (c Cache) Get(key string, need int64, fill func(*Dir) ([]byte, error)) (*Dir, Manifest, Outcome, error) {
	var out Outcome
	if err := os.MkdirAll(c.Root, 0o700); err != nil {
		return nil, Manifest{}, out, fmt.Errorf("spill: cache root: %w", err)
	}
	n, err := Reap(c.Root, MaxAge)
	out.Reaped = n
	if err != nil {
		return nil, Manifest{}, out, err
	}
	d, m, bad, err := c.lookup(key)
	if err != nil {
		return nil, Manifest{}, out, err
	}
	if d != nil {
		out.Cached, out.Kept = true, true
		return d, m, out, nil
	}
	if bad != "" {
		out.Warnings = append(out.Warnings, fmt.Sprintf("spill cache %s (%s): %s; rebuilt", c.dir(key), key, bad))
	}
	// Room on the disk now; room under the cap once the spill's real size
	// is known (need is only a bound).
	out.Evicted, err = c.makeRoom(0, need, c.dir(key))
	if err != nil {
		return nil, Manifest{}, out, err
	}
	d, m, kept, err := c.build(key, need, fill, &out.Evicted)
	if err != nil {
		return nil, Manifest{}, out, err
	}
	out.Kept = kept
	if n, _, _ := usage(d.Path()); !kept && n > c.Max {
		out.Warnings = append(out.Warnings, fmt.Sprintf("spill cache %s: a spill of %d bytes is larger than the cache cap of %d bytes (%s); not kept", c.Root, n, c.Max, MaxEnv))
	}
	return d, m, out, nil
}

// lookup returns the sound entry for key, locked shared, or d nil: with
// bad empty when there is no entry, or saying why the entry was dropped.
func (c Cache) lookup(key string) (d *Dir, m Manifest, bad string, err error) {
	path := c.dir(key)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Manifest{}, "", nil
	}
	if err != nil {
		return nil, Manifest{}, "", fmt.Errorf("spill: cache %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH); err != nil {
		f.Close()
		return nil, Manifest{}, "", fmt.Errorf("spill: lock %s: %w", path, err)
	}
	if !samePath(f, path) {
		f.Close() // evicted while we waited for the lock
		return nil, Manifest{}, "", nil
	}
	m, bad = check(path, key, true)
	if bad != "" {
		drop(f, path, bad)
		return nil, Manifest{}, bad, nil
	}
	t := c.now()
	os.Chtimes(filepath.Join(path, manifestName), t, t) // last use; best effort
	d = &Dir{path: path, lock: f, addrs: m.Addresses, bytes: m.Bytes, seen: make(map[xorname.Name]struct{}, len(m.Addresses))}
	for _, a := range m.Addresses {
		d.seen[a] = struct{}{}
	}
	return d, m, "", nil
}

// samePath reports whether the open directory f is still at path.
func samePath(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(path)
	return err == nil && os.SameFile(a, b)
}

// drop removes the damaged entry at path, whose directory f holds locked
// shared, if no other process uses it; otherwise it marks it bad with
// reason so the next lookup drops it without hashing. It closes f.
func drop(f *os.File, path, reason string) {
	defer f.Close()
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
		remove(path)
		return
	}
	os.WriteFile(filepath.Join(path, badName), []byte(reason+"\n"), 0o600)
}

// remove renames the directory at path out of the way and removes it. The
// caller holds its exclusive lock.
func remove(path string) error {
	trash := filepath.Join(filepath.Dir(path), trashPrefix+randomHex())
	if err := os.Rename(path, trash); err != nil {
		return err
	}
	return os.RemoveAll(trash)
}

func randomHex() string {
	var r [6]byte
	rand.Read(r[:]) // never fails (crypto/rand, Go ≥ 1.24)
	return hex.EncodeToString(r[:])
}

// evict removes the entry e unless a process uses it, and says whether it
// did.
func (c Cache) evict(e Entry) bool {
	path := filepath.Join(c.Root, e.Name)
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil || !samePath(f, path) {
		return false
	}
	return remove(path) == nil
}

// makeRoom evicts entries other than the one at keep, bad ones first, then
// the least recently used, until fit more bytes fit under Max and the file
// system has disk bytes + FreeSpaceMargin free, or nothing more can go.
func (c Cache) makeRoom(fit, disk int64, keep string) ([]Entry, error) {
	total, cands, err := c.evictable(keep)
	if err != nil {
		return nil, err
	}
	var evicted []Entry
	for _, e := range cands {
		if total+fit <= c.Max && checkFree(c.Root, disk) == nil {
			break
		}
		if c.evict(e) {
			total -= e.Bytes
			evicted = append(evicted, e)
		}
	}
	return evicted, nil
}

// evictable returns the total size of the entries in bytes, and the
// entries that may be evicted (not in use, not the one at path keep) in
// the order they are to go.
func (c Cache) evictable(keep string) (total int64, cands []Entry, err error) {
	entries, err := c.Entries()
	if err != nil {
		return 0, nil, err
	}
	for _, e := range entries {
		if e.Status != StatusOK && e.Status != StatusBad {
			continue
		}
		total += e.Bytes
		if filepath.Join(c.Root, e.Name) != keep && !e.InUse {
			cands = append(cands, e)
		}
	}
	evictOrder(cands)
	return total, cands, nil
}

// evictOrder sorts entries in the order they are evicted: bad ones first,
// then by last use, oldest first, then by name.
func evictOrder(es []Entry) {
	slices.SortFunc(es, func(a, b Entry) int {
		if ab, bb := a.Status == StatusBad, b.Status == StatusBad; ab != bb {
			if ab {
				return -1
			}
			return 1
		}
		if c := a.LastUsed.Compare(b.LastUsed); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
}

// build creates a staging spill for key, calls fill to put the chunks into
// it and writes the manifest; it then publishes the entry by renaming it
// into place, unless the spill is larger than Max or another process
// published the key first: then it stays private. A failed fill removes
// the staging directory. Entries it evicts to fit the spill are added to
// evicted.
func (c Cache) build(key string, need int64, fill func(*Dir) ([]byte, error), evicted *[]Entry) (d *Dir, m Manifest, kept bool, err error) {
	if err := checkFree(c.Root, need); err != nil {
		return nil, Manifest{}, false, err
	}
	staging := filepath.Join(c.Root, stagingPrefix+randomHex())
	if err := os.Mkdir(staging, 0o700); err != nil {
		return nil, Manifest{}, false, fmt.Errorf("spill: staging directory: %w", err)
	}
	if err := writeLock(staging); err != nil {
		os.RemoveAll(staging)
		return nil, Manifest{}, false, err
	}
	// The shared lock follows the directory through the rename, so the
	// entry is in use from the moment it is published.
	f, err := os.Open(staging)
	if err == nil {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_SH)
	}
	if err != nil {
		if f != nil {
			f.Close()
		}
		os.RemoveAll(staging)
		return nil, Manifest{}, false, fmt.Errorf("spill: lock %s: %w", staging, err)
	}
	d = &Dir{path: staging, owned: true, lock: f, seen: make(map[xorname.Name]struct{})}
	meta, err := fill(d)
	if err != nil {
		d.Close()
		return nil, Manifest{}, false, err
	}
	m = Manifest{Schema: manifestSchema, Key: key, Addresses: d.addrs, Bytes: d.bytes, Meta: meta}
	b, err := encodeManifest(m)
	if err == nil {
		err = os.WriteFile(filepath.Join(staging, manifestName), b, 0o600)
	}
	if err != nil {
		d.Close()
		return nil, Manifest{}, false, fmt.Errorf("spill: manifest: %w", err)
	}
	m.Sum = m.sum()
	size, _, _ := usage(staging) // chunks and manifest, as Entries counts
	if size > c.Max {
		return d, m, false, nil
	}
	ev, err := c.makeRoom(size, 0, staging)
	*evicted = append(*evicted, ev...)
	if err != nil {
		d.Close()
		return nil, Manifest{}, false, err
	}
	final := c.dir(key)
	if err := os.Rename(staging, final); err != nil {
		// Another process published the key first, or a damaged entry
		// that is still in use holds the name: keep ours private.
		return d, m, false, nil
	}
	os.Remove(filepath.Join(final, lockName))
	t := c.now()
	os.Chtimes(filepath.Join(final, manifestName), t, t)
	d.path, d.owned = final, false
	return d, m, true, nil
}
