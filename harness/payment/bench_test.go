package payment

import (
	"testing"
	"time"
)

// BenchmarkVerifySingle is one node's full check of a single-node proof:
// decode, seven ML-DSA-65 verifications and one ledger lookup.
func BenchmarkVerifySingle(b *testing.B) {
	ids := testPeers()
	l := NewLedger(fixedClock)
	addr := addrOf("bench single")
	_, proof := paidSingleProof(l, addr)
	now := t0.Add(time.Minute)
	b.SetBytes(int64(len(proof)))
	b.ReportAllocs()
	for b.Loop() {
		v := NewVerifier(l, ids[0].Rewards, VerifierOptions{})
		if err := v.Verify(proof, addr, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyMerkle is one node's check of one more chunk of a pool
// whose ledger record it already holds: "upstream" repeats the 16
// candidate signature checks as ant-node does; "signature-cache" skips
// them after the pool's first chunk.
func BenchmarkVerifyMerkle(b *testing.B) {
	as, l, proofs := merkleBatch(b, 4, "bench merkle")
	now := t0.Add(time.Minute)
	for _, bc := range []struct {
		name string
		opts VerifierOptions
	}{
		{"upstream", VerifierOptions{PoolCapacity: 1}},
		{"signature-cache", VerifierOptions{PoolCapacity: 1, CachePoolSignatures: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			v := NewVerifier(l, [20]byte{}, bc.opts)
			b.SetBytes(int64(len(proofs[as[0]])))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				a := as[i%len(as)]
				if err := v.Verify(proofs[a], a, now); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkEncode is the client's cost of serializing one proof.
func BenchmarkEncode(b *testing.B) {
	l := NewLedger(fixedClock)
	qs, single := paidSingleProof(l, addrOf("bench encode"))
	sp, _ := DecodeSingleProof(single)
	as, _, proofs := merkleBatch(b, 4, "bench encode")
	mp, _ := DecodeMerkleProof(proofs[as[0]])
	b.Run("single", func(b *testing.B) {
		b.SetBytes(int64(len(single)))
		b.ReportAllocs()
		for b.Loop() {
			EncodeSingleProof(qs, sp.TxHashes)
		}
	})
	b.Run("merkle", func(b *testing.B) {
		b.SetBytes(int64(len(proofs[as[0]])))
		b.ReportAllocs()
		for b.Loop() {
			EncodeMerkleProof(mp)
		}
	})
}

// BenchmarkSign is a peer's cost of making one quote.
func BenchmarkSign(b *testing.B) {
	id := testPeers()[0]
	addr := addrOf("bench sign")
	b.ReportAllocs()
	for b.Loop() {
		id.Quote(addr, 1, t0)
	}
}
