package golden

import (
	"fmt"
	"math/rand/v2"
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
func (r *recorder) Errorf(f string, a ...any) { r.errs = append(r.errs, fmt.Sprintf(f, a...)) }

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "testdata", "x.golden")
	Check(t, path, []byte("a\nb\n"), true) // creates it
	r := &recorder{TB: t}
	Check(r, path, []byte("a\nb\n"), false)
	if len(r.errs) != 0 {
		t.Fatalf("same bytes reported as different: %v", r.errs)
	}
	Check(r, path, []byte("a\nc\n"), false)
	if len(r.errs) != 1 || !strings.Contains(r.errs[0], "-    2 \"b\"\n+    2 \"c\"") {
		t.Fatalf("a changed line was not reported: %q", r.errs)
	}
}

// TestDiff checks the hunks Diff writes: an inserted or removed line is
// one line of the diff, however many lines follow it, and line numbers
// are each text's own.
func TestDiff(t *testing.T) {
	lines := func(n int) []string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprintf("line %d", i+1))
		}
		return out
	}
	text := func(ls []string) string { return strings.Join(ls, "\n") + "\n" }
	base := lines(10)
	insert := append(append(append([]string{}, base[:2]...), "new"), base[2:]...)
	remove := append(append([]string{}, base[:4]...), base[5:]...)
	change := append([]string{}, base...)
	change[0], change[9] = "first", "last"
	for _, tc := range []struct {
		name      string
		want, got string
		diff      string
	}{
		{"same", text(base), text(base), ""},
		{"inserted", text(base), text(insert), `@@ want 2,2 got 2,3 @@
     2 "line 2"
+    3 "new"
     3 "line 3"
`},
		{"removed", text(base), text(remove), `@@ want 4,3 got 4,2 @@
     4 "line 4"
-    5 "line 5"
     6 "line 6"
`},
		{"two hunks", text(base), text(change), `@@ want 1,2 got 1,2 @@
-    1 "line 1"
+    1 "first"
     2 "line 2"
@@ want 9,3 got 9,3 @@
     9 "line 9"
-   10 "line 10"
+   10 "last"
    11 ""
`},
		{"from nothing", "", "a\nb\n", `@@ want 1,1 got 1,3 @@
+    1 "a"
+    2 "b"
     1 ""
`},
	} {
		if got := Diff(tc.want, tc.got); got != tc.diff {
			t.Errorf("%s: Diff =\n%s\nwant\n%s", tc.name, got, tc.diff)
		}
	}
}

// TestEdits checks on random texts that the edit script is one: its kept
// and removed lines are want, its kept and added lines got, in order, and
// no script is longer than the positional one's count of differences
// would make it.
func TestEdits(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	word := func() string { return string(rune('a' + rng.IntN(4))) }
	for range 500 {
		a, b := make([]string, rng.IntN(12)), make([]string, rng.IntN(12))
		for i := range a {
			a[i] = word()
		}
		for i := range b {
			b[i] = word()
		}
		var gotA, gotB []string
		changes := 0
		for _, o := range edits(a, b) {
			switch o.kind {
			case ' ':
				gotA, gotB = append(gotA, o.text), append(gotB, o.text)
				if a[o.wl-1] != o.text || b[o.gl-1] != o.text {
					t.Fatalf("%q → %q: kept line numbered %d, %d is %q", a, b, o.wl, o.gl, o.text)
				}
			case '-':
				gotA = append(gotA, o.text)
				changes++
			case '+':
				gotB = append(gotB, o.text)
				changes++
			}
		}
		if strings.Join(gotA, ",") != strings.Join(a, ",") || strings.Join(gotB, ",") != strings.Join(b, ",") {
			t.Fatalf("%q → %q: the script gives %q → %q", a, b, gotA, gotB)
		}
		if n := len(a) + len(b) - 2*lcs(a, b); changes != n {
			t.Fatalf("%q → %q: %d changes, the shortest has %d", a, b, changes, n)
		}
	}
}

// lcs is the length of a longest common subsequence of a and b, by dynamic
// programming: the reference the shortest script is checked against.
func lcs(a, b []string) int {
	t := make([][]int, len(a)+1)
	for i := range t {
		t[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				t[i][j] = t[i+1][j+1] + 1
			} else {
				t[i][j] = max(t[i+1][j], t[i][j+1])
			}
		}
	}
	return t[0][0]
}
