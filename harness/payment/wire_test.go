package payment

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// plainWriter hides bytes.Buffer from the encoder, so it takes the generic
// path of one EncodeUint per byte.
type plainWriter struct{ buf bytes.Buffer }

func (w *plainWriter) Write(p []byte) (int, error) { return w.buf.Write(p) }

// TestEncodePathsAgree holds the bytes.Buffer and cursor fast paths to the
// library's generic per-element encoding and decoding.
func TestEncodePathsAgree(t *testing.T) {
	l := NewLedger(fixedClock)
	qs, single := paidSingleProof(l, addrOf("paths agree"))
	sp, err := DecodeSingleProof(single)
	if err != nil {
		t.Fatal(err)
	}
	as, _, proofs := merkleBatch(t, 3, "paths agree")
	mp, err := DecodeMerkleProof(proofs[as[1]])
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		tag   byte
		fast  []byte
		value msgpack.CustomEncoder
		fresh func() msgpack.CustomDecoder
	}{
		{"single", SingleTag, single, sp, func() msgpack.CustomDecoder { return new(SingleProof) }},
		{"merkle", MerkleTag, proofs[as[1]], mp, func() msgpack.CustomDecoder { return new(MerkleProof) }},
		{"quote", 0, nil, &qs[3].Quote, func() msgpack.CustomDecoder { return new(Quote) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w plainWriter
			if tt.tag != 0 {
				w.buf.WriteByte(tt.tag)
			}
			if err := tt.value.EncodeMsgpack(msgpack.NewEncoder(&w)); err != nil {
				t.Fatal(err)
			}
			slow := w.buf.Bytes()
			if tt.fast != nil && !bytes.Equal(slow, tt.fast) {
				t.Fatalf("generic encoding (%d bytes) differs from the fast one (%d bytes)", len(slow), len(tt.fast))
			}
			body := slow
			if tt.tag != 0 {
				body = slow[1:]
			}
			got := tt.fresh()
			if err := got.DecodeMsgpack(msgpack.NewDecoder(bytes.NewReader(body))); err != nil {
				t.Fatalf("generic decoding: %v", err)
			}
			if !reflect.DeepEqual(got, tt.value) {
				t.Error("generic decoding differs from the encoded value")
			}
		})
	}
}

// TestDecodeAcceptsWiderBytes checks that both decoding paths accept a
// byte written in a wider form (uint16) than rmp_serde writes it.
func TestDecodeAcceptsWiderBytes(t *testing.T) {
	q := testPeers()[0].Quote(addrOf("wider"), 7, t0)
	b, err := msgpack.Marshal(&q)
	if err != nil {
		t.Fatal(err)
	}
	// The content is the quote's first field: 0x96, array16 header, then
	// its first byte. Rewrite that byte as a uint16.
	first := q.Content[0]
	var hdr int
	if first < 0x80 {
		hdr = 1
	} else {
		hdr = 2
	}
	wide := append(append(bytes.Clone(b[:4]), 0xcd, 0x00, first), b[4+hdr:]...)
	for name, dec := range map[string]*msgpack.Decoder{
		"cursor":  msgpack.NewDecoder(&cursor{b: wide}),
		"generic": msgpack.NewDecoder(bytes.NewReader(wide)),
	} {
		var back Quote
		if err := back.DecodeMsgpack(dec); err != nil || !reflect.DeepEqual(back, q) {
			t.Errorf("%s: %v, equal %v", name, err, reflect.DeepEqual(back, q))
		}
	}
}
