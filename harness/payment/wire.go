package payment

import (
	"errors"
	"fmt"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
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
