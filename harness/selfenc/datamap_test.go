package selfenc

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"strings"
	"testing"

	"github.com/fanbench/fanbench/harness/xorname"
)

func fill(b byte) (n xorname.Name) {
	for i := range n {
		n[i] = b
	}
	return n
}

// TestDataMapLayout pins the bincode layout byte for byte.
func TestDataMapLayout(t *testing.T) {
	m := DataMap{Chunks: []ChunkInfo{{Index: 2, DstHash: fill(0xd0), SrcHash: fill(0x50), SrcSize: 0x0102}}, Child: 3}
	var want []byte
	want = append(want, 1)                      // version
	want = append(want, 1, 0, 0, 0, 0, 0, 0, 0) // Vec length u64
	want = append(want, 2, 0, 0, 0, 0, 0, 0, 0) // index
	want = append(want, bytes.Repeat([]byte{0xd0}, 32)...)
	want = append(want, bytes.Repeat([]byte{0x50}, 32)...)
	want = append(want, 2, 1, 0, 0, 0, 0, 0, 0)    // src_size
	want = append(want, 1, 3, 0, 0, 0, 0, 0, 0, 0) // Some(3)
	got, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("MarshalBinary =\n%x\nwant\n%x", got, want)
	}
	m.Child = NoChild
	got, _ = m.MarshalBinary()
	if wantNone := append(want[:len(want)-9:len(want)-9], 0); !bytes.Equal(got, wantNone) {
		t.Fatalf("MarshalBinary with no child ends %x, want %x", got[len(got)-2:], wantNone[len(wantNone)-2:])
	}
	if len(got) != 1+8+ChunkInfoSize+1 {
		t.Errorf("one-entry map is %d bytes", len(got))
	}
}

func TestDataMapRoundTrip(t *testing.T) {
	for _, m := range []DataMap{
		{Chunks: []ChunkInfo{}, Child: NoChild},
		{Chunks: fakeChunks(3), Child: NoChild},
		{Chunks: fakeChunks(257), Child: 1},
		{Chunks: fakeChunks(5), Child: 7},
	} {
		b, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if want := 1 + 8 + len(m.Chunks)*ChunkInfoSize + 1 + 8*btoi(m.IsChild()); len(b) != want {
			t.Errorf("%d entries, child %d: %d bytes, want %d", len(m.Chunks), m.Child, len(b), want)
		}
		var got DataMap
		if err := got.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("round trip of %d entries, child %d changed the map", len(m.Chunks), m.Child)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestDataMapUnmarshalErrors(t *testing.T) {
	good, _ := DataMap{Chunks: fakeChunks(3), Child: 1}.MarshalBinary()
	mod := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "truncated"},
		{"version", mod(func(b []byte) []byte { b[0] = 2; return b }), "version 2"},
		{"huge length", mod(func(b []byte) []byte { binary.LittleEndian.PutUint64(b[1:], 1<<60); return b }), "do not fit"},
		{"cut entry", good[:1+8+2*ChunkInfoSize+10], "do not fit"},
		{"no child", good[:1+8+3*ChunkInfoSize], "child: truncated"},
		{"cut child", good[:len(good)-2], "child: truncated"},
		{"tag", mod(func(b []byte) []byte { b[1+8+3*ChunkInfoSize] = 2; return b }), "option tag 2"},
		{"trailing", append(bytes.Clone(good), 0), "1 trailing bytes"},
		{"child level", mod(func(b []byte) []byte { binary.LittleEndian.PutUint64(b[len(b)-8:], 1<<40); return b }), "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := DataMap{Child: 5}
			err := m.UnmarshalBinary(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("UnmarshalBinary error = %v, want %q", err, tt.want)
			}
			if m.Child != 5 || m.Chunks != nil {
				t.Error("failed UnmarshalBinary changed the map")
			}
		})
	}
}

func TestDataMapMarshalErrors(t *testing.T) {
	for _, m := range []DataMap{
		{Chunks: fakeChunks(3), Child: -2},
		{Chunks: []ChunkInfo{{Index: -1}}, Child: NoChild},
		{Chunks: []ChunkInfo{{SrcSize: -1}}, Child: NoChild},
	} {
		if _, err := m.MarshalBinary(); err == nil {
			t.Errorf("MarshalBinary(%+v) succeeded", m)
		}
	}
}

// fakeChunks returns n entries as a file of n full chunks would have, with
// hashes made from the index.
func fakeChunks(n int) []ChunkInfo {
	c := make([]ChunkInfo, n)
	for i := range c {
		c[i] = ChunkInfo{Index: i, SrcSize: MaxChunkSize}
		binary.LittleEndian.PutUint64(c[i].DstHash[:], uint64(i)*2+1)
		binary.LittleEndian.PutUint64(c[i].SrcHash[:], uint64(i)*2)
	}
	return c
}
