package limiter

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestSnapshotRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", SnapshotFile) // "data" does not exist yet
	want := Snapshot{Schema: 1, Store: 64, Quote: 40, Fetch: 100}
	if err := Save(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("Load = %+v, want %+v", got, want)
	}
	// Only the snapshot is left: the temporary file was renamed away.
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != SnapshotFile {
		t.Errorf("directory holds %v, want only %s", entries, SnapshotFile)
	}
}

// TestSnapshotUpstreamLayout pins the on-disk layout to the real client's
// PersistedState, so files move between fanbench and ant-client both ways.
func TestSnapshotUpstreamLayout(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, SnapshotFile)
	if err := Save(path, Snapshot{Store: 64}); err != nil { // zero Schema is written as 1
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := json.Compact(&got, data); err != nil {
		t.Fatal(err)
	}
	if want := `{"schema":1,"channels":{"quote":0,"store":64,"fetch":0}}`; got.String() != want {
		t.Errorf("file = %s, want %s", got.String(), want)
	}

	// A file as the real client writes it (serde_json::to_vec_pretty).
	real := filepath.Join(dir, "real.json")
	upstream := "{\n  \"schema\": 1,\n  \"channels\": {\n    \"quote\": 32,\n    \"store\": 64,\n    \"fetch\": 64\n  }\n}"
	if err := os.WriteFile(real, []byte(upstream), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(real)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Snapshot{Schema: 1, Quote: 32, Store: 64, Fetch: 64}); s != want {
		t.Errorf("Load(real client file) = %+v, want %+v", s, want)
	}
}

func TestLoadErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content, want string
	}{
		{"corrupt", "not valid json{{{", "invalid character"},
		{"wrong schema", `{"schema":999,"channels":{"quote":1,"store":1,"fetch":1}}`, "schema 999"},
		{"no schema", `{"channels":{"quote":1,"store":1,"fetch":1}}`, `missing "schema"`},
		{"no channels", `{"schema":1}`, `missing "channels"`},
		{"no store", `{"schema":1,"channels":{"quote":1,"fetch":1}}`, `missing "channels.store"`},
		{"negative", `{"schema":1,"channels":{"quote":1,"store":-3,"fetch":1}}`, "channels.store = -3"},
		{"flat layout", `{"schema":1,"store":64}`, `missing "channels"`},
	}
	for _, tt := range tests {
		path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".json")
		if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Load = %v, want an error naming %s and saying %q", tt.name, err, path, tt.want)
		}
	}

	missing := filepath.Join(dir, "missing.json")
	_, err := Load(missing)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("Load(missing) = %v, want fs.ErrNotExist naming the file", err)
	}
}

func TestSaveRejects(t *testing.T) {
	path := filepath.Join(t.TempDir(), SnapshotFile)
	if err := Save(path, Snapshot{Schema: 2, Store: 8}); err == nil {
		t.Error("Save with schema 2 succeeded")
	}
	if err := Save(path, Snapshot{Store: -1}); err == nil {
		t.Error("Save with a negative cap succeeded")
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a rejected Save left a file: %v", err)
	}
}

// TestSaveConcurrentIsAtomic races two writers, as upstream's
// save_load_round_trip_with_concurrent_writes does: the file must end up
// wholly one snapshot or the other, never torn.
func TestSaveConcurrentIsAtomic(t *testing.T) {
	path := filepath.Join(t.TempDir(), SnapshotFile)
	a := Snapshot{Schema: 1, Quote: 10, Store: 10, Fetch: 10}
	b := Snapshot{Schema: 1, Quote: 99, Store: 99, Fetch: 99}
	var wg sync.WaitGroup
	for _, s := range []Snapshot{a, b} {
		wg.Go(func() {
			for range 50 {
				if err := Save(path, s); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != a && got != b {
		t.Errorf("Load = %+v, want %+v or %+v", got, a, b)
	}
}
