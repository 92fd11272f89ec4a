package spill

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

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
