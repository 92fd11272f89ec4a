package wire

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/fanbench/fanbench/harness/xorname"
)

// Errors that DecodePut and DecodeEnvelope wrap in a *DecodeError. Test
// for them with errors.Is.
var (
	// ErrTooLarge means the message is longer than the receiver accepts:
	// MaxWireMessageSize for a ChunkMessage, MaxReceiveSize for a
	// WireMessage. It is reported at the first length prefix or byte that
	// proves it, without reading the oversized field.
	ErrTooLarge = errors.New("message too large")
	// ErrTruncated means the input ended inside a field.
	ErrTruncated = errors.New("truncated input")
	// ErrBadVarint means a varint ran past the width of its integer type,
	// postcard's DeserializeBadVarint.
	ErrBadVarint = errors.New("bad varint")
	// ErrUnknownVariant means the ChunkMessageBody variant index names no
	// variant that ant-protocol v2.1.0 defines.
	ErrUnknownVariant = errors.New("unknown body variant")
	// ErrNotPut means the body is a valid ChunkMessageBody other than
	// PutRequest.
	ErrNotPut = errors.New("body is not a PutRequest")
	// ErrBadOption means an Option tag other than 0 or 1, postcard's
	// DeserializeBadOption.
	ErrBadOption = errors.New("bad option tag")
	// ErrBadUTF8 means a String field that is not valid UTF-8, postcard's
	// DeserializeBadUtf8.
	ErrBadUTF8 = errors.New("string is not valid UTF-8")
	// ErrBadPeerID means a WireMessage.from that is not 64 hex digits.
	ErrBadPeerID = errors.New("peer id is not 64 hex digits")
)

// DecodeError reports input that could not be decoded: which message and
// field, the byte offset at which that field starts, and why.
type DecodeError struct {
	Message string // "ChunkMessage" or "WireMessage"
	Field   string // the field being decoded, as named in the Rust type; "end" for what follows the message
	Offset  int64  // offset of the field's first byte in the message, in bytes
	Err     error  // one of the Err… values, an I/O error, or the error of a content writer or data callback
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("wire: %s.%s at byte %d: %v", e.Message, e.Field, e.Offset, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// PutHeader is what DecodePut keeps of a PutRequest: everything except the
// content, which it streams.
type PutHeader struct {
	RequestID uint64
	Address   xorname.Name
	// ContentLen is the length of the content, in bytes.
	ContentLen int
	// Proof is the payment proof; nil means None.
	Proof []byte
}

// readBufSize is the size of the decoders' read buffer, in bytes, and so
// the largest piece of payload handed to a writer at once.
const readBufSize = 32 << 10

// smallAlloc is the most a decoder allocates for a length-prefixed field
// before its bytes have arrived, in bytes. A longer field (a merkle proof is
// about 130 KB) grows as it is read, so a length prefix that lies costs no
// more memory than the input that backs it.
const smallAlloc = 256 << 10

// DecodePut decodes one postcard ChunkMessage from r and requires its body
// to be a PutRequest. It copies the content to content (io.Discard if nil)
// in pieces of at most 32 KiB and keeps only the small fields and the proof,
// so it allocates about 32 KiB plus the proof, whatever the chunk size.
//
// r holds exactly one message, as a QUIC stream or WireMessage.data does:
// DecodePut reads it to EOF. Bytes after the message are ignored, as
// postcard::from_bytes ignores them, but they count towards
// MaxWireMessageSize, which ChunkMessage::decode checks against its whole
// input (ant-protocol src/chunk.rs L108–117).
//
// Malformed input yields a *DecodeError wrapping ErrTooLarge,
// ErrTruncated, ErrBadVarint, ErrUnknownVariant, ErrNotPut or ErrBadOption;
// an error from r or content is wrapped as it is. content may have
// received part of the content when DecodePut fails. Varints are read as
// postcard reads them: an overlong but in-range encoding is accepted.
func DecodePut(r io.Reader, content io.Writer) (PutHeader, error) {
	if content == nil {
		content = io.Discard
	}
	d := newDecoder(r, "ChunkMessage", MaxWireMessageSize)
	var h PutHeader
	var err error

	d.begin("request_id")
	if h.RequestID, err = d.uvarint(64); err != nil {
		return PutHeader{}, d.fail(err)
	}

	d.begin("body")
	v, err := d.uvarint(32)
	if err != nil {
		return PutHeader{}, d.fail(err)
	}
	if v != putRequestVariant {
		if v < uint64(len(bodyVariants)) {
			return PutHeader{}, d.fail(fmt.Errorf("%w: variant %d is %s", ErrNotPut, v, bodyVariants[v]))
		}
		return PutHeader{}, d.fail(fmt.Errorf("%w %d (ant-protocol v2.1.0 defines %d)", ErrUnknownVariant, v, len(bodyVariants)))
	}

	d.begin("address")
	if err := d.full(h.Address[:]); err != nil {
		return PutHeader{}, d.fail(err)
	}

	d.begin("content")
	n, err := d.length()
	if err != nil {
		return PutHeader{}, d.fail(err)
	}
	h.ContentLen = int(n)
	if err := d.stream(content, n); err != nil {
		return PutHeader{}, d.fail(err)
	}

	d.begin("payment_proof")
	tag, err := d.readByte()
	if err != nil {
		return PutHeader{}, d.fail(err)
	}
	switch tag {
	case 0:
	case 1:
		n, err := d.length()
		if err != nil {
			return PutHeader{}, d.fail(err)
		}
		if h.Proof, err = d.readBytes(n); err != nil {
			return PutHeader{}, d.fail(err)
		}
	default:
		return PutHeader{}, d.fail(fmt.Errorf("%w 0x%02x", ErrBadOption, tag))
	}

	d.begin("end")
	if err := d.drain(); err != nil {
		return PutHeader{}, d.fail(err)
	}
	return h, nil
}

// DecodeEnvelope decodes one postcard WireMessage from r. It calls data
// once with a reader limited to the data field and the field's length, in
// bytes, and keeps every other field. Whatever data leaves unread is
// skipped; an error from data ends decoding and is wrapped as it is. A nil
// data skips the payload. To decode the chunk message inside without
// holding it, pass a data that calls DecodePut.
//
// r holds exactly one message and is read to EOF; the whole input may be
// at most MaxReceiveSize bytes. Malformed input yields a *DecodeError
// wrapping ErrTooLarge, ErrTruncated, ErrBadVarint, ErrBadUTF8 or
// ErrBadPeerID.
func DecodeEnvelope(r io.Reader, data func(r io.Reader, n int) error) (Envelope, error) {
	d := newDecoder(r, "WireMessage", MaxReceiveSize)
	var e Envelope
	var err error

	d.begin("protocol")
	if e.Protocol, err = d.readString(); err != nil {
		return Envelope{}, d.fail(err)
	}

	d.begin("data")
	n, err := d.length()
	if err != nil {
		return Envelope{}, d.fail(err)
	}
	lr := &io.LimitedReader{R: d.br, N: n}
	if data != nil {
		err := data(lr, int(n))
		d.off += n - lr.N
		if err != nil {
			return Envelope{}, d.fail(err)
		}
	}
	if err := d.skip(lr.N); err != nil {
		return Envelope{}, d.fail(err)
	}

	d.begin("from")
	if n, err = d.length(); err != nil {
		return Envelope{}, d.fail(err)
	}
	if n != peerIDHexLen {
		return Envelope{}, d.fail(fmt.Errorf("%w: %d characters", ErrBadPeerID, n))
	}
	var digits [peerIDHexLen]byte
	if err := d.full(digits[:]); err != nil {
		return Envelope{}, d.fail(err)
	}
	if _, err := hex.Decode(e.From[:], digits[:]); err != nil {
		return Envelope{}, d.fail(fmt.Errorf("%w: %v", ErrBadPeerID, err))
	}

	d.begin("timestamp")
	if e.Timestamp, err = d.uvarint(64); err != nil {
		return Envelope{}, d.fail(err)
	}

	d.begin("user_agent")
	if e.UserAgent, err = d.readString(); err != nil {
		return Envelope{}, d.fail(err)
	}

	d.begin("public_key")
	if e.PublicKey, err = d.readVec(); err != nil {
		return Envelope{}, d.fail(err)
	}

	d.begin("signature")
	if e.Signature, err = d.readVec(); err != nil {
		return Envelope{}, d.fail(err)
	}

	d.begin("end")
	if err := d.drain(); err != nil {
		return Envelope{}, d.fail(err)
	}
	return e, nil
}

// decoder reads postcard values from a buffered reader, counting the bytes
// it consumes and refusing to go past max. Its errors are bare; fail
// positions them.
type decoder struct {
	br    *bufio.Reader
	msg   string // message type, for errors
	off   int64  // bytes consumed
	max   int64  // largest message accepted, in bytes
	field string // field being decoded, for errors
	start int64  // offset where field starts
}

func newDecoder(r io.Reader, msg string, max int64) *decoder {
	return &decoder{br: bufio.NewReaderSize(r, readBufSize), msg: msg, max: max}
}

func (d *decoder) begin(field string) {
	d.field = field
	d.start = d.off
}

func (d *decoder) fail(err error) error {
	return &DecodeError{Message: d.msg, Field: d.field, Offset: d.start, Err: err}
}

// need reports ErrTooLarge if n more bytes would take the message past max.
func (d *decoder) need(n int64) error {
	if n > d.max-d.off {
		return fmt.Errorf("%w: %d more bytes at byte %d exceed the %d-byte limit", ErrTooLarge, n, d.off, d.max)
	}
	return nil
}

// ioErr maps an end of input to ErrTruncated and passes other errors on.
func ioErr(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return ErrTruncated
	}
	return err
}

func (d *decoder) readByte() (byte, error) {
	if err := d.need(1); err != nil {
		return 0, err
	}
	c, err := d.br.ReadByte()
	if err != nil {
		return 0, ioErr(err)
	}
	d.off++
	return c, nil
}

// uvarint reads a postcard varint for an unsigned integer of the given
// width in bits, as postcard's try_take_varint_u32/u64 do: at most
// ceil(bits/7) bytes, and the last byte of a maximal one must not carry
// bits beyond the width.
func (d *decoder) uvarint(bits int) (uint64, error) {
	maxBytes := (bits + 6) / 7
	lastMax := byte(1)<<(bits%7) - 1
	var x uint64
	for i := range maxBytes {
		c, err := d.readByte()
		if err != nil {
			return 0, err
		}
		x |= uint64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			if i == maxBytes-1 && c > lastMax {
				return 0, fmt.Errorf("%w: more than %d bits", ErrBadVarint, bits)
			}
			return x, nil
		}
	}
	return 0, fmt.Errorf("%w: longer than %d bytes", ErrBadVarint, maxBytes)
}

// length reads a usize length prefix and checks that the bytes it announces
// fit under max.
func (d *decoder) length() (int64, error) {
	n, err := d.uvarint(64)
	if err != nil {
		return 0, err
	}
	if n > uint64(d.max) {
		return 0, fmt.Errorf("%w: length %d exceeds the %d-byte limit", ErrTooLarge, n, d.max)
	}
	if err := d.need(int64(n)); err != nil {
		return 0, err
	}
	return int64(n), nil
}

// full reads exactly len(p) bytes into p.
func (d *decoder) full(p []byte) error {
	if err := d.need(int64(len(p))); err != nil {
		return err
	}
	k, err := io.ReadFull(d.br, p)
	d.off += int64(k)
	return ioErr(err)
}

// readBytes reads n bytes into a new slice, allocating at most smallAlloc
// before the bytes arrive. n has passed length.
func (d *decoder) readBytes(n int64) ([]byte, error) {
	b := make([]byte, min(n, smallAlloc))
	got := 0
	for {
		k, err := io.ReadFull(d.br, b[got:])
		got += k
		d.off += int64(k)
		if err != nil {
			return nil, ioErr(err)
		}
		if int64(got) == n {
			return b, nil
		}
		b = append(b, make([]byte, min(n-int64(got), int64(got)))...)
	}
}

// readVec reads a length-prefixed byte sequence.
func (d *decoder) readVec() ([]byte, error) {
	n, err := d.length()
	if err != nil {
		return nil, err
	}
	return d.readBytes(n)
}

// readString reads a length-prefixed UTF-8 string.
func (d *decoder) readString() (string, error) {
	b, err := d.readVec()
	if err != nil {
		return "", err
	}
	if !utf8.Valid(b) {
		return "", ErrBadUTF8
	}
	return string(b), nil
}

// stream copies n bytes to w straight out of the read buffer, so the
// payload never lands in memory of its own. n has passed length.
func (d *decoder) stream(w io.Writer, n int64) error {
	for n > 0 {
		buf, err := d.br.Peek(int(min(n, int64(d.br.Size()))))
		if len(buf) > 0 {
			if _, werr := w.Write(buf); werr != nil {
				return werr
			}
			d.br.Discard(len(buf)) // cannot fail: the bytes are buffered
			d.off += int64(len(buf))
			n -= int64(len(buf))
		}
		if err != nil && n > 0 {
			return ioErr(err)
		}
	}
	return nil
}

// skip discards n bytes. n has passed length.
func (d *decoder) skip(n int64) error {
	k, err := d.br.Discard(int(n))
	d.off += int64(k)
	return ioErr(err)
}

// drain reads to EOF, so that bytes after the message count towards max.
func (d *decoder) drain() error {
	rest := d.max - d.off
	k, err := d.br.Discard(int(rest + 1))
	d.off += int64(k)
	if int64(k) > rest {
		return fmt.Errorf("%w: more than %d bytes", ErrTooLarge, d.max)
	}
	if err != nil && err != io.EOF {
		return err
	}
	return nil
}
