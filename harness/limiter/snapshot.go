package limiter

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// SnapshotSchema is the schema version of client_adaptive.json
// (PERSIST_SCHEMA, adaptive.rs L847 at 768e3bd).
const SnapshotSchema = 1

// SnapshotFile is the file name the real client persists its caps to, in its
// data directory (PERSIST_FILENAME, adaptive.rs L848).
const SnapshotFile = "client_adaptive.json"

// Snapshot is the set of learned caps a run leaves for the next one, in
// operations. fanbench models only the store channel; Quote and Fetch are
// carried so that a real client's file round-trips, and 0 means "not
// learned" (the real client floors every channel at its cold start anyway).
//
// On disk it has the upstream layout (PersistedState, adaptive.rs
// L841–845), which the real client can read back:
//
//	{"schema": 1, "channels": {"quote": 32, "store": 64, "fetch": 64}}
type Snapshot struct {
	Schema int
	Store  int
	Quote  int
	Fetch  int
}

// persisted is the on-disk form of a Snapshot. Pointers tell a missing field
// from a zero one: upstream's serde rejects a file without all of them.
type persisted struct {
	Schema   *int `json:"schema"`
	Channels *struct {
		Quote *int `json:"quote"`
		Store *int `json:"store"`
		Fetch *int `json:"fetch"`
	} `json:"channels"`
}

// Load reads a snapshot written by Save or by the real client. Every error
// names the file. A missing file gives an error that matches fs.ErrNotExist;
// the real client treats that, a corrupt file and an unknown schema alike as
// "no snapshot" and cold-starts (load_snapshot, adaptive.rs L866–885), which
// a caller can do by ignoring the error.
func Load(path string) (Snapshot, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Snapshot{}, fmt.Errorf("limiter: load snapshot: %w", err)
	}
	var p persisted
	if err := json.Unmarshal(data, &p); err != nil {
		return Snapshot{}, fmt.Errorf("limiter: load snapshot %s: %w", path, err)
	}
	fail := func(format string, args ...any) (Snapshot, error) {
		return Snapshot{}, fmt.Errorf("limiter: load snapshot %s: %s", path, fmt.Sprintf(format, args...))
	}
	switch {
	case p.Schema == nil:
		return fail("missing \"schema\"")
	case *p.Schema != SnapshotSchema:
		return fail("schema %d, want %d", *p.Schema, SnapshotSchema)
	case p.Channels == nil:
		return fail("missing \"channels\"")
	}
	s := Snapshot{Schema: *p.Schema}
	for _, f := range []struct {
		name string
		src  *int
		dst  *int
	}{
		{"quote", p.Channels.Quote, &s.Quote},
		{"store", p.Channels.Store, &s.Store},
		{"fetch", p.Channels.Fetch, &s.Fetch},
	} {
		switch {
		case f.src == nil:
			return fail("missing \"channels.%s\"", f.name)
		case *f.src < 0:
			return fail("channels.%s = %d, want ≥ 0", f.name, *f.src)
		}
		*f.dst = *f.src
	}
	return s, nil
}

// Save writes s to path atomically, as the real client does when its Client
// is dropped (save_snapshot, adaptive.rs L889–939): the JSON goes to a
// temporary file in the same directory, which is then renamed over path, so
// a reader sees the old file or the new one, never a torn one. Like
// upstream's std::fs::write, it does not fsync: a crash of the machine may
// lose the newest caps, never tear them. Missing
// parent directories are created. A zero Schema is written as
// SnapshotSchema; any other schema, or a negative cap, is an error.
func Save(path string, s Snapshot) error {
	if s.Schema == 0 {
		s.Schema = SnapshotSchema
	}
	if s.Schema != SnapshotSchema {
		return fmt.Errorf("limiter: save snapshot %s: schema %d, want %d", path, s.Schema, SnapshotSchema)
	}
	if s.Quote < 0 || s.Store < 0 || s.Fetch < 0 {
		return fmt.Errorf("limiter: save snapshot %s: negative cap in %+v", path, s)
	}
	type channels struct {
		Quote int `json:"quote"`
		Store int `json:"store"`
		Fetch int `json:"fetch"`
	}
	data, err := json.MarshalIndent(struct {
		Schema   int      `json:"schema"`
		Channels channels `json:"channels"`
	}{s.Schema, channels{s.Quote, s.Store, s.Fetch}}, "", "  ")
	if err != nil {
		return fmt.Errorf("limiter: save snapshot %s: %w", path, err)
	}
	data = append(data, '\n')

	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("limiter: save snapshot: %w", err)
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp.*")
	if err != nil {
		return fmt.Errorf("limiter: save snapshot: %w", err)
	}
	// CreateTemp makes the file 0600; give it the mode a plain write
	// (upstream's fs::write) would, so other tools can read it.
	err = tmp.Chmod(0o644)
	if err == nil {
		_, err = tmp.Write(data)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("limiter: save snapshot %s: %w", path, err)
	}
	return nil
}
