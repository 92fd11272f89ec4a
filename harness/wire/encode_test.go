package wire

import (
	"bytes"
	"encoding/hex"
	"math"
	"strings"
	"testing"

	"github.com/fanbench/fanbench/harness/xorname"
)

// seq returns n bytes 0, 1, 2, … (mod 256).
func seq(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// pattern returns n deterministic pseudo-random bytes.
func pattern(n int, seed uint32) []byte {
	b := make([]byte, n)
	x := seed | 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPutGolden compares small encodings with the postcard layout written
// out by hand.
func TestPutGolden(t *testing.T) {
	addr := xorname.Name(seq(32))
	tests := []struct {
		name string
		put  Put
		want string
	}{
		{
			name: "with proof",
			put:  Put{RequestID: 300, Address: addr, Content: []byte("abc"), Proof: []byte{0xde, 0xad}},
			want: `
				ac 02                   request_id 300 = 0b10_0101100: 0x2c|0x80, 0x02
				00                      ChunkMessageBody::PutRequest, variant 0
				000102030405060708090a0b0c0d0e0f
				101112131415161718191a1b1c1d1e1f   address: 32 raw bytes, no length
				03 616263               content: length 3, "abc"
				01 02 dead              payment_proof: Some, length 2, bytes`,
		},
		{
			name: "no proof",
			put:  Put{RequestID: 1, Address: addr, Content: []byte("abc")},
			want: `
				01 00
				000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
				03 616263
				00                      payment_proof: None`,
		},
		{
			name: "empty proof is Some",
			put:  Put{RequestID: 0, Address: addr, Content: nil, Proof: []byte{}},
			want: `
				00 00
				000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
				00                      content: length 0
				01 00                   payment_proof: Some, length 0`,
		},
		{
			name: "max request id",
			put:  Put{RequestID: math.MaxUint64, Address: addr, Content: []byte{7}},
			want: `
				ffffffffffffffffff 01   2^64-1: nine 0xff, then the top bit
				00
				000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
				01 07
				00`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Drop the annotations: keep only the hex-looking words.
			var words []string
			for line := range strings.Lines(tt.want) {
				for _, w := range strings.Fields(line) {
					if _, err := hex.DecodeString(w); err != nil {
						break
					}
					words = append(words, w)
				}
			}
			want := unhex(t, strings.Join(words, ""))
			got := tt.put.Append(nil)
			if !bytes.Equal(got, want) {
				t.Errorf("Append =\n%x\nwant\n%x", got, want)
			}
		})
	}
}

// TestEnvelopeGolden compares a small WireMessage and its signable bytes
// with the layout written out by hand.
func TestEnvelopeGolden(t *testing.T) {
	e := Envelope{
		Protocol:  "ab",
		From:      xorname.Name{0x01},
		Timestamp: 1,
		UserAgent: "c/1",
		PublicKey: []byte{0xaa},
		Signature: []byte{0xbb, 0xcc},
	}
	header := "02 6162" + // protocol: length 2, "ab"
		"03 78797a" // data: length 3, "xyz"
	from := "40 3031" + strings.Repeat("30", 62) // from: length 64, "01" then 62 × "0"
	trailer := from +
		"01" + // timestamp 1
		"03 632f31" // user_agent: length 3, "c/1"
	sig := "01 aa" + // public_key: length 1
		"02 bbcc" // signature: length 2

	if got, want := e.AppendWire(nil, []byte("xy"), []byte("z")), unhex(t, header+trailer+sig); !bytes.Equal(got, want) {
		t.Errorf("AppendWire =\n%x\nwant\n%x", got, want)
	}
	if got, want := e.AppendSignable(nil, []byte("xyz")), unhex(t, header+trailer); !bytes.Equal(got, want) {
		t.Errorf("AppendSignable =\n%x\nwant\n%x", got, want)
	}
}

func TestPutParts(t *testing.T) {
	sizes := []int{0, 1, 127, 128, 16_383, 16_384, 100_000, 2_097_151, 2_097_152, 4_190_224, MaxContentSize}
	proofs := map[string][]byte{"none": nil, "empty": {}, "55KB": pattern(55_000, 1), "130KB": pattern(130_000, 2)}
	content := pattern(MaxContentSize, 3)
	for _, n := range sizes {
		for name, proof := range proofs {
			p := Put{RequestID: uint64(n) * 977, Address: xorname.FromContent(content[:n]), Content: content[:n], Proof: proof}
			all := p.Append(nil)
			if len(all) != p.Len() {
				t.Errorf("content %d, proof %s: len(Append) = %d, Len = %d", n, name, len(all), p.Len())
			}
			parts := p.AppendTrailer(append(p.AppendHeader(nil), p.Content...))
			if !bytes.Equal(parts, all) {
				t.Errorf("content %d, proof %s: Header‖Content‖Trailer differs from Append", n, name)
			}
			// Append appends: existing bytes in dst are kept.
			if got := p.Append([]byte("x")); got[0] != 'x' || !bytes.Equal(got[1:], all) {
				t.Errorf("content %d, proof %s: Append does not append", n, name)
			}
		}
	}
}

func TestEnvelopeParts(t *testing.T) {
	e := NewClientEnvelope(xorname.FromContent([]byte("peer")), 1_780_000_000)
	for _, n := range []int{0, 1, 127, 128, 100_000, 4_245_266} {
		data := pattern(n, uint32(n))
		wire := e.AppendWire(nil, data)
		if len(wire) != e.Len(n) {
			t.Errorf("data %d: len(AppendWire) = %d, Len = %d", n, len(wire), e.Len(n))
		}
		if g := e.WireGrowth(n); g.Len != len(wire) {
			t.Errorf("data %d: WireGrowth.Len = %d, want %d", n, g.Len, len(wire))
		}
		streamed := e.WireTrailer(append(e.WireHeader(nil, n), data...))
		if !bytes.Equal(streamed, wire) {
			t.Errorf("data %d: WireHeader‖data‖WireTrailer differs from AppendWire", n)
		}
		third := n / 3
		if got := e.AppendWire(nil, data[:third], nil, data[third:2*third], data[2*third:]); !bytes.Equal(got, wire) {
			t.Errorf("data %d: AppendWire in parts differs", n)
		}
		signable := e.AppendSignable(nil, data[:third], data[third:])
		if g := e.SignableGrowth(n); g.Len != len(signable) {
			t.Errorf("data %d: SignableGrowth.Len = %d, want %d", n, g.Len, len(signable))
		}
		// The signable bytes are the wire message without key and signature.
		if !bytes.HasPrefix(wire, signable) {
			t.Errorf("data %d: signable bytes are not a prefix of the wire message", n)
		}
	}
}
