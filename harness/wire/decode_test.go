package wire

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/fanbench/fanbench/harness/xorname"
)

func TestDecodePutRoundTrip(t *testing.T) {
	content := pattern(MaxContentSize, 7)
	tests := []struct {
		name    string
		id      uint64
		content []byte
		proof   []byte
	}{
		{"empty", 0, nil, nil},
		{"small/none", 1, content[:100], nil},
		{"small/empty-proof", 2, content[:100], []byte{}},
		{"chunk/55KB", 300, content[:4_190_224], pattern(55_000, 8)},
		{"chunk/130KB", 1 << 40, content[:4_190_224], pattern(130_000, 9)},
		{"max-chunk", 1<<64 - 1, content, pattern(300_000, 10)}, // proof above smallAlloc
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Put{RequestID: tt.id, Address: xorname.FromContent(tt.content), Content: tt.content, Proof: tt.proof}
			enc := p.Append(nil)
			// Short reads and an EOF that comes with the last data exercise
			// every buffer refill.
			readers := map[string]io.Reader{
				"bytes":    bytes.NewReader(enc),
				"one-byte": iotest.OneByteReader(bytes.NewReader(enc)),
				"data-err": iotest.DataErrReader(bytes.NewReader(enc)),
			}
			for rname, r := range readers {
				h := sha256.New()
				got, err := DecodePut(r, h)
				if err != nil {
					t.Fatalf("%s reader: DecodePut: %v", rname, err)
				}
				if got.RequestID != p.RequestID || got.Address != p.Address || got.ContentLen != len(p.Content) {
					t.Errorf("header = {%d %s %d}, want {%d %s %d}",
						got.RequestID, got.Address.Short(), got.ContentLen, p.RequestID, p.Address.Short(), len(p.Content))
				}
				if sum := sha256.Sum256(p.Content); !bytes.Equal(h.Sum(nil), sum[:]) {
					t.Error("streamed content hash differs")
				}
				if (got.Proof == nil) != (p.Proof == nil) || !bytes.Equal(got.Proof, p.Proof) {
					t.Errorf("proof: got %d bytes (nil %t), want %d (nil %t)",
						len(got.Proof), got.Proof == nil, len(p.Proof), p.Proof == nil)
				}
			}
		})
	}
}

func TestDecodeEnvelopeRoundTrip(t *testing.T) {
	content := pattern(4_190_224, 11)
	p := Put{RequestID: 42, Address: xorname.FromContent(content), Content: content, Proof: pattern(55_000, 12)}
	e := NewClientEnvelope(xorname.FromContent([]byte("sender")), 1_780_000_000)
	e.PublicKey = pattern(PublicKeySize, 13)
	e.Signature = pattern(SignatureSize, 14)
	// The payload goes in as three parts, never as one encoded message.
	frame := e.AppendWire(nil, p.AppendHeader(nil), p.Content, p.AppendTrailer(nil))

	var inner PutHeader
	h := sha256.New()
	calls := 0
	got, err := DecodeEnvelope(bytes.NewReader(frame), func(r io.Reader, n int) error {
		calls++
		if n != p.Len() {
			t.Errorf("data length = %d, want %d", n, p.Len())
		}
		var err error
		inner, err = DecodePut(r, h)
		return err
	})
	if err != nil {
		t.Fatalf("DecodeEnvelope: %v", err)
	}
	if calls != 1 {
		t.Errorf("data called %d times, want 1", calls)
	}
	if got.Protocol != e.Protocol || got.From != e.From || got.Timestamp != e.Timestamp || got.UserAgent != e.UserAgent ||
		!bytes.Equal(got.PublicKey, e.PublicKey) || !bytes.Equal(got.Signature, e.Signature) {
		t.Errorf("envelope = %q %s %d %q key %d sig %d, want %q %s %d %q key %d sig %d",
			got.Protocol, got.From.Short(), got.Timestamp, got.UserAgent, len(got.PublicKey), len(got.Signature),
			e.Protocol, e.From.Short(), e.Timestamp, e.UserAgent, len(e.PublicKey), len(e.Signature))
	}
	if inner.RequestID != p.RequestID || inner.Address != p.Address || !bytes.Equal(inner.Proof, p.Proof) {
		t.Error("inner PutHeader differs")
	}
	if sum := sha256.Sum256(content); !bytes.Equal(h.Sum(nil), sum[:]) {
		t.Error("streamed content hash differs")
	}

	// A callback that reads nothing, and a nil one, leave the rest intact.
	for name, data := range map[string]func(io.Reader, int) error{
		"lazy": func(io.Reader, int) error { return nil },
		"nil":  nil,
	} {
		got, err := DecodeEnvelope(bytes.NewReader(frame), data)
		if err != nil || got.Timestamp != e.Timestamp || !bytes.Equal(got.Signature, e.Signature) {
			t.Errorf("%s callback: %v, timestamp %d", name, err, got.Timestamp)
		}
	}
}

// checkErr asserts that err is a *DecodeError for field that wraps target.
func checkErr(t *testing.T, err error, field string, target error) {
	t.Helper()
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("error %v (%T) is not a *DecodeError", err, err)
	}
	if de.Field != field {
		t.Errorf("error %q: field %q, want %q", err, de.Field, field)
	}
	if !errors.Is(err, target) {
		t.Errorf("error %q does not wrap %q", err, target)
	}
}

func TestDecodePutErrors(t *testing.T) {
	addr := strings.Repeat("\x11", 32)
	tests := []struct {
		name   string
		input  string
		field  string
		target error
	}{
		{"empty input", "", "request_id", ErrTruncated},
		{"request_id too long", strings.Repeat("\x80", 10) + "\x00", "request_id", ErrBadVarint},
		{"request_id past 64 bits", strings.Repeat("\xff", 9) + "\x02", "request_id", ErrBadVarint},
		{"variant past 32 bits", "\x01" + strings.Repeat("\xff", 4) + "\x10", "body", ErrBadVarint},
		{"variant 1", "\x01\x01", "body", ErrNotPut},
		{"variant 7", "\x01\x07", "body", ErrNotPut},
		{"variant 8", "\x01\x08", "body", ErrUnknownVariant},
		{"short address", "\x01\x00" + addr[:31], "address", ErrTruncated},
		{"short content", "\x01\x00" + addr + "\x05abc", "content", ErrTruncated},
		{"content over 5 MiB", "\x01\x00" + addr + "\x80\x80\xc0\x02", "content", ErrTooLarge}, // 5 MiB = 0x500000
		{"content length past 64 bits", "\x01\x00" + addr + strings.Repeat("\xff", 10), "content", ErrBadVarint},
		{"no option tag", "\x01\x00" + addr + "\x00", "payment_proof", ErrTruncated},
		{"option tag 2", "\x01\x00" + addr + "\x00\x02", "payment_proof", ErrBadOption},
		{"short proof", "\x01\x00" + addr + "\x00\x01\x03ab", "payment_proof", ErrTruncated},
		{"proof over 5 MiB", "\x01\x00" + addr + "\x00\x01\xff\xff\xff\x7f", "payment_proof", ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodePut(strings.NewReader(tt.input), nil)
			checkErr(t, err, tt.field, tt.target)
		})
	}
}

// TestDecodePutSizeLimit checks the 5 MiB limit on the whole input,
// trailing bytes included, as ChunkMessage::decode applies it.
func TestDecodePutSizeLimit(t *testing.T) {
	p := Put{RequestID: 1, Content: pattern(4_190_224, 1), Proof: pattern(55_000, 2)}
	enc := p.Append(nil)
	pad := func(n int) io.Reader {
		return io.MultiReader(bytes.NewReader(enc), bytes.NewReader(make([]byte, n)))
	}
	// Exactly MaxWireMessageSize bytes in all: accepted, trailing bytes ignored.
	if _, err := DecodePut(pad(MaxWireMessageSize-len(enc)), nil); err != nil {
		t.Errorf("input of exactly %d bytes: %v", MaxWireMessageSize, err)
	}
	// One more: rejected.
	_, err := DecodePut(pad(MaxWireMessageSize-len(enc)+1), nil)
	checkErr(t, err, "end", ErrTooLarge)

	// A content that fits the limit alone but not with its header.
	// Header: 1+1+32+4 = 38 bytes, so content ends 2 bytes past the limit.
	big := Put{Content: make([]byte, MaxWireMessageSize-36)}
	_, err = DecodePut(bytes.NewReader(big.Append(nil)), nil)
	checkErr(t, err, "content", ErrTooLarge)
}

func TestDecodePutTruncated(t *testing.T) {
	// Every proper prefix of a valid message is truncated somewhere.
	p := Put{RequestID: 300, Address: xorname.Name(seq(32)), Content: []byte("abc"), Proof: []byte{0xde, 0xad}}
	enc := p.Append(nil)
	for n := range len(enc) {
		_, err := DecodePut(bytes.NewReader(enc[:n]), nil)
		if !errors.Is(err, ErrTruncated) {
			t.Errorf("prefix of %d bytes: %v, want ErrTruncated", n, err)
		}
	}
}

func TestDecodePutOverlongVarint(t *testing.T) {
	// postcard accepts a non-canonical varint that stays in range: request
	// id 1 as 0x81 0x80 0x00, content length 3 as 0x83 0x00.
	in := "\x81\x80\x00" + "\x80\x00" + strings.Repeat("\x22", 32) + "\x83\x00abc" + "\x00"
	h, err := DecodePut(strings.NewReader(in), nil)
	if err != nil || h.RequestID != 1 || h.ContentLen != 3 {
		t.Errorf("DecodePut = %+v, %v; want request 1, content 3", h, err)
	}
}

type errWriter struct{ err error }

func (w errWriter) Write([]byte) (int, error) { return 0, w.err }

func TestDecodePutWriterAndReaderErrors(t *testing.T) {
	p := Put{RequestID: 1, Content: pattern(100_000, 1)}
	enc := p.Append(nil)
	boom := errors.New("boom")

	_, err := DecodePut(bytes.NewReader(enc), errWriter{boom})
	checkErr(t, err, "content", boom)

	_, err = DecodePut(iotest.TimeoutReader(bytes.NewReader(enc)), nil)
	checkErr(t, err, "content", iotest.ErrTimeout)
}

func TestDecodeEnvelopeErrors(t *testing.T) {
	e := Envelope{Protocol: "ab", From: xorname.Name{0x01}, Timestamp: 1, UserAgent: "c/1", PublicKey: []byte{0xaa}, Signature: []byte{0xbb}}
	good := string(e.AppendWire(nil, []byte("xyz")))
	header := "\x02ab\x03xyz"
	from := "\x40" + strings.Repeat("0", 64)
	boom := errors.New("boom")
	tests := []struct {
		name   string
		input  string
		data   func(io.Reader, int) error
		field  string
		target error
	}{
		{"empty input", "", nil, "protocol", ErrTruncated},
		{"bad utf-8 protocol", "\x02\xff\xfe", nil, "protocol", ErrBadUTF8},
		{"short data", "\x02ab\x05xyz", nil, "data", ErrTruncated},
		{"short data read by callback", "\x02ab\x05xyz", func(r io.Reader, n int) error {
			_, err := io.ReadFull(r, make([]byte, n))
			return err
		}, "data", io.ErrUnexpectedEOF},
		{"data over 16 MiB", "\x02ab\x81\x80\x80\x08", nil, "data", ErrTooLarge},
		{"callback error", good, func(io.Reader, int) error { return boom }, "data", boom},
		{"from too short", header + "\x20" + strings.Repeat("0", 32), nil, "from", ErrBadPeerID},
		{"from not hex", header + "\x40" + strings.Repeat("g", 64), nil, "from", ErrBadPeerID},
		{"short from", header + "\x40" + strings.Repeat("0", 10), nil, "from", ErrTruncated},
		{"timestamp past 64 bits", header + from + strings.Repeat("\xff", 10), nil, "timestamp", ErrBadVarint},
		{"bad utf-8 user agent", header + from + "\x01\x01\xc0", nil, "user_agent", ErrBadUTF8},
		{"no public key", header + from + "\x01\x00", nil, "public_key", ErrTruncated},
		{"short signature", header + from + "\x01\x00\x00\x05ab", nil, "signature", ErrTruncated},
		{"trailing bytes over 16 MiB", good, nil, "end", ErrTooLarge}, // padded below
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r io.Reader = strings.NewReader(tt.input)
			if tt.field == "end" {
				r = io.MultiReader(r, bytes.NewReader(make([]byte, MaxReceiveSize-len(tt.input)+1)))
			}
			_, err := DecodeEnvelope(r, tt.data)
			checkErr(t, err, tt.field, tt.target)
		})
	}
	if _, err := DecodeEnvelope(strings.NewReader(good), nil); err != nil {
		t.Errorf("good input: %v", err)
	}
}

func TestDecodeErrorMessage(t *testing.T) {
	_, err := DecodePut(strings.NewReader("\x01\x09"), nil)
	const want = "wire: ChunkMessage.body at byte 1: unknown body variant 9 (ant-protocol v2.1.0 defines 8)"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant    %s", err, want)
	}
}

// TestDecodeAllocations checks that decoding a 4 MB chunk never holds the
// payload: the bytes allocated per decode stay far below the payload size.
func TestDecodeAllocations(t *testing.T) {
	content := pattern(4_190_224, 21)
	p := Put{RequestID: 5, Address: xorname.FromContent(content), Content: content, Proof: pattern(130_000, 22)}
	enc := p.Append(nil)
	e := NewClientEnvelope(xorname.Name{}, 1_780_000_000)
	frame := e.AppendWire(nil, enc)

	const limit = 1 << 20 // a quarter of the payload
	for name, decode := range map[string]func() error{
		"DecodePut": func() error {
			_, err := DecodePut(bytes.NewReader(enc), io.Discard)
			return err
		},
		"DecodeEnvelope+DecodePut": func() error {
			_, err := DecodeEnvelope(bytes.NewReader(frame), func(r io.Reader, _ int) error {
				_, err := DecodePut(r, io.Discard)
				return err
			})
			return err
		},
	} {
		if err := decode(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		res := testing.Benchmark(func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := decode(); err != nil {
					b.Fatal(err)
				}
			}
		})
		if res.N == 0 {
			t.Fatalf("%s: benchmark did not run", name)
		}
		// The proof (130,000 B) is kept; the 4,190,224 B content is not.
		if got := res.AllocedBytesPerOp(); got >= limit || got < int64(len(p.Proof)) {
			t.Errorf("%s allocates %d bytes per decode of a %d-byte message; want [%d, %d)",
				name, got, len(enc), len(p.Proof), limit)
		}
		t.Logf("%s: %d B/op, %d allocs/op", name, res.AllocedBytesPerOp(), res.AllocsPerOp())
	}
}
