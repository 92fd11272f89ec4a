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

// The wire layout is what rmp_serde::to_vec writes for the Rust types, so
// that proof sizes are the real ones:
//
//   - a struct or tuple is an array of its fields, in declaration order;
//   - Vec<u8>, [u8; 32] and a peer id are arrays of integers, one per byte,
//     so a byte below 0x80 takes 1 byte and the rest take 2 (uint8);
//   - a U256 price, a rewards address and a tx hash serialize as bin
//     (ruint and alloy FixedBytes call serialize_bytes);
//   - SystemTime is the array [secs, nanos]; usize and u64 are compact
//     unsigned integers; None is nil.
//
// Decoding is strict about shape and lengths and bounds every allocation
// by the input's size. It accepts two things rmp_serde would refuse: nil
// where a byte or integer belongs (read as 0) and trailing bytes after the
// proof, which rmp_serde::from_slice also ignores.

var (
	_ msgpack.CustomEncoder = (*Quote)(nil)
	_ msgpack.CustomDecoder = (*Quote)(nil)
	_ msgpack.CustomEncoder = (*Candidate)(nil)
	_ msgpack.CustomDecoder = (*Candidate)(nil)
	_ msgpack.CustomEncoder = (*SingleProof)(nil)
	_ msgpack.CustomDecoder = (*SingleProof)(nil)
	_ msgpack.CustomEncoder = (*MerkleProof)(nil)
	_ msgpack.CustomDecoder = (*MerkleProof)(nil)
)

// maxSeq bounds any decoded array: no valid proof holds one longer than
// the largest proof a node accepts.
const maxSeq = MaxProofSize

// maxSiblings bounds a merkle branch's hash list.
const maxSiblings = 64

var errShape = errors.New("unexpected shape")

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

// --- Quote and Candidate ---

// EncodeMsgpack writes q as rmp_serde writes a PaymentQuote.
func (q *Quote) EncodeMsgpack(enc *msgpack.Encoder) error {
	if err := enc.EncodeArrayLen(6); err != nil {
		return err
	}
	if err := encodeSeq(enc, q.Content[:]); err != nil {
		return err
	}
	if err := encodeTime(enc, q.Timestamp); err != nil {
		return err
	}
	if err := encodeU256(enc, q.Price); err != nil {
		return err
	}
	if err := enc.EncodeBytes(q.Rewards[:]); err != nil {
		return err
	}
	if err := encodeSeq(enc, q.PubKey); err != nil {
		return err
	}
	return encodeSeq(enc, q.Signature)
}

// DecodeMsgpack reads a quote written by EncodeMsgpack.
func (q *Quote) DecodeMsgpack(dec *msgpack.Decoder) (err error) {
	if err = expectArray(dec, 6, "quote"); err != nil {
		return err
	}
	if q.Content, err = decodeName(dec, "quote.content"); err != nil {
		return err
	}
	if q.Timestamp, err = decodeTime(dec, "quote.timestamp"); err != nil {
		return err
	}
	if q.Price, err = decodeU256(dec, "quote.price"); err != nil {
		return err
	}
	if err = decodeBin(dec, q.Rewards[:], "quote.rewards_address"); err != nil {
		return err
	}
	if q.PubKey, err = decodeSeq(dec, -1, "quote.pub_key"); err != nil {
		return err
	}
	q.Signature, err = decodeSeq(dec, -1, "quote.signature")
	return err
}

// EncodeMsgpack writes c as rmp_serde writes a MerklePaymentCandidateNode.
func (c *Candidate) EncodeMsgpack(enc *msgpack.Encoder) error {
	if err := enc.EncodeArrayLen(5); err != nil {
		return err
	}
	if err := encodeSeq(enc, c.PubKey); err != nil {
		return err
	}
	if err := encodeU256(enc, c.Price); err != nil {
		return err
	}
	if err := enc.EncodeBytes(c.Rewards[:]); err != nil {
		return err
	}
	if err := enc.EncodeUint(c.Timestamp); err != nil {
		return err
	}
	return encodeSeq(enc, c.Signature)
}

// DecodeMsgpack reads a candidate written by EncodeMsgpack.
func (c *Candidate) DecodeMsgpack(dec *msgpack.Decoder) (err error) {
	if err = expectArray(dec, 5, "candidate"); err != nil {
		return err
	}
	if c.PubKey, err = decodeSeq(dec, -1, "candidate.pub_key"); err != nil {
		return err
	}
	if c.Price, err = decodeU256(dec, "candidate.price"); err != nil {
		return err
	}
	if err = decodeBin(dec, c.Rewards[:], "candidate.reward_address"); err != nil {
		return err
	}
	if c.Timestamp, err = decodeUint(dec, "candidate.merkle_payment_timestamp"); err != nil {
		return err
	}
	c.Signature, err = decodeSeq(dec, -1, "candidate.signature")
	return err
}

// --- single-node proof ---

// EncodeMsgpack writes p as rmp_serde writes ant-protocol's PaymentProof:
// [proof_of_payment: [peer_quotes: [[peer id, quote]…]], tx_hashes].
func (p *SingleProof) EncodeMsgpack(enc *msgpack.Encoder) error {
	if err := enc.EncodeArrayLen(2); err != nil {
		return err
	}
	if err := enc.EncodeArrayLen(1); err != nil {
		return err
	}
	if err := enc.EncodeArrayLen(len(p.Quotes)); err != nil {
		return err
	}
	for i := range p.Quotes {
		pq := &p.Quotes[i]
		if err := enc.EncodeArrayLen(2); err != nil {
			return err
		}
		if err := encodeSeq(enc, pq.Peer[:]); err != nil {
			return err
		}
		if err := pq.Quote.EncodeMsgpack(enc); err != nil {
			return err
		}
	}
	if err := enc.EncodeArrayLen(len(p.TxHashes)); err != nil {
		return err
	}
	for i := range p.TxHashes {
		if err := enc.EncodeBytes(p.TxHashes[i][:]); err != nil {
			return err
		}
	}
	return nil
}

// DecodeMsgpack reads a proof written by EncodeMsgpack.
func (p *SingleProof) DecodeMsgpack(dec *msgpack.Decoder) error {
	if err := expectArray(dec, 2, "payment_proof"); err != nil {
		return err
	}
	if err := expectArray(dec, 1, "proof_of_payment"); err != nil {
		return err
	}
	n, err := decodeArrayLen(dec, maxSeq, "peer_quotes")
	if err != nil {
		return err
	}
	p.Quotes = make([]PeerQuote, 0, min(n, QuotesAsked))
	for i := range n {
		var pq PeerQuote
		if err := expectArray(dec, 2, fmt.Sprintf("peer_quotes[%d]", i)); err != nil {
			return err
		}
		if pq.Peer, err = decodeName(dec, "peer id"); err != nil {
			return err
		}
		if err := pq.Quote.DecodeMsgpack(dec); err != nil {
			return fmt.Errorf("peer_quotes[%d]: %w", i, err)
		}
		p.Quotes = append(p.Quotes, pq)
	}
	if n, err = decodeArrayLen(dec, maxSeq, "tx_hashes"); err != nil {
		return err
	}
	p.TxHashes = make([]TxHash, 0, min(n, 4))
	for range n {
		var h TxHash
		if err := decodeBin(dec, h[:], "tx_hash"); err != nil {
			return err
		}
		p.TxHashes = append(p.TxHashes, h)
	}
	return nil
}

// --- merkle proof ---

// encodeMsgpack writes b as rmp_serde writes a MerkleBranch.
func (b *Branch) encodeMsgpack(enc *msgpack.Encoder) error {
	if err := enc.EncodeArrayLen(6); err != nil {
		return err
	}
	if err := enc.EncodeArrayLen(len(b.Siblings)); err != nil {
		return err
	}
	for i := range b.Siblings {
		if err := encodeSeq(enc, b.Siblings[i][:]); err != nil {
			return err
		}
	}
	if err := enc.EncodeUint(b.Index); err != nil {
		return err
	}
	if err := enc.EncodeUint(b.Leaves); err != nil {
		return err
	}
	if err := encodeSeq(enc, b.Leaf[:]); err != nil {
		return err
	}
	if err := encodeSeq(enc, b.Root[:]); err != nil {
		return err
	}
	if b.Salt == nil {
		return enc.EncodeNil()
	}
	return encodeSeq(enc, b.Salt[:])
}

func (b *Branch) decodeMsgpack(dec *msgpack.Decoder, what string) error {
	if err := expectArray(dec, 6, what); err != nil {
		return err
	}
	n, err := decodeArrayLen(dec, maxSiblings, what+".proof_hashes")
	if err != nil {
		return err
	}
	b.Siblings = make([][32]byte, n)
	for i := range b.Siblings {
		h, err := decodeName(dec, what+".proof_hashes")
		if err != nil {
			return err
		}
		b.Siblings[i] = h
	}
	if b.Index, err = decodeUint(dec, what+".leaf_index"); err != nil {
		return err
	}
	if b.Leaves, err = decodeUint(dec, what+".total_leaves_count"); err != nil {
		return err
	}
	if b.Leaf, err = decodeName(dec, what+".unsalted_leaf_hash"); err != nil {
		return err
	}
	if b.Root, err = decodeName(dec, what+".root"); err != nil {
		return err
	}
	c, err := dec.PeekCode()
	if err != nil {
		return fmt.Errorf("%s.salt: %w", what, err)
	}
	if c == msgpcode.Nil {
		b.Salt = nil
		return dec.DecodeNil()
	}
	salt, err := decodeName(dec, what+".salt")
	if err != nil {
		return err
	}
	b.Salt = (*[32]byte)(salt[:])
	return nil
}

// encodeMsgpack writes p as rmp_serde writes a MerklePaymentCandidatePool.
func (p *Pool) encodeMsgpack(enc *msgpack.Encoder) error {
	if err := enc.EncodeArrayLen(2); err != nil {
		return err
	}
	if err := enc.EncodeArrayLen(2); err != nil { // MidpointProof
		return err
	}
	if err := p.Midpoint.Branch.encodeMsgpack(enc); err != nil {
		return err
	}
	if err := enc.EncodeUint(p.Midpoint.Timestamp); err != nil {
		return err
	}
	if err := enc.EncodeArrayLen(len(p.Candidates)); err != nil {
		return err
	}
	for i := range p.Candidates {
		if err := p.Candidates[i].EncodeMsgpack(enc); err != nil {
			return err
		}
	}
	return nil
}

func (p *Pool) decodeMsgpack(dec *msgpack.Decoder) (err error) {
	if err = expectArray(dec, 2, "winner_pool"); err != nil {
		return err
	}
	if err = expectArray(dec, 2, "midpoint_proof"); err != nil {
		return err
	}
	if err = p.Midpoint.Branch.decodeMsgpack(dec, "midpoint_proof.branch"); err != nil {
		return err
	}
	if p.Midpoint.Timestamp, err = decodeUint(dec, "midpoint_proof.merkle_payment_timestamp"); err != nil {
		return err
	}
	if err = expectArray(dec, CandidatesPerPool, "candidate_nodes"); err != nil {
		return err
	}
	for i := range p.Candidates {
		if err = p.Candidates[i].DecodeMsgpack(dec); err != nil {
			return fmt.Errorf("candidate_nodes[%d]: %w", i, err)
		}
	}
	return nil
}

// EncodeMsgpack writes p as rmp_serde writes evmlib's MerklePaymentProof:
// [address, data_proof, winner_pool].
func (p *MerkleProof) EncodeMsgpack(enc *msgpack.Encoder) error {
	if err := enc.EncodeArrayLen(3); err != nil {
		return err
	}
	if err := encodeSeq(enc, p.Address[:]); err != nil {
		return err
	}
	if err := p.Data.encodeMsgpack(enc); err != nil {
		return err
	}
	return p.Winner.encodeMsgpack(enc)
}

// DecodeMsgpack reads a proof written by EncodeMsgpack.
func (p *MerkleProof) DecodeMsgpack(dec *msgpack.Decoder) (err error) {
	if err = expectArray(dec, 3, "merkle_payment_proof"); err != nil {
		return err
	}
	if p.Address, err = decodeName(dec, "address"); err != nil {
		return err
	}
	if err = p.Data.decodeMsgpack(dec, "data_proof"); err != nil {
		return err
	}
	return p.Winner.decodeMsgpack(dec)
}
