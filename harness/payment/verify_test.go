package payment

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"
)

// cloneQuotes deep-copies qs so a test case can tamper with its copy.
func cloneQuotes(qs []PeerQuote) []PeerQuote {
	out := slices.Clone(qs)
	for i := range out {
		out[i].Quote.PubKey = slices.Clone(out[i].Quote.PubKey)
		out[i].Quote.Signature = slices.Clone(out[i].Quote.Signature)
	}
	return out
}

func TestVerifySingle(t *testing.T) {
	ids := testPeers()
	addr := addrOf("verify single")
	l := NewLedger(fixedClock)
	qs, proof := paidSingleProof(l, addr)
	txs := l.PayQuotes(nil) // none; proofs below reuse the real one's hashes
	if p, err := DecodeSingleProof(proof); err == nil {
		txs = p.TxHashes
	}
	withQuotes := func(tamper func(qs []PeerQuote) []PeerQuote) []byte {
		return EncodeSingleProof(tamper(cloneQuotes(qs)), txs)
	}
	node := ids[2].Rewards

	tests := []struct {
		name    string
		proof   []byte
		ledger  *Ledger // nil means l
		rewards *[20]byte
		now     time.Time
		want    error // nil means accepted
	}{
		{name: "valid", proof: proof},
		{name: "23 hours old", proof: proof, now: t0.Add(23 * time.Hour)},
		{name: "4 minutes ahead", proof: proof, now: t0.Add(-4 * time.Minute)},
		{name: "forged signature", want: ErrBadSignature, proof: withQuotes(func(qs []PeerQuote) []PeerQuote {
			qs[4].Quote.Signature[200] ^= 0x04
			return qs
		})},
		{name: "quote for another address", want: ErrWrongAddress, proof: withQuotes(func(qs []PeerQuote) []PeerQuote {
			qs[5].Quote = ids[5].Quote(addrOf("another chunk"), qs[5].Quote.Price, t0)
			return qs
		})},
		{name: "wrong peer id", want: ErrPeerMismatch, proof: withQuotes(func(qs []PeerQuote) []PeerQuote {
			qs[1].Peer = ids[20].ID
			return qs
		})},
		{name: "malformed public key", want: ErrPeerMismatch, proof: withQuotes(func(qs []PeerQuote) []PeerQuote {
			qs[1].Quote.PubKey = qs[1].Quote.PubKey[:64]
			return qs
		})},
		{name: "not among the recipients", want: ErrNotRecipient, proof: proof, rewards: &ids[30].Rewards},
		{name: "unpaid", want: ErrUnpaid, proof: proof, ledger: NewLedger(fixedClock)},
		{name: "underpaid median", want: ErrUnpaid, proof: proof, ledger: func() *Ledger {
			under := NewLedger(fixedClock)
			ts := SinglePayment(qs)
			ts[MedianIndex].Amount -= 1
			under.PayQuotes(ts)
			return under
		}()},
		{name: "a quote other than the median paid", want: ErrUnpaid, proof: proof, ledger: func() *Ledger {
			other := NewLedger(fixedClock)
			ts := SinglePayment(qs)
			ts[MedianIndex+1].Amount, ts[MedianIndex].Amount = ts[MedianIndex].Amount, 0
			other.PayQuotes(ts)
			return other
		}()},
		{name: "stale", want: ErrStale, proof: proof, now: t0.Add(QuoteMaxAge + time.Second)},
		{name: "from the future", want: ErrStale, proof: proof, now: t0.Add(-QuoteFutureSkew - time.Second)},
		{name: "six quotes", want: ErrMalformed, proof: withQuotes(func(qs []PeerQuote) []PeerQuote { return qs[:6] })},
		{name: "duplicate peer", want: ErrMalformed, proof: withQuotes(func(qs []PeerQuote) []PeerQuote {
			qs[6] = qs[0]
			return qs
		})},
		{name: "truncated", want: ErrMalformed, proof: proof[:len(proof)-100]},
		{name: "corrupt tag", want: ErrMalformed, proof: append([]byte{0x07}, proof[1:]...)},
		{name: "corrupt body", want: ErrMalformed, proof: func() []byte {
			b := bytes.Clone(proof)
			b[1] = 0x93 // PaymentProof with three fields
			return b
		}()},
		{name: "below the minimum size", want: ErrMalformed, proof: proof[:MinProofSize-1]},
		{name: "above the maximum size", want: ErrMalformed, proof: append(bytes.Clone(proof), make([]byte, MaxProofSize)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			led, rewards, now := l, node, t0.Add(time.Minute)
			if tt.ledger != nil {
				led = tt.ledger
			}
			if tt.rewards != nil {
				rewards = *tt.rewards
			}
			if !tt.now.IsZero() {
				now = tt.now
			}
			v := NewVerifier(led, rewards, DefaultVerifierOptions)
			err := v.Verify(tt.proof, addr, now)
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("Verify = %v, want success", err)
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			s := v.Stats()
			if tt.want == nil && (s.Verified != 1 || s.SignatureChecks != CloseGroupSize || s.LedgerLookups != 1) {
				t.Errorf("stats %+v, want 1 verified, 7 signature checks, 1 lookup", s)
			}
			if tt.want != nil && s.Rejected != 1 {
				t.Errorf("stats %+v, want 1 rejected", s)
			}
		})
	}
}

func TestVerifySingleTiesAndZero(t *testing.T) {
	ids := testPeers()
	tests := []struct {
		name   string
		prices [CloseGroupSize]uint64
		pay    int    // index into quote order of the quote paid
		amount uint64 // paid to it
		want   error
	}{
		// Sorted: 1 5 5 5 5 9 9, and the client pays quote 2 (the third 5).
		// Upstream accepts a payment to any quote tied at the median.
		{"tie, client's pick paid", [7]uint64{5, 5, 5, 5, 1, 9, 9}, 2, 15, nil},
		{"tie, another tied quote paid", [7]uint64{5, 5, 5, 5, 1, 9, 9}, 0, 15, nil},
		{"zero median", [7]uint64{0, 0, 0, 0, 5, 5, 5}, 0, 1, ErrUnpaid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := addrOf(tt.name)
			qs := quoteSet(addr, tt.prices)
			l := NewLedger(fixedClock)
			txs := l.PayQuotes([]Transfer{{QuoteHash: qs[tt.pay].Quote.Hash(), Rewards: qs[tt.pay].Quote.Rewards, Amount: tt.amount}})
			err := NewVerifier(l, ids[0].Rewards, DefaultVerifierOptions).Verify(EncodeSingleProof(qs, txs), addr, t0)
			if !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifierAddressCache(t *testing.T) {
	ids := testPeers()
	l := NewLedger(fixedClock)
	a, b := addrOf("cached a"), addrOf("cached b")
	_, proof := paidSingleProof(l, a)
	garbage := bytes.Repeat([]byte{0xee}, 64)

	tests := []struct {
		name      string
		opts      VerifierOptions
		wantAgain error // second PUT of a with a garbage proof
	}{
		{"default", DefaultVerifierOptions, nil},
		{"cache off", VerifierOptions{}, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := NewVerifier(l, ids[0].Rewards, tt.opts)
			if err := v.Verify(proof, a, t0); err != nil {
				t.Fatal(err)
			}
			// Upstream looks the address up before the proof, so a cached
			// address is accepted whatever proof comes with it.
			if err := v.Verify(garbage, a, t0); !errors.Is(err, tt.wantAgain) {
				t.Errorf("second PUT of a: %v, want %v", err, tt.wantAgain)
			}
			if err := v.Verify(garbage, b, t0); !errors.Is(err, ErrMalformed) {
				t.Errorf("garbage for an unverified address: %v, want ErrMalformed", err)
			}
		})
	}
}

// merkleCase pays for a small batch once for all the merkle verifier tests.
func merkleCase(t *testing.T) (*Ledger, []byte, *MerkleProof) {
	t.Helper()
	as, l, proofs := merkleBatch(t, 5, "verify merkle")
	proof := proofs[as[2]]
	p, err := DecodeMerkleProof(proof)
	if err != nil {
		t.Fatal(err)
	}
	return l, proof, p
}

func TestVerifyMerkle(t *testing.T) {
	l, proof, good := merkleCase(t)
	addr := good.Address
	tampered := func(f func(p *MerkleProof)) []byte {
		p, err := DecodeMerkleProof(proof) // a deep copy
		if err != nil {
			t.Fatal(err)
		}
		f(p)
		return EncodeMerkleProof(p)
	}
	tests := []struct {
		name   string
		proof  []byte
		ledger *Ledger
		now    time.Time
		want   error
	}{
		{name: "valid", proof: proof},
		{name: "six days old", proof: proof, now: t0.Add(6 * 24 * time.Hour)},
		{name: "forged candidate signature", want: ErrBadSignature, proof: tampered(func(p *MerkleProof) {
			p.Winner.Candidates[3].Signature[50] ^= 0x10
		})},
		{name: "pool not paid", want: ErrUnpaid, proof: proof, ledger: NewLedger(fixedClock)},
		{name: "midpoint root swapped", want: ErrUnpaid, proof: tampered(func(p *MerkleProof) {
			p.Winner.Midpoint.Branch.Root[0] ^= 1 // changes the pool hash
		})},
		{name: "address branch tampered", want: ErrBadMerkleProof, proof: tampered(func(p *MerkleProof) {
			p.Data.Siblings[1][7] ^= 1
		})},
		{name: "salt tampered", want: ErrBadMerkleProof, proof: tampered(func(p *MerkleProof) {
			p.Data.Salt[0] ^= 1
		})},
		{name: "branch too short", want: ErrBadMerkleProof, proof: tampered(func(p *MerkleProof) {
			p.Data.Siblings = p.Data.Siblings[1:]
			p.Data.Leaves /= 2
		})},
		{name: "expired", want: ErrStale, proof: proof, now: t0.Add(MerklePaymentExpiration + time.Second)},
		{name: "paid in the future", want: ErrStale, proof: proof, now: t0.Add(-time.Second)},
		{name: "truncated", want: ErrMalformed, proof: proof[:len(proof)/3]},
		{name: "single-node tag", want: ErrMalformed, proof: append([]byte{SingleTag}, proof[1:]...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			led, now := l, t0.Add(time.Minute)
			if tt.ledger != nil {
				led = tt.ledger
			}
			if !tt.now.IsZero() {
				now = tt.now
			}
			err := NewVerifier(led, [20]byte{}, DefaultVerifierOptions).Verify(tt.proof, addr, now)
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("Verify = %v, want success", err)
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestVerifyMerkleCaches checks what the second chunk of a pool costs. The
// pool cache always saves the ledger lookup; the 16 signature checks are
// saved only with CachePoolSignatures, since upstream repeats them.
func TestVerifyMerkleCaches(t *testing.T) {
	as, l, proofs := merkleBatch(t, 5, "merkle caches")
	tests := []struct {
		name     string
		opts     VerifierOptions
		sigs     uint64 // signature checks after two chunks of one pool
		sigHits  uint64
		lookups  uint64
		poolHits uint64
	}{
		{"upstream", DefaultVerifierOptions, 2 * CandidatesPerPool, 0, 1, 1},
		{"signature cache", VerifierOptions{VerifiedCapacity: 10, PoolCapacity: 10, CachePoolSignatures: true}, CandidatesPerPool, 1, 1, 1},
		{"no caches", VerifierOptions{}, 2 * CandidatesPerPool, 0, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := NewVerifier(l, [20]byte{}, tt.opts)
			for _, a := range as[:2] {
				if err := v.Verify(proofs[a], a, t0); err != nil {
					t.Fatal(err)
				}
			}
			s := v.Stats()
			if s.SignatureChecks != tt.sigs || s.SignatureCacheHits != tt.sigHits || s.LedgerLookups != tt.lookups || s.PoolCacheHits != tt.poolHits {
				t.Errorf("stats %+v; want %d signature checks, %d signature cache hits, %d lookups, %d pool cache hits",
					s, tt.sigs, tt.sigHits, tt.lookups, tt.poolHits)
			}
		})
	}
}

func TestLRU(t *testing.T) {
	c := newLRU[int, string](2)
	c.put(1, "a")
	c.put(2, "b")
	c.get(1) // 2 is now least recent
	c.put(3, "c")
	if _, ok := c.get(2); ok {
		t.Error("least recent entry not evicted")
	}
	if v, ok := c.get(1); !ok || v != "a" || c.len() != 2 {
		t.Errorf("get(1) = %q, %v; len %d", v, ok, c.len())
	}
	var off *lru[int, string] = newLRU[int, string](0)
	off.put(1, "a")
	if _, ok := off.get(1); ok || off.len() != 0 {
		t.Error("disabled cache holds entries")
	}
}
