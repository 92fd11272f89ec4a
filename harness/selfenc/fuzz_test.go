package selfenc

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzDataMapUnmarshal checks that DataMap.UnmarshalBinary, which reads
// the data map a spill cache entry carries, never panics, leaves the map
// unchanged when it fails, and that whatever it accepts is canonical:
// MarshalBinary writes the same bytes back.
//
// CI runs it briefly: go test -run '^$' -fuzz FuzzDataMapUnmarshal -fuzztime 5s ./harness/selfenc
func FuzzDataMapUnmarshal(f *testing.F) {
	for _, m := range []DataMap{
		{Chunks: []ChunkInfo{}, Child: NoChild},
		{Chunks: fakeChunks(3), Child: NoChild},
		{Chunks: fakeChunks(4), Child: 1},
	} {
		b, err := m.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)-1])
		f.Add(append(b[:len(b):len(b)], 0))
	}
	f.Add([]byte{})
	f.Add([]byte{DataMapVersion, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{DataMapVersion, 0, 0, 0, 0, 0, 0, 0, 0, 2})
	sentinel := DataMap{Chunks: fakeChunks(1), Child: 9}
	f.Fuzz(func(t *testing.T, data []byte) {
		m := sentinel
		if err := m.UnmarshalBinary(data); err != nil {
			if !reflect.DeepEqual(m, sentinel) {
				t.Fatalf("failed UnmarshalBinary (%v) changed the map", err)
			}
			return
		}
		if len(m.Chunks) != (len(data)-10-8*btoi(m.IsChild()))/ChunkInfoSize {
			t.Fatalf("%d bytes decoded to %d chunks", len(data), len(m.Chunks))
		}
		b, err := m.MarshalBinary()
		if err != nil {
			t.Fatalf("MarshalBinary of an accepted map: %v", err)
		}
		if !bytes.Equal(b, data) {
			t.Fatalf("round trip changed the bytes:\n%x\n%x", data, b)
		}
	})
}
