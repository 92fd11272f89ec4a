package heaptrack

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds Parse arbitrary text: it must never panic, every error
// must name the file, and what it accepts has consumers, each with a
// positive line, and maps onto sites without losing or inventing bytes.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"replay-copy-per-peer.txt", "seed-excerpt.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		// The first consumers only: the fuzzer spends its time minimising
		// large inputs that find new coverage.
		f.Add(b[:min(len(b), 2000)])
	}
	f.Add([]byte("PEAK MEMORY CONSUMERS\n1M peak memory consumed over 3 calls from\nmalloc\n  and 1M from 2 other places\n"))
	f.Add([]byte("goos: linux\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(bytes.NewReader(data), "fuzz.txt")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.txt") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if len(c.Consumers) == 0 {
			t.Fatal("accepted with no consumer")
		}
		var sum int64
		for _, k := range c.Consumers {
			if k.Line < 1 {
				t.Fatalf("consumer at line %d", k.Line)
			}
			sum += k.Peak
		}
		m := Map(c, DefaultRules)
		var sites, unmapped int64
		for _, s := range m.Sites {
			sites += s.Bytes
		}
		for _, u := range m.Unmapped {
			unmapped += u.Peak
		}
		if sites != m.Mapped || m.Mapped+unmapped != sum || m.Hidden < 0 {
			t.Fatalf("sites %d, mapped %d, unmapped %d, consumers %d, hidden %d", sites, m.Mapped, unmapped, sum, m.Hidden)
		}
	})
}
