package payment

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"

	"github.com/fanbench/fanbench/harness/xorname"
)

// The msgpack helpers of the wire layout (wire.go): how serde's shapes
// (byte sequences as integer arrays, U256 as bin, SystemTime as [secs,
// nanos]) are written and read, strictly and within bounds.

// --- encoding helpers ---

// encodeSeq writes b as serde writes a byte sequence: an array of
// integers. Into a bytes.Buffer it appends the integers itself, as
// EncodeUint would write them (a fixint below 0x80, else uint8), rather
// than make one call per byte; TestEncodePathsAgree holds the two paths
// to the same bytes.
func encodeSeq(enc *msgpack.Encoder, b []byte) error {
	if err := enc.EncodeArrayLen(len(b)); err != nil {
		return err
	}
	if w, ok := enc.Writer().(*bytes.Buffer); ok {
		w.Grow(2 * len(b))
		dst := w.AvailableBuffer()
		for _, x := range b {
			if x <= msgpcode.PosFixedNumHigh {
				dst = append(dst, x)
			} else {
				dst = append(dst, msgpcode.Uint8, x)
			}
		}
		_, err := w.Write(dst)
		return err
	}
	for _, x := range b {
		if err := enc.EncodeUint(uint64(x)); err != nil {
			return err
		}
	}
	return nil
}

// encodeU256 writes v as a 32-byte big-endian bin, as ruint serializes a
// U256 for a binary format.
func encodeU256(enc *msgpack.Encoder, v uint64) error {
	var b [32]byte
	for i := range 8 {
		b[31-i] = byte(v >> (8 * i))
	}
	return enc.EncodeBytes(b[:])
}

// encodeTime writes t as serde writes a SystemTime.
func encodeTime(enc *msgpack.Encoder, t time.Time) error {
	t = wireTime(t)
	if err := enc.EncodeArrayLen(2); err != nil {
		return err
	}
	if err := enc.EncodeUint(uint64(t.Unix())); err != nil {
		return err
	}
	return enc.EncodeUint(uint64(t.Nanosecond()))
}

// encodeTagged returns tag followed by v's encoding, in a slice whose
// capacity equals its length, as the real client's tagged Vec has.
func encodeTagged(tag byte, v msgpack.CustomEncoder, sizeHint int) []byte {
	var buf bytes.Buffer
	buf.Grow(sizeHint)
	buf.WriteByte(tag)
	if err := v.EncodeMsgpack(msgpack.NewEncoder(&buf)); err != nil {
		// Writes to a bytes.Buffer cannot fail.
		panic("payment: encoding into memory failed: " + err.Error())
	}
	out := make([]byte, buf.Len())
	copy(out, buf.Bytes())
	return out
}

// --- decoding helpers ---

// expectArray reads an array header and fails unless it has n elements.
func expectArray(dec *msgpack.Decoder, n int, what string) error {
	got, err := dec.DecodeArrayLen()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if got != n {
		return fmt.Errorf("%s: %w: array of %d, want %d", what, errShape, got, n)
	}
	return nil
}

// decodeArrayLen reads an array header of at most limit elements.
func decodeArrayLen(dec *msgpack.Decoder, limit int, what string) (int, error) {
	n, err := dec.DecodeArrayLen()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	if n < 0 || n > limit {
		return 0, fmt.Errorf("%s: %w: array of %d (limit %d)", what, errShape, n, limit)
	}
	return n, nil
}

// decodeSeq reads a byte sequence written by encodeSeq; want < 0 accepts
// any length up to maxSeq. Over a cursor it reads fixint and uint8
// elements itself and leaves any other encoding to DecodeUint64, so both
// paths accept the same input.
func decodeSeq(dec *msgpack.Decoder, want int, what string) ([]byte, error) {
	n, err := decodeArrayLen(dec, maxSeq, what)
	if err != nil {
		return nil, err
	}
	if want >= 0 && n != want {
		return nil, fmt.Errorf("%s: %w: %d bytes, want %d", what, errShape, n, want)
	}
	out := make([]byte, n)
	c, fast := dec.Buffered().(*cursor)
	for i := range out {
		if fast {
			r := c.b[c.off:]
			if len(r) > 0 && r[0] <= msgpcode.PosFixedNumHigh {
				out[i] = r[0]
				c.off++
				continue
			}
			if len(r) > 1 && r[0] == msgpcode.Uint8 {
				out[i] = r[1]
				c.off += 2
				continue
			}
		}
		v, err := dec.DecodeUint64()
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", what, i, err)
		}
		if v > 0xff {
			return nil, fmt.Errorf("%s[%d]: %w: %d is not a byte", what, i, errShape, v)
		}
		out[i] = byte(v)
	}
	return out, nil
}

// decodeName reads a [u8; 32] or a peer id.
func decodeName(dec *msgpack.Decoder, what string) (xorname.Name, error) {
	var n xorname.Name
	b, err := decodeSeq(dec, xorname.Size, what)
	if err != nil {
		return n, err
	}
	copy(n[:], b)
	return n, nil
}

// decodeBin reads a bin of exactly len(dst) bytes into dst. It reads the
// length first: DecodeBytes would allocate whatever length the input
// claims before reading it.
func decodeBin(dec *msgpack.Decoder, dst []byte, what string) error {
	n, err := dec.DecodeBytesLen()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n != len(dst) {
		return fmt.Errorf("%s: %w: %d bytes, want %d", what, errShape, n, len(dst))
	}
	if err := dec.ReadFull(dst); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// decodeU256 reads a price; the model refuses prices beyond 64 bits.
func decodeU256(dec *msgpack.Decoder, what string) (uint64, error) {
	var b [32]byte
	if err := decodeBin(dec, b[:], what); err != nil {
		return 0, err
	}
	for _, x := range b[:24] {
		if x != 0 {
			return 0, fmt.Errorf("%s: %w: price beyond 64 bits", what, errShape)
		}
	}
	var v uint64
	for _, x := range b[24:] {
		v = v<<8 | uint64(x)
	}
	return v, nil
}

func decodeUint(dec *msgpack.Decoder, what string) (uint64, error) {
	v, err := dec.DecodeUint64()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return v, nil
}

// decodeTime reads a SystemTime.
func decodeTime(dec *msgpack.Decoder, what string) (time.Time, error) {
	if err := expectArray(dec, 2, what); err != nil {
		return time.Time{}, err
	}
	secs, err := decodeUint(dec, what+".secs")
	if err != nil {
		return time.Time{}, err
	}
	nanos, err := decodeUint(dec, what+".nanos")
	if err != nil {
		return time.Time{}, err
	}
	if secs > 1<<62 || nanos >= uint64(time.Second) {
		return time.Time{}, fmt.Errorf("%s: %w: %d s %d ns", what, errShape, secs, nanos)
	}
	return time.Unix(int64(secs), int64(nanos)).UTC(), nil
}

// decodeTagged checks b's tag and decodes the rest into v.
func decodeTagged(b []byte, tag byte, v msgpack.CustomDecoder) error {
	if len(b) == 0 || b[0] != tag {
		return fmt.Errorf("%w: missing tag 0x%02x", ErrMalformed, tag)
	}
	if err := v.DecodeMsgpack(msgpack.NewDecoder(&cursor{b: b[1:]})); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return nil
}

// cursor is the reader proofs are decoded from. The decoder reads it
// directly, without buffering, so decodeSeq can read elements from it in
// step with the decoder.
type cursor struct {
	b   []byte
	off int
}

func (c *cursor) Read(p []byte) (int, error) {
	if c.off >= len(c.b) {
		return 0, io.EOF
	}
	n := copy(p, c.b[c.off:])
	c.off += n
	return n, nil
}

func (c *cursor) ReadByte() (byte, error) {
	if c.off >= len(c.b) {
		return 0, io.EOF
	}
	c.off++
	return c.b[c.off-1], nil
}

func (c *cursor) UnreadByte() error {
	if c.off == 0 {
		return errors.New("cursor: unread at start")
	}
	c.off--
	return nil
}
