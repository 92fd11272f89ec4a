package spill

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/fanbench/fanbench/harness/xorname"
	"github.com/fanbench/fanbench/internal/quantity"
	"github.com/zeebo/blake3"
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

// check reads the entry at path and says what is wrong with it, or ""
// when nothing is: a mark left by an earlier check, a manifest that does
// not decode, is not for key (when key is not empty) or fails its
// checksum, chunk sizes that do not add up, and, when content is set, a
// chunk whose BLAKE3 hash is not its address. The manifest is returned
// whenever it decodes, so a listing can name a bad entry's key.
func check(path, key string, content bool) (Manifest, string) {
	b, err := os.ReadFile(filepath.Join(path, manifestName))
	if err != nil {
		return Manifest{}, "no readable manifest: " + err.Error()
	}
	m, err := decodeManifest(b)
	if err != nil {
		return Manifest{}, err.Error()
	}
	if b, err := os.ReadFile(filepath.Join(path, badName)); err == nil {
		return m, "marked bad: " + strings.TrimSpace(string(b))
	}
	if key != "" && m.Key != key {
		return m, fmt.Sprintf("manifest is for key %q", m.Key)
	}
	if content {
		return m, verifyChunks(path, m)
	}
	var total int64
	for _, a := range m.Addresses {
		st, err := os.Stat(filepath.Join(path, a.String()))
		if err != nil {
			return m, fmt.Sprintf("chunk %s: %v", a.Short(), err)
		}
		total += st.Size()
	}
	if total != m.Bytes {
		return m, fmt.Sprintf("chunks hold %d bytes, manifest says %d", total, m.Bytes)
	}
	return m, ""
}

// verifyChunks hashes every chunk of m under path, through one 1 MiB
// buffer, and says which chunk does not match its address, or "".
func verifyChunks(path string, m Manifest) string {
	h := blake3.New()
	buf := make([]byte, 1<<20)
	var total int64
	for _, a := range m.Addresses {
		f, err := os.Open(filepath.Join(path, a.String()))
		if err != nil {
			return fmt.Sprintf("chunk %s: %v", a.Short(), err)
		}
		h.Reset()
		n, err := io.CopyBuffer(h, f, buf)
		f.Close()
		if err != nil {
			return fmt.Sprintf("chunk %s: %v", a.Short(), err)
		}
		total += n
		var got xorname.Name
		h.Sum(got[:0])
		if got != a {
			return fmt.Sprintf("chunk %s (%d bytes): content does not match its address (BLAKE3 %s)", a.Short(), n, got.Short())
		}
	}
	if total != m.Bytes {
		return fmt.Sprintf("chunks hold %d bytes, manifest says %d", total, m.Bytes)
	}
	return ""
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

// EntryStatus is the state of a directory under a cache root.
type EntryStatus string

const (
	// StatusOK is an entry whose manifest and chunk sizes are sound (Check
	// also hashes the content).
	StatusOK EntryStatus = "ok"
	// StatusBad is an entry that a lookup will drop and rebuild.
	StatusBad EntryStatus = "bad"
	// StatusBuilding is an entry being built by a live process.
	StatusBuilding EntryStatus = "building"
	// StatusPrivate is a live run's private spill (spill_…).
	StatusPrivate EntryStatus = "private"
	// StatusLeftover is what a crashed run left: the next Reap removes it.
	StatusLeftover EntryStatus = "leftover"
)

// Entry is one directory under a cache root, as Entries lists it.
type Entry struct {
	// Name is the directory's name under Root.
	Name string
	// Key is the key the entry was built for; empty when unknown.
	Key string
	// Bytes is the total size of its files, in bytes.
	Bytes int64
	// LastUsed is the entry's last use (its manifest's modification time),
	// or the directory's modification time when it has no manifest.
	LastUsed time.Time
	Status   EntryStatus
	// Reason says why an entry is bad or a directory a leftover, or which
	// process owns a spill or a build ("pid 1234").
	Reason string
	// InUse says a process holds the entry: it cannot be evicted now.
	InUse bool
}

// Entries lists the directories under Root that the cache and the spills
// make, sorted by name: entries (checked by manifest and chunk sizes, not
// by content; see Check), builds, private spills and leftovers. An empty
// or missing Root lists nothing.
func (c Cache) Entries() ([]Entry, error) {
	des, err := os.ReadDir(c.Root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("spill: cache %s: %w", c.Root, err)
	}
	var out []Entry
	for _, de := range des {
		name := de.Name()
		path := filepath.Join(c.Root, name)
		if !de.IsDir() {
			continue
		}
		e := Entry{Name: name}
		switch {
		case strings.HasPrefix(name, entryPrefix):
			m, bad := check(path, "", false)
			e.Key, e.Status, e.Reason = m.Key, StatusOK, bad
			if bad != "" {
				e.Status = StatusBad
			}
			e.InUse = inUse(path)
		case strings.HasPrefix(name, stagingPrefix), strings.HasPrefix(name, dirPrefix):
			e.Status, e.Reason = StatusLeftover, staleReason(path, MaxAge)
			if e.Reason == "" {
				e.Status = StatusBuilding
				if strings.HasPrefix(name, dirPrefix) {
					e.Status = StatusPrivate
				}
				e.InUse = true
				if b, err := os.ReadFile(filepath.Join(path, lockName)); err == nil {
					e.Reason = "pid " + strings.TrimSpace(string(b))
				}
			}
		case strings.HasPrefix(name, trashPrefix):
			e.Status, e.Reason = StatusLeftover, "an eviction cut short"
		default:
			continue
		}
		var ok bool
		if e.Bytes, e.LastUsed, ok = usage(path); !ok {
			continue // gone while we looked
		}
		out = append(out, e)
	}
	return out, nil
}

// usage returns the total size of the files in dir and its last use.
func usage(dir string) (int64, time.Time, bool) {
	st, err := os.Stat(dir)
	if err != nil {
		return 0, time.Time{}, false
	}
	last := st.ModTime()
	if mst, err := os.Stat(filepath.Join(dir, manifestName)); err == nil {
		last = mst.ModTime()
	}
	des, _ := os.ReadDir(dir)
	var n int64
	for _, de := range des {
		if info, err := de.Info(); err == nil && info.Mode().IsRegular() {
			n += info.Size()
		}
	}
	return n, last, true
}

// inUse reports whether a process holds the entry at path locked.
func inUse(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return true
	}
	return false // closing f releases the lock
}

// Check hashes the content of the entry named name (as Entries names it)
// and returns why it is bad, or "" when it is sound. A bad entry is marked
// so that Prune removes it and the next lookup rebuilds it without hashing.
func (c Cache) Check(name string) (string, error) {
	if !strings.HasPrefix(name, entryPrefix) || filepath.Base(name) != name {
		return "", fmt.Errorf("spill: %q is not a cache entry", name)
	}
	path := filepath.Join(c.Root, name)
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("spill: %w", err)
	}
	_, bad := check(path, "", true)
	if bad != "" && !strings.HasPrefix(bad, "marked bad: ") {
		os.WriteFile(filepath.Join(path, badName), []byte(bad+"\n"), 0o600)
	}
	return bad, nil
}

// Prune reaps crash leftovers, removes bad entries and evicts the least
// recently used until the entries total at most max bytes. Entries in use
// stay. It returns what it removed (leftovers counted in reaped).
func (c Cache) Prune(max int64) (removed []Entry, reaped int, err error) {
	if max < 0 {
		return nil, 0, fmt.Errorf("spill: prune to %d bytes: negative", max)
	}
	if reaped, err = Reap(c.Root, MaxAge); err != nil {
		return nil, reaped, err
	}
	total, cands, err := c.evictable("")
	if err != nil {
		return nil, reaped, err
	}
	for _, e := range cands {
		if e.Status != StatusBad && total <= max {
			break
		}
		if c.evict(e) {
			total -= e.Bytes
			removed = append(removed, e)
		}
	}
	return removed, reaped, nil
}
