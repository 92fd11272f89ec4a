package payment

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func TestSinglePayment(t *testing.T) {
	tests := []struct {
		name   string
		prices [CloseGroupSize]uint64
		median uint64
	}{
		{"distinct", defaultPrices, 400},
		{"sorted already", [7]uint64{1, 2, 3, 4, 5, 6, 7}, 4},
		{"ties at the median", [7]uint64{5, 9, 5, 1, 5, 9, 1}, 5},
		{"all equal", [7]uint64{8, 8, 8, 8, 8, 8, 8}, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			qs := quoteSet(addrOf(tt.name), tt.prices)
			ts := SinglePayment(qs)
			if len(ts) != CloseGroupSize {
				t.Fatalf("%d transfers, want %d", len(ts), CloseGroupSize)
			}
			byHash := map[[32]byte]*Quote{}
			for i := range qs {
				byHash[qs[i].Quote.Hash()] = &qs[i].Quote
			}
			var last uint64
			for i, tr := range ts {
				q := byHash[tr.QuoteHash]
				if q == nil {
					t.Fatalf("transfer %d names no quote", i)
				}
				if q.Price < last {
					t.Errorf("transfer %d out of price order", i)
				}
				last = q.Price
				if q.Rewards != tr.Rewards {
					t.Errorf("transfer %d pays another address", i)
				}
				want := uint64(0)
				if i == MedianIndex {
					want = MedianMultiplier * tt.median
				}
				if tr.Amount != want {
					t.Errorf("transfer %d (price %d) pays %d, want %d", i, q.Price, tr.Amount, want)
				}
			}
			// Stable: sorted, the prices are 1 1 5 5 5 9 9 and index 3 is
			// the second 5 in quote order, quote 2.
			if tt.name == "ties at the median" && byHash[ts[MedianIndex].QuoteHash] != &qs[2].Quote {
				t.Error("tie at the median not broken by quote order")
			}
		})
	}
	if got := SinglePayment(quoteSet(addrOf("six"), defaultPrices)[:6]); got != nil {
		t.Errorf("six quotes gave %d transfers, want none", len(got))
	}
}

func TestSingleProofSizeAndRoundTrip(t *testing.T) {
	l := NewLedger(fixedClock)
	addr := addrOf("single proof size")
	qs, proof := paidSingleProof(l, addr)
	txs := []TxHash{{}}
	txs[0], _ = l.PaidBy(SinglePayment(qs)[MedianIndex].QuoteHash)

	p := &SingleProof{Quotes: qs, TxHashes: txs}
	if got, want := len(proof), rmpSingleProof(p); got != want {
		t.Errorf("proof is %d bytes, rmp size model says %d", got, want)
	}
	if cap(proof) != len(proof) {
		t.Errorf("proof capacity %d, length %d; want equal", cap(proof), len(proof))
	}
	const lo, hi = 40_000, 60_000
	if len(proof) < lo || len(proof) > hi {
		t.Errorf("single-node proof is %d bytes, want %d to %d", len(proof), lo, hi)
	}
	raw := CloseGroupSize * (PublicKeySize + SignatureSize)
	t.Logf("single-node proof: %d bytes (%.2f× the %d raw key and signature bytes)", len(proof), float64(len(proof))/float64(raw), raw)

	// The opening bytes as rmp_serde writes them: tag, PaymentProof [2],
	// ProofOfPayment [1], seven peer quotes, the first a [2] tuple whose
	// peer id is an array16 of 32 integers.
	if want := []byte{SingleTag, 0x92, 0x91, 0x97, 0x92, 0xdc, 0x00, 0x20}; !bytes.HasPrefix(proof, want) {
		t.Errorf("proof opens % x, want % x", proof[:len(want)], want)
	}

	back, err := DecodeSingleProof(proof)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, p) {
		t.Error("decoding did not give back the encoded proof")
	}
	if again := EncodeSingleProof(back.Quotes, back.TxHashes); !bytes.Equal(again, proof) {
		t.Error("re-encoding the decoded proof changed its bytes")
	}
}

func TestDecodeSingleProofRejects(t *testing.T) {
	_, proof := paidSingleProof(NewLedger(fixedClock), addrOf("decode rejects"))
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"tag only", []byte{SingleTag}},
		{"merkle tag", append([]byte{MerkleTag}, proof[1:]...)},
		{"truncated", proof[:len(proof)/2]},
		{"one byte short", proof[:len(proof)-1]},
		{"byte out of range", func() []byte {
			b := bytes.Clone(proof)
			copy(b[8:], []byte{0xcd, 0x01, 0x00}) // 256 where a byte of the peer id belongs
			return b
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := DecodeSingleProof(tt.b); !errors.Is(err, ErrMalformed) {
				t.Errorf("DecodeSingleProof = %v, want ErrMalformed", err)
			}
		})
	}
}
