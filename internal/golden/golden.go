// Package golden checks test output against golden files under testdata,
// for the tests of every fanbench package that has them.
package golden

import (
	"os"
	"path/filepath"
	"testing"
)

// Check compares got with the file at path byte for byte and fails t with
// the lines inserted and removed (Diff). With update set (each package's -update
// flag) it first rewrites the file with got.
func Check(t testing.TB, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n%s", path, Diff(string(want), string(got)))
	}
}
