package wire

import (
	"bytes"
	"errors"
	"testing"

	"github.com/fanbench/fanbench/harness/xorname"
)

// FuzzDecodePut feeds arbitrary input to DecodePut. It must not panic, every
// failure must be a *DecodeError, and whatever it accepts must re-encode to
// a message that decodes to the same values.
func FuzzDecodePut(f *testing.F) {
	addr := xorname.Name(seq(32))
	for _, p := range []Put{
		{},
		{RequestID: 1, Address: addr, Content: []byte("abc")},
		{RequestID: 300, Address: addr, Content: []byte("abc"), Proof: []byte{0xde, 0xad}},
		{RequestID: 1 << 63, Address: addr, Content: pattern(200, 1), Proof: []byte{}},
		{RequestID: 7, Address: addr, Content: pattern(2_000, 2), Proof: pattern(300, 3)},
	} {
		enc := p.Append(nil)
		f.Add(enc)
		f.Add(enc[:len(enc)/2])
	}
	f.Add([]byte("\x01\x08"))
	f.Add([]byte("\x01\x00" + string(make([]byte, 32)) + "\x80\x80\xc0\x02"))

	f.Fuzz(func(t *testing.T, in []byte) {
		var content bytes.Buffer
		h, err := DecodePut(bytes.NewReader(in), &content)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v (%T) is not a *DecodeError", err, err)
			}
			return
		}
		if h.ContentLen != content.Len() {
			t.Fatalf("ContentLen %d, streamed %d bytes", h.ContentLen, content.Len())
		}
		p := Put{RequestID: h.RequestID, Address: h.Address, Content: content.Bytes(), Proof: h.Proof}
		enc := p.Append(nil)
		// Varints may be overlong in the input, never in the encoding.
		if len(enc) > len(in) {
			t.Fatalf("re-encoding is %d bytes, input %d", len(enc), len(in))
		}
		var again bytes.Buffer
		h2, err := DecodePut(bytes.NewReader(enc), &again)
		if err != nil {
			t.Fatalf("re-encoding does not decode: %v", err)
		}
		if h2.RequestID != h.RequestID || h2.Address != h.Address || h2.ContentLen != h.ContentLen ||
			(h2.Proof == nil) != (h.Proof == nil) || !bytes.Equal(h2.Proof, h.Proof) || !bytes.Equal(again.Bytes(), content.Bytes()) {
			t.Fatal("re-encoding decodes to different values")
		}
	})
}
