package spill

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/fanbench/fanbench/harness/xorname"
)

const (
	manifestName  = "manifest.json"
	stagingPrefix = "staging_"
	// manifestSchema changes whenever the cached bytes would differ for the
	// same key (a change to self-encryption, say).
	manifestSchema = 1
)

// Cache holds finished spills under Root, one directory per key.
type Cache struct {
	// Root is the cache directory; see DefaultBase.
	Root string
}

// Manifest describes a cached spill: the key it was built for, the chunk
// addresses in spill order, and opaque metadata the caller needs to use the
// chunks again (the serialized data map).
type Manifest struct {
	Schema    int            `json:"schema"`
	Key       string         `json:"key"`
	Addresses []xorname.Name `json:"addresses"`
	Bytes     int64          `json:"bytes"`
	Meta      []byte         `json:"meta"`
}

func (c Cache) dir(key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(c.Root, "cache_"+hex.EncodeToString(sum[:12]))
}

// Lookup returns the cached spill for key and its manifest, or ok false
// when there is none (or only a damaged one, which it removes). The
// returned Dir is read-only in spirit: Close leaves it in place.
func (c Cache) Lookup(key string) (d *Dir, m Manifest, ok bool, err error) {
	path := c.dir(key)
	b, err := os.ReadFile(filepath.Join(path, manifestName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Manifest{}, false, nil
	}
	if err != nil {
		return nil, Manifest{}, false, fmt.Errorf("spill: cache %s: %w", path, err)
	}
	if err := json.Unmarshal(b, &m); err != nil || m.Schema != manifestSchema || m.Key != key {
		// Damaged or from another version: drop it and rebuild.
		os.RemoveAll(path)
		return nil, Manifest{}, false, nil
	}
	d = &Dir{path: path, addrs: m.Addresses, bytes: m.Bytes, seen: make(map[xorname.Name]struct{}, len(m.Addresses))}
	var total int64
	for _, a := range m.Addresses {
		d.seen[a] = struct{}{}
		n, err := d.Size(a)
		if err != nil {
			total = -1
			break
		}
		total += n
	}
	if total != m.Bytes {
		// A chunk is missing or was cut short: rebuild rather than fail in
		// the middle of a measured upload.
		os.RemoveAll(path)
		return nil, Manifest{}, false, nil
	}
	return d, m, true, nil
}

// Build creates a staging spill for key, calls fill to put the chunks into
// it and return the caller's metadata, writes the manifest and publishes
// the entry by renaming it into place. A failed fill removes the staging
// directory. If another process published the same key first, its entry is
// kept and ours is discarded.
func (c Cache) Build(key string, need int64, fill func(*Dir) ([]byte, error)) (*Dir, Manifest, error) {
	if err := os.MkdirAll(c.Root, 0o700); err != nil {
		return nil, Manifest{}, fmt.Errorf("spill: cache root: %w", err)
	}
	if _, err := Reap(c.Root, MaxAge); err != nil {
		return nil, Manifest{}, err
	}
	if err := checkFree(c.Root, need); err != nil {
		return nil, Manifest{}, err
	}
	var r [6]byte
	if _, err := rand.Read(r[:]); err != nil {
		return nil, Manifest{}, fmt.Errorf("spill: %w", err)
	}
	staging := filepath.Join(c.Root, stagingPrefix+hex.EncodeToString(r[:]))
	if err := os.Mkdir(staging, 0o700); err != nil {
		return nil, Manifest{}, fmt.Errorf("spill: staging directory: %w", err)
	}
	if err := writeLock(staging); err != nil {
		os.RemoveAll(staging)
		return nil, Manifest{}, err
	}
	d := &Dir{path: staging, seen: make(map[xorname.Name]struct{})}
	meta, err := fill(d)
	if err != nil {
		os.RemoveAll(staging)
		return nil, Manifest{}, err
	}
	m := Manifest{Schema: manifestSchema, Key: key, Addresses: d.addrs, Bytes: d.bytes, Meta: meta}
	b, err := json.Marshal(m)
	if err == nil {
		err = os.WriteFile(filepath.Join(staging, manifestName), b, 0o600)
	}
	if err == nil {
		err = os.Remove(filepath.Join(staging, lockName))
	}
	if err != nil {
		os.RemoveAll(staging)
		return nil, Manifest{}, fmt.Errorf("spill: manifest: %w", err)
	}
	final := c.dir(key)
	if err := os.Rename(staging, final); err != nil {
		os.RemoveAll(staging)
		if d, m, ok, lerr := c.Lookup(key); ok && lerr == nil {
			return d, m, nil
		}
		return nil, Manifest{}, fmt.Errorf("spill: publish cache entry: %w", err)
	}
	d.path = final
	return d, m, nil
}
