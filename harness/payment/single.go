package payment

import (
	"math"
	"slices"
)

// SingleProof is a decoded single-node proof (ant-protocol
// src/payment/proof.rs PaymentProof, before the ADR-0004 sidecars).
type SingleProof struct {
	// Quotes are the chunk's CloseGroupSize quotes, in the order the client
	// kept them (nearest peer first).
	Quotes []PeerQuote
	// TxHashes are the transactions that paid the chunk's non-zero
	// transfers: one for a normal wave.
	TxHashes []TxHash
}

// SinglePayment returns the transfers that pay for one chunk by the
// single-node rule (ant-protocol src/payment/single_node.rs from_quotes):
// the quotes are sorted by price, stably; the median (index MedianIndex)
// gets MedianMultiplier × its price and the other CloseGroupSize−1 get 0.
// Transfers come in price order. quotes must hold exactly CloseGroupSize
// entries and the median price times MedianMultiplier must fit in 64 bits;
// otherwise, where from_quotes would fail, SinglePayment returns nil, which
// pays nothing and so fails verification with ErrUnpaid.
func SinglePayment(quotes []PeerQuote) []Transfer {
	if len(quotes) != CloseGroupSize {
		return nil
	}
	sorted := sortedByPrice(quotes)
	median := sorted[MedianIndex].Price
	if median > math.MaxUint64/MedianMultiplier {
		return nil
	}
	ts := make([]Transfer, len(sorted))
	for i, q := range sorted {
		ts[i] = Transfer{QuoteHash: q.Hash(), Rewards: q.Rewards}
		if i == MedianIndex {
			ts[i].Amount = median * MedianMultiplier
		}
	}
	return ts
}

// sortedByPrice returns pointers to the quotes in stable price order, as
// Rust's sort_by_key leaves them.
func sortedByPrice(quotes []PeerQuote) []*Quote {
	s := make([]*Quote, len(quotes))
	for i := range quotes {
		s[i] = &quotes[i].Quote
	}
	slices.SortStableFunc(s, func(a, b *Quote) int {
		switch {
		case a.Price < b.Price:
			return -1
		case a.Price > b.Price:
			return 1
		}
		return 0
	})
	return s
}

// EncodeSingleProof returns the tagged proof a chunk PUT carries on the
// single-node path (ant-client batch.rs build_paid_chunks; ant-protocol
// proof.rs serialize_single_node_proof): SingleTag, then the rmp_serde
// encoding of PaymentProof{proof_of_payment: {peer_quotes}, tx_hashes}.
// txs are the transactions that paid the chunk's non-zero transfer, which
// for a wave of at most MaxTransfersPerTransaction chunks is the wave's one
// transaction. With seven ML-DSA-65 quotes the proof is about 56 KB. The
// result is a fresh slice whose capacity equals its length; the caller owns
// it.
func EncodeSingleProof(quotes []PeerQuote, txs []TxHash) []byte {
	p := SingleProof{Quotes: quotes, TxHashes: txs}
	// An upper bound, so the buffer never regrows: every byte of a key, a
	// signature or a name may take 2.
	hint := 16 + len(txs)*34 + len(quotes)*(64+2*(2*32+PublicKeySize+SignatureSize))
	return encodeTagged(SingleTag, &p, hint)
}

// DecodeSingleProof decodes a proof made by EncodeSingleProof. It checks
// the tag and the shape, not the contents; errors wrap ErrMalformed.
func DecodeSingleProof(b []byte) (*SingleProof, error) {
	p := new(SingleProof)
	if err := decodeTagged(b, SingleTag, p); err != nil {
		return nil, err
	}
	return p, nil
}
