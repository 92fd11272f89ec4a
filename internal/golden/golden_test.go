package golden

import (
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that keeps failures instead of failing.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Errorf(f string, a ...any) { r.errs = append(r.errs, f) }

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "testdata", "x.golden")
	Check(t, path, []byte("a\nb\n"), true) // creates it
	r := &recorder{TB: t}
	Check(r, path, []byte("a\nb\n"), false)
	if len(r.errs) != 0 {
		t.Fatalf("same bytes reported as different: %v", r.errs)
	}
	Check(r, path, []byte("a\nc\n"), false)
	if len(r.errs) != 1 {
		t.Fatalf("a changed line was not reported")
	}
	if d := Diff("a\nb\n", "a\nc\n"); !strings.Contains(d, "line 2:") || strings.Contains(d, "line 1:") {
		t.Fatalf("Diff = %q", d)
	}
}
