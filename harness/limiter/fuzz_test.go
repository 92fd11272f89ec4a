package limiter

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad checks that Load, the reader of the saved-cap file a warm start
// reads (client_adaptive.json, possibly written by the real client), never
// panics, that every error names the file, and that whatever it accepts
// has no negative cap and survives Save and Load unchanged.
//
// CI runs it briefly: go test -run '^$' -fuzz FuzzLoad -fuzztime 5s ./harness/limiter
func FuzzLoad(f *testing.F) {
	for _, s := range []string{
		"{\n  \"schema\": 1,\n  \"channels\": {\n    \"quote\": 32,\n    \"store\": 64,\n    \"fetch\": 64\n  }\n}",
		`{"schema":1,"channels":{"quote":0,"store":64,"fetch":0}}`,
		`{"schema":2,"channels":{"quote":0,"store":64,"fetch":0}}`,
		`{"schema":1,"channels":{"quote":0,"store":-1,"fetch":0}}`,
		`{"schema":1,"channels":{"store":64}}`,
		`{"schema":1}`,
		`{"schema":1,"channels":null}`,
		`{"schema":1,"channels":{"quote":1e3,"store":64,"fetch":0}}`,
		`{"schema":1,"channels":{"quote":0,"store":99999999999999999999,"fetch":0}}`,
		"",
		"[]",
	} {
		f.Add([]byte(s))
	}
	// One directory for every input: each fuzz worker calls the function
	// one input at a time, and a fresh directory per input costs more than
	// the parse.
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, SnapshotFile)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Load(path)
		if err != nil {
			if s != (Snapshot{}) {
				t.Fatalf("error %v with a non-zero snapshot %+v", err, s)
			}
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if s.Schema != SnapshotSchema || s.Store < 0 || s.Quote < 0 || s.Fetch < 0 {
			t.Fatalf("accepted an invalid snapshot %+v", s)
		}
		again := filepath.Join(dir, "again.json")
		if err := Save(again, s); err != nil {
			t.Fatalf("Save of an accepted snapshot: %v", err)
		}
		s2, err := Load(again)
		if err != nil || s2 != s {
			t.Fatalf("round trip: %+v, %v; want %+v", s2, err, s)
		}
	})
}
