package payment

import (
	"errors"
	"fmt"
	"time"
)

// Sizes and counts of the close group and the single-node payment.
const (
	// CloseGroupSize is the number of quotes a single-node proof carries and
	// the node checks for (ant-protocol src/chunk.rs L35).
	CloseGroupSize = 7
	// QuotesAsked is how many peers the client asks for a quote per chunk,
	// 2 × CloseGroupSize (ant-client quote.rs L56).
	QuotesAsked = 2 * CloseGroupSize
	// MedianIndex is the index of the paid quote once the quotes are sorted
	// by price, CLOSE_GROUP_SIZE / 2 (ant-protocol src/payment/single_node.rs
	// MEDIAN_INDEX).
	MedianIndex = CloseGroupSize / 2
	// MedianMultiplier is how many times its price the median quote is paid
	// (ant-protocol src/payment/single_node.rs from_quotes).
	MedianMultiplier = 3
	// MaxTransfersPerTransaction is the most non-zero transfers one
	// payForQuotes transaction carries (evmlib
	// src/contract/payment_vault/mod.rs L11).
	MaxTransfersPerTransaction = 256
)

// Sizes of the merkle batch payment.
const (
	// MerkleThreshold is the chunk count at which PaymentMode::Auto picks
	// the merkle path (ant-client merkle.rs DEFAULT_MERKLE_THRESHOLD, L29).
	MerkleThreshold = 64
	// MinLeaves is the fewest addresses a merkle tree takes (evmlib
	// src/merkle_payments/merkle_tree.rs MIN_LEAVES).
	MinLeaves = 2
	// MaxMerkleDepth is the deepest merkle tree the client builds (evmlib
	// src/merkle_batch_payment.rs MAX_MERKLE_DEPTH).
	MaxMerkleDepth = 8
	// MaxLeaves is the most addresses one merkle tree, and so one on-chain
	// payment, covers: 2^MaxMerkleDepth (evmlib merkle_tree.rs MAX_LEAVES).
	MaxLeaves = 1 << MaxMerkleDepth
	// CandidatesPerPool is the number of signed candidates in a pool
	// (evmlib src/merkle_batch_payment.rs CANDIDATES_PER_POOL).
	CandidatesPerPool = 16
	// PoolPeersAsked is how many peers the client asks per pool, keeping the
	// first CandidatesPerPool valid answers (ant-client merkle.rs
	// get_merkle_candidate_pool, CANDIDATES_PER_POOL * 2).
	PoolPeersAsked = 2 * CandidatesPerPool
	// MerkleMedianIndex is the index of the median16 price the contract pays
	// on (evmlib contracts/MerklePaymentLib.sol median16, k = 8).
	MerkleMedianIndex = CandidatesPerPool / 2
)

// Proof framing and the node's acceptance windows.
const (
	// SingleTag is the first byte of a single-node proof (ant-protocol
	// src/chunk.rs PROOF_TAG_SINGLE_NODE).
	SingleTag byte = 0x01
	// MerkleTag is the first byte of a merkle proof (ant-protocol
	// src/chunk.rs PROOF_TAG_MERKLE).
	MerkleTag byte = 0x02
	// MaxProofSize is the largest proof a node accepts, in bytes (ant-node
	// src/payment/verifier.rs MAX_PAYMENT_PROOF_SIZE_BYTES).
	MaxProofSize = 262_144
	// MinProofSize is the smallest proof a node accepts, in bytes (ant-node
	// src/payment/verifier.rs MIN_PAYMENT_PROOF_SIZE_BYTES).
	MinProofSize = 32
	// QuoteMaxAge is the oldest a quote may be when a node verifies it
	// (ant-node src/payment/verifier.rs QUOTE_MAX_AGE_SECS = 86,400).
	QuoteMaxAge = 24 * time.Hour
	// QuoteFutureSkew is how far ahead of the node's clock a quote's
	// timestamp may be (ant-node verifier.rs
	// QUOTE_FUTURE_SKEW_TOLERANCE_SECS = 300).
	QuoteFutureSkew = 300 * time.Second
	// MerklePaymentExpiration is the oldest a merkle payment may be; one in
	// the future is refused outright (evmlib merkle_tree.rs
	// MERKLE_PAYMENT_EXPIRATION).
	MerklePaymentExpiration = 7 * 24 * time.Hour
)

// Errors a verification or a payment ends with. Each is returned wrapped
// with detail; test for it with errors.Is.
var (
	// ErrMalformed is a proof that is outside the size bounds, has an
	// unknown tag, does not decode, or has the wrong shape (quote count,
	// duplicate peers).
	ErrMalformed = errors.New("malformed payment proof")
	// ErrWrongAddress is a proof made for another chunk address.
	ErrWrongAddress = errors.New("payment proof is for another address")
	// ErrPeerMismatch is a quote whose public key does not hash to the peer
	// id it is filed under, or does not parse as an ML-DSA-65 key.
	ErrPeerMismatch = errors.New("quote public key does not match peer id")
	// ErrNotRecipient is a single-node proof that does not name the
	// verifying node's rewards address among its quotes.
	ErrNotRecipient = errors.New("verifying node is not among the quoted recipients")
	// ErrStale is a quote or merkle payment outside its time window.
	ErrStale = errors.New("payment timestamp out of window")
	// ErrBadSignature is an ML-DSA-65 signature that does not verify.
	ErrBadSignature = errors.New("invalid ML-DSA-65 signature")
	// ErrUnpaid is a proof the ledger does not show as (fully) paid.
	ErrUnpaid = errors.New("payment not found or insufficient on the ledger")
	// ErrBadMerkleProof is a merkle branch that does not lead to the root,
	// has the wrong depth, or disagrees with the on-chain record.
	ErrBadMerkleProof = errors.New("invalid merkle proof")
	// ErrInsufficientPeers is a payment that could not gather enough valid
	// quotes or candidates (ant-client Error::InsufficientPeers); the
	// uploader's Auto mode falls back to single-node payment on it.
	ErrInsufficientPeers = errors.New("insufficient peers for payment")
	// ErrBatch is a merkle batch the client refuses to build (fewer than
	// MinLeaves addresses).
	ErrBatch = errors.New("invalid merkle batch")
	// ErrPartialPayment is a merkle payment whose later sub-batch failed
	// after earlier ones were paid; see PayMerkle.
	ErrPartialPayment = errors.New("merkle payment only partly made")
	// ErrAlreadyPaid is a merkle payment for a winner pool that is already
	// on the ledger (PaymentVaultV2.sol payForMerkleTree reverts).
	ErrAlreadyPaid = errors.New("merkle pool already paid")
)

// Mode is the client's payment mode (ant-client merkle.rs PaymentMode).
type Mode int

const (
	// Auto uses merkle payment from MerkleThreshold chunks on.
	Auto Mode = iota
	// Merkle forces merkle payment (--merkle); it needs MinLeaves chunks.
	Merkle
	// Single forces single-node payment (--no-merkle).
	Single
)

var modeNames = [...]string{Auto: "auto", Merkle: "merkle", Single: "single"}

// String returns the mode's name: auto, merkle or single.
func (m Mode) String() string {
	if m >= 0 && int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("mode(%d)", int(m))
}

// MarshalText writes the mode's name.
func (m Mode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads a mode's name.
func (m *Mode) UnmarshalText(b []byte) error {
	v, err := ParseMode(string(b))
	*m = v
	return err
}

// ParseMode returns the mode named name.
func ParseMode(name string) (Mode, error) {
	for i, n := range modeNames {
		if n == name {
			return Mode(i), nil
		}
	}
	return 0, fmt.Errorf("unknown payment mode %q (want auto, merkle or single)", name)
}

// UseMerkle reports whether an upload of chunks chunks pays by merkle batch
// in mode m (ant-client merkle.rs should_use_merkle).
func UseMerkle(chunks int, m Mode) bool {
	switch m {
	case Auto:
		return chunks >= MerkleThreshold
	case Merkle:
		return chunks >= MinLeaves
	default:
		return false
	}
}
