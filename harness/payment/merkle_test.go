package payment

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/fanbench/fanbench/harness/xorname"
)

func TestTreeBranches(t *testing.T) {
	sizes := []int{2, 3, 4, 5, 8, 9, 16, 17, 31, 33, 64, 65, 100, 128, 129, 255, 256}
	for _, n := range sizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			as := addrs(n, "tree")
			tr := newTree(as, [32]byte{byte(n)})
			wantDepth := 0
			for 1<<wantDepth < n {
				wantDepth++
			}
			if tr.depth != wantDepth {
				t.Fatalf("depth %d, want %d", tr.depth, wantDepth)
			}
			for i := range as {
				b := tr.addressBranch(i)
				if !b.Verify() || b.Leaf != as[i] || len(b.Siblings) != tr.depth {
					t.Fatalf("address %d: branch does not verify", i)
				}
				b.Leaf[0] ^= 1
				if b.Verify() {
					t.Fatalf("address %d: branch verifies for another leaf", i)
				}
			}
			mids := tr.midpoints(1)
			if len(mids) != expectedPools(tr.depth) {
				t.Errorf("%d midpoints, want 2^ceil(%d/2) = %d", len(mids), tr.depth, expectedPools(tr.depth))
			}
			targets := map[xorname.Name]bool{}
			for i, m := range mids {
				if !m.Branch.Verify() || m.Branch.Salt != nil || len(m.Branch.Siblings) != (tr.depth+1)/2 {
					t.Errorf("midpoint %d: branch does not verify at depth %d", i, (tr.depth+1)/2)
				}
				targets[m.Target()] = true
			}
			if len(targets) != len(mids) {
				t.Error("two pools share a target")
			}
		})
	}
}

func TestPayMerkle(t *testing.T) {
	as, l, proofs := merkleBatch(t, 300, "pay merkle")
	// 300 = 256 + 44: two sub-batches, one transaction each.
	if got := l.Transactions(); got != 2 {
		t.Errorf("%d transactions, want 2", got)
	}
	if len(proofs) != len(as) {
		t.Fatalf("%d proofs for %d addresses", len(proofs), len(as))
	}

	const lo, hi = 110_000, 150_000
	minSize, maxSize := hi, 0
	v := NewVerifier(l, [20]byte{}, VerifierOptions{PoolCapacity: 8, CachePoolSignatures: true})
	for i, a := range as {
		proof := proofs[a]
		if len(proof) < lo || len(proof) > hi {
			t.Errorf("proof %d is %d bytes, want %d to %d", i, len(proof), lo, hi)
		}
		minSize, maxSize = min(minSize, len(proof)), max(maxSize, len(proof))
		if err := v.Verify(proof, a, t0.Add(10*time.Minute)); err != nil {
			t.Errorf("proof %d: %v", i, err)
		}
	}
	// The encoding, on the first and last chunk of each sub-batch.
	pools := map[[32]byte]int{}
	for _, i := range []int{0, MaxLeaves - 1, MaxLeaves, len(as) - 1} {
		proof := proofs[as[i]]
		p, err := DecodeMerkleProof(proof)
		if err != nil {
			t.Fatalf("proof %d: %v", i, err)
		}
		if got, want := len(proof), rmpMerkleProof(p); got != want {
			t.Errorf("proof %d is %d bytes, rmp size model says %d", i, got, want)
		}
		if again := EncodeMerkleProof(p); !bytes.Equal(again, proof) {
			t.Errorf("proof %d: re-encoding changed its bytes", i)
		}
		if got, want := len(p.Data.Siblings), map[bool]int{true: 8, false: 6}[i < MaxLeaves]; got != want {
			t.Errorf("proof %d: branch of depth %d, want %d", i, got, want)
		}
		pools[p.Winner.Hash()]++
	}
	if len(pools) != 2 {
		t.Errorf("sub-batches share a winner pool: %v", pools)
	}
	t.Logf("merkle proofs: %d to %d bytes (depth 8 and depth 6 sub-batches)", minSize, maxSize)
	if s := v.Stats(); s.Verified != 300 || s.SignatureChecks != 2*CandidatesPerPool || s.LedgerLookups != 2 {
		t.Errorf("verifier stats %+v, want 300 verified with 32 signature checks and 2 lookups", s)
	}

	// A proof for A does not pay for B.
	err := NewVerifier(l, [20]byte{}, DefaultVerifierOptions).Verify(proofs[as[0]], as[1], t0)
	if !errors.Is(err, ErrWrongAddress) {
		t.Errorf("proof of address 0 for address 1: %v, want ErrWrongAddress", err)
	}
}

func TestPayMerkleFailures(t *testing.T) {
	tests := []struct {
		name    string
		n       int
		net     func(f *fakeNet)
		want    error
		partial int // proofs returned alongside the error
	}{
		{"one chunk", 1, nil, ErrBatch, 0},
		{"15 peers answer", 8, func(f *fakeNet) { f.answers = 15 }, ErrInsufficientPeers, 0},
		{"too many forged answers", 8, func(f *fakeNet) {
			// 25 of 40 forged leaves at most 15 valid among any 32.
			f.forged = map[int]bool{}
			for i := range 25 {
				f.forged[i] = true
			}
		}, ErrInsufficientPeers, 0},
		{"last sub-batch of one chunk", MaxLeaves + 1, nil, ErrPartialPayment, MaxLeaves},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeNet()
			if tt.net != nil {
				tt.net(f)
			}
			l := NewLedger(fixedClock)
			proofs, err := payMerkleSim(addrs(tt.n, tt.name), f.ask, l)
			if !errors.Is(err, tt.want) {
				t.Fatalf("PayMerkle = %v, want %v", err, tt.want)
			}
			if tt.want == ErrPartialPayment && errors.Is(err, ErrInsufficientPeers) {
				t.Error("a partial payment must not read as InsufficientPeers, or Auto would fall back")
			}
			if len(proofs) != tt.partial {
				t.Errorf("%d proofs returned, want %d", len(proofs), tt.partial)
			}
		})
	}
}

func TestPayMerkleSkipsForgedCandidates(t *testing.T) {
	f := newFakeNet()
	f.forged = map[int]bool{}
	for i := range 10 { // 10 of the 40 peers answer with a broken signature
		f.forged[i] = true
	}
	l := NewLedger(fixedClock)
	as := addrs(4, "forged")
	proofs, err := payMerkleSim(as, f.ask, l)
	if err != nil {
		t.Fatal(err)
	}
	p, err := DecodeMerkleProof(proofs[as[0]])
	if err != nil {
		t.Fatal(err)
	}
	for i := range p.Winner.Candidates {
		if err := p.Winner.Candidates[i].Verify(); err != nil {
			t.Errorf("winner pool kept a forged candidate %d: %v", i, err)
		}
	}
	if err := NewVerifier(l, [20]byte{}, DefaultVerifierOptions).Verify(proofs[as[3]], as[3], t0); err != nil {
		t.Error(err)
	}
}

func TestMerkleProofRoundTrip(t *testing.T) {
	as, _, proofs := merkleBatch(t, 5, "round trip")
	p, err := DecodeMerkleProof(proofs[as[2]])
	if err != nil {
		t.Fatal(err)
	}
	if p.Address != as[2] || p.Data.Salt == nil || p.Winner.Midpoint.Branch.Salt != nil {
		t.Errorf("decoded proof %+v", p.Data)
	}
	back, err := DecodeMerkleProof(EncodeMerkleProof(p))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, p) {
		t.Error("round trip changed the proof")
	}
	// The opening bytes: tag, MerklePaymentProof [3], the address as an
	// array16 of 32 integers.
	if want := []byte{MerkleTag, 0x93, 0xdc, 0x00, 0x20}; !bytes.HasPrefix(proofs[as[2]], want) {
		t.Errorf("proof opens % x, want % x", proofs[as[2]][:len(want)], want)
	}
}
