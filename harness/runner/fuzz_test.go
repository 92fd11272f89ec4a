package runner

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// FuzzParseProgress checks the parser of a child's progress lines, outside
// input to the parent: it never panics, accepts only non-negative decimal
// counts, and gives back the figures of a line it formats itself.
// readProgress drains whatever it is given.
//
// CI runs it briefly: make fuzz.
func FuzzParseProgress(f *testing.F) {
	for _, s := range []string{"3 9 482811192", "0 75", "75 75 0\n", " 1 2 3 ", "1 2 3 4", "-1 2", "1  2", "999999999999999999 1", "9999999999999999999 1", "", "\xff 1"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		stored, total, peak, ok := parseProgress(line)
		if !ok {
			return
		}
		if stored < 0 || total < 0 || peak < 0 {
			t.Fatalf("%q: negative figures %d %d %d", line, stored, total, peak)
		}
		if s := strings.TrimSpace(string(line)); strings.Trim(s, "0123456789 ") != "" {
			t.Fatalf("%q accepted", line)
		}
		again := fmt.Sprintf("%d %d %d", stored, total, peak)
		if s, tt, p, ok := parseProgress([]byte(again)); !ok || s != stored || tt != total || p != peak {
			t.Fatalf("%q read as %q, which reads back as %d %d %d %v", line, again, s, tt, p, ok)
		}
		// The reader drains a stream of such lines and calls back once per
		// well-formed one.
		n := 0
		readProgress(bytes.NewReader(bytes.Repeat(append(bytes.TrimSpace(line), '\n'), 3)), func(int, int, int64) { n++ })
		if n != 3 {
			t.Fatalf("%q three times: %d callbacks", line, n)
		}
	})
}
