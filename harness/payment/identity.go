package payment

import (
	"bytes"
	"crypto/sha3"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/zeebo/blake3"

	"github.com/fanbench/fanbench/harness/xorname"
)

// Sizes of the ML-DSA-65 artefacts every quote and candidate carries.
const (
	// PublicKeySize is the length of a packed ML-DSA-65 public key, in bytes
	// (FIPS 204; evmlib data_payments.rs PaymentQuote.pub_key).
	PublicKeySize = mldsa65.PublicKeySize
	// SignatureSize is the length of an ML-DSA-65 signature, in bytes
	// (FIPS 204; evmlib data_payments.rs PaymentQuote.signature).
	SignatureSize = mldsa65.SignatureSize
	// RewardsSize is the length of an EVM rewards address, in bytes.
	RewardsSize = 20
)

// Identity is a simulated peer's signing identity: an ML-DSA-65 key pair,
// the peer id derived from it and a rewards address. It is immutable after
// NewIdentity and safe for concurrent use. An Identity holds the expanded
// private key and the packed public key, about 67 KB, for as long as it
// lives.
type Identity struct {
	// ID is the peer id, BLAKE3 of the packed public key (saorsa-core
	// peer_id_from_public_key_bytes).
	ID xorname.Name
	// Rewards is the EVM address the peer is paid at.
	Rewards [RewardsSize]byte

	pub []byte // packed public key, PublicKeySize bytes; never modified
	sk  *mldsa65.PrivateKey
}

// NewIdentity derives an identity from seed: the same seed gives the same
// keys, peer id and rewards address. Generating the key costs about as much
// as one signature.
func NewIdentity(seed [32]byte) *Identity {
	pk, sk := mldsa65.NewKeyFromSeed(&seed)
	id := &Identity{pub: pk.Bytes(), sk: sk}
	id.ID = xorname.FromContent(id.pub)
	blake3.DeriveKey("fanbench/payment rewards address", seed[:], id.Rewards[:])
	return id
}

// PublicKey returns the packed public key. The slice is shared; callers
// must not modify it.
func (id *Identity) PublicKey() []byte { return id.pub }

// Quote returns a signed quote to store content at price (atto per chunk)
// made at time at. Like a quote the client decodes off the wire, it owns
// fresh copies of the public key and the signature (about 5.3 KB). The
// signature is deterministic (ML-DSA-65 hedged signing off), so equal inputs
// give equal quotes.
func (id *Identity) Quote(content xorname.Name, price uint64, at time.Time) Quote {
	q := Quote{
		Content:   content,
		Timestamp: wireTime(at),
		Price:     price,
		Rewards:   id.Rewards,
		PubKey:    bytes.Clone(id.pub),
	}
	q.Signature = id.sign(q.signedBytes())
	return q
}

// Candidate returns a signed merkle candidate quoting price for a batch the
// client stamped with timestamp (Unix seconds). The candidate owns fresh
// copies of the key and the signature.
func (id *Identity) Candidate(price, timestamp uint64) Candidate {
	c := Candidate{
		PubKey:    bytes.Clone(id.pub),
		Price:     price,
		Rewards:   id.Rewards,
		Timestamp: timestamp,
	}
	c.Signature = id.sign(c.signedBytes())
	return c
}

func (id *Identity) sign(msg []byte) []byte {
	sig := make([]byte, SignatureSize)
	// The context is empty, so SignTo cannot fail.
	if err := mldsa65.SignTo(id.sk, msg, nil, false, sig); err != nil {
		panic("payment: ML-DSA-65 signing with an empty context failed: " + err.Error())
	}
	return sig
}

// wireTime is at as the wire carries it: whole nanoseconds since the epoch
// in UTC, with no monotonic reading. Times before the epoch become the
// epoch, where Rust's SystemTime would refuse to serialize.
func wireTime(at time.Time) time.Time {
	if at.Before(time.Unix(0, 0)) {
		return time.Unix(0, 0).UTC()
	}
	return time.Unix(at.Unix(), int64(at.Nanosecond())).UTC()
}

// Quote is a peer's signed offer to store one chunk (evmlib
// src/data_payments.rs PaymentQuote, the 0.8-era six fields). A quote owns
// its byte slices.
type Quote struct {
	// Content is the chunk address the quote is for.
	Content xorname.Name
	// Timestamp is when the peer made the quote; its whole seconds are
	// signed.
	Timestamp time.Time
	// Price is the peer's price for the chunk, in atto. The real field is a
	// U256; the model's prices fit in 64 bits.
	Price uint64
	// Rewards is the peer's EVM rewards address.
	Rewards [RewardsSize]byte
	// PubKey is the peer's packed ML-DSA-65 public key.
	PubKey []byte
	// Signature is the ML-DSA-65 signature over the quote's signed bytes.
	Signature []byte
}

// signedBytes is PaymentQuote::bytes_for_sig: content, timestamp seconds
// (u64 LE), price (U256 LE) and rewards address, 92 bytes.
func (q *Quote) signedBytes() []byte {
	b := make([]byte, 0, xorname.Size+8+32+RewardsSize)
	b = append(b, q.Content[:]...)
	b = binary.LittleEndian.AppendUint64(b, uint64(max(q.Timestamp.Unix(), 0)))
	b = appendU256LE(b, q.Price)
	return append(b, q.Rewards[:]...)
}

// Hash returns the quote hash the ledger files payments under: a hash of
// the signed bytes, the public key and the signature (PaymentQuote::hash).
// Upstream uses Keccak-256; the model uses SHA3-256, which differs only in
// padding and costs the same.
func (q *Quote) Hash() [32]byte {
	h := sha3.New256()
	h.Write(q.signedBytes())
	h.Write(q.PubKey)
	h.Write(q.Signature)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// Verify checks the quote's signature against its own public key
// (ant-protocol src/payment/verify.rs verify_quote_signature). It returns an
// error wrapping ErrBadSignature if the key does not parse or the signature
// does not verify. It does not check who the key belongs to.
func (q *Quote) Verify() error {
	if !verifySignature(q.PubKey, q.signedBytes(), q.Signature) {
		return fmt.Errorf("quote for %s: %w", q.Content.Short(), ErrBadSignature)
	}
	return nil
}

// PeerQuote is a quote with the id of the peer that gave it, as a
// single-node proof lists them (ProofOfPayment.peer_quotes).
type PeerQuote struct {
	Peer  xorname.Name
	Quote Quote
}

// Candidate is a peer's signed offer to join a merkle candidate pool
// (evmlib src/merkle_payments/merkle_payment.rs MerklePaymentCandidateNode,
// the 0.8-era five fields). It names no content: one candidate is valid for
// every pool of a batch. A candidate owns its byte slices.
type Candidate struct {
	// PubKey is the peer's packed ML-DSA-65 public key.
	PubKey []byte
	// Price is the peer's price per chunk, in atto.
	Price uint64
	// Rewards is the peer's EVM rewards address.
	Rewards [RewardsSize]byte
	// Timestamp is the client's merkle payment timestamp, in Unix seconds.
	Timestamp uint64
	// Signature is the ML-DSA-65 signature over price, rewards and
	// timestamp.
	Signature []byte
}

// signedBytes is MerklePaymentCandidateNode::bytes_to_sign: price (U256
// LE), rewards address and timestamp (u64 LE), 60 bytes.
func (c *Candidate) signedBytes() []byte {
	b := make([]byte, 0, 32+RewardsSize+8)
	b = appendU256LE(b, c.Price)
	b = append(b, c.Rewards[:]...)
	return binary.LittleEndian.AppendUint64(b, c.Timestamp)
}

// writeHashBytes writes MerklePaymentCandidateNode::to_bytes, the
// candidate's part of its pool's hash.
func (c *Candidate) writeHashBytes(h *sha3.SHA3) {
	var num [32]byte
	h.Write(c.PubKey)
	h.Write(appendU256LE(num[:0], c.Price))
	h.Write(c.Rewards[:])
	h.Write(binary.LittleEndian.AppendUint64(num[:0], c.Timestamp))
	h.Write(c.Signature)
}

// Verify checks the candidate's signature against its own public key
// (ant-protocol src/payment/verify.rs verify_merkle_candidate_signature).
// It returns an error wrapping ErrBadSignature on failure.
func (c *Candidate) Verify() error {
	if !verifySignature(c.PubKey, c.signedBytes(), c.Signature) {
		return fmt.Errorf("merkle candidate %x: %w", c.Rewards[:4], ErrBadSignature)
	}
	return nil
}

// verifySignature reports whether sig is a valid ML-DSA-65 signature by the
// packed key pub over msg with an empty context. Unpacking the key expands
// its matrix, which is most of the cost, as in every implementation that
// takes the key as bytes; the simulated peers verify the same few hundred
// keys over and over, so unpacked keys are kept (publicKey).
func verifySignature(pub, msg, sig []byte) bool {
	if len(pub) != PublicKeySize || len(sig) != SignatureSize {
		return false
	}
	pk := publicKey(pub)
	return pk != nil && mldsa65.Verify(pk, msg, nil, sig)
}

// maxKeptKeys bounds the unpacked keys kept, about 32 KB each: a network of
// the default 200 peers keeps all of its keys.
const maxKeptKeys = 1024

var keys struct {
	sync.Mutex
	m map[string]*mldsa65.PublicKey
}

// publicKey returns the key packed in pub, unpacked, or nil if pub is not
// a key. Up to maxKeptKeys keys are kept, shared by every verifier of the
// process, so that the harness's heap does not churn with the peers'
// verifications (a garbage collector the client has not would otherwise
// move the process's memory with GOGC).
func publicKey(pub []byte) *mldsa65.PublicKey {
	keys.Lock()
	defer keys.Unlock()
	if pk, ok := keys.m[string(pub)]; ok {
		return pk
	}
	pk := new(mldsa65.PublicKey)
	if err := pk.UnmarshalBinary(pub); err != nil {
		return nil
	}
	if keys.m == nil {
		keys.m = map[string]*mldsa65.PublicKey{}
	}
	if len(keys.m) < maxKeptKeys {
		keys.m[string(pub)] = pk
	}
	return pk
}

// peerMatches reports whether pub is a well-formed ML-DSA-65 key whose
// BLAKE3 hash is peer (ant-node verifier.rs validate_peer_bindings).
func peerMatches(peer xorname.Name, pub []byte) bool {
	return len(pub) == PublicKeySize && xorname.FromContent(pub) == peer
}

// appendU256LE appends v as a 256-bit little-endian integer, as
// Uint::to_le_bytes::<32> lays out a U256 price.
func appendU256LE(b []byte, v uint64) []byte {
	b = binary.LittleEndian.AppendUint64(b, v)
	var zero [24]byte
	return append(b, zero[:]...)
}
