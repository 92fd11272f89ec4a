package trace

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// FuzzReader feeds the Reader arbitrary bytes: it must never panic, every
// error must name the file, and whatever it accepts must write back
// (through a Writer) to a trace that reads as the same header, events and
// figures.
func FuzzReader(f *testing.F) {
	for _, n := range []int{0, 1, 3, 40} {
		events, _ := gen(uint64(n), n, len(testHeader.Sites))
		f.Add(encode(f, testHeader, events))
	}
	f.Add([]byte(head()))
	f.Add([]byte("FBTRACE\n\x02"))
	f.Add([]byte(head().b(1).u(0, 1, 0, 0, 10, 10).b(3).u(1, 1, 20, 15).b(0).u(2)))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, events, st, err := readAll(data, "fuzz.trace")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "trace fuzz.trace: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		again := encode(t, *h, events)
		h2, events2, st2, err := readAll(again, "again.trace")
		if err != nil {
			t.Fatalf("rewritten trace does not read: %v", err)
		}
		if !reflect.DeepEqual(h, h2) || !reflect.DeepEqual(events, events2) || !reflect.DeepEqual(st, st2) {
			t.Fatalf("rewritten trace reads differently:\n%+v\n%+v", st, st2)
		}
		if len(again) > len(data) {
			t.Fatalf("rewritten trace is longer (%d bytes) than the input (%d): the writer is not minimal", len(again), len(data))
		}
		if !bytes.HasPrefix(again, []byte(Magic)) {
			t.Fatal("no magic")
		}
	})
}
