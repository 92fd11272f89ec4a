package payment

import (
	"errors"
	"runtime"
	"sync"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

var sentinels = []error{
	ErrMalformed, ErrWrongAddress, ErrPeerMismatch, ErrNotRecipient,
	ErrStale, ErrBadSignature, ErrUnpaid, ErrBadMerkleProof,
}

// FuzzVerify feeds arbitrary bytes to a node: it must never panic, and
// every rejection must wrap one of the package's sentinel errors.
func FuzzVerify(f *testing.F) {
	l := NewLedger(fixedClock)
	addr := addrOf("fuzz")
	_, single := paidSingleProof(l, addr)
	f.Add(single)
	f.Add(single[:MinProofSize])
	f.Add(append([]byte{MerkleTag}, single[1:]...))
	f.Add([]byte{SingleTag, 0x92, 0x91, 0xdd, 0xff, 0xff, 0xff, 0xff}) // 4 G quotes claimed
	f.Add(append([]byte{SingleTag, 0x92, 0x91, 0x91, 0x92, 0xdc, 0x00, 0x20}, make([]byte, 40)...))
	f.Fuzz(func(t *testing.T, proof []byte) {
		err := NewVerifier(l, testPeers()[0].Rewards, DefaultVerifierOptions).Verify(proof, addr, t0)
		if err == nil {
			return
		}
		for _, s := range sentinels {
			if errors.Is(err, s) {
				return
			}
		}
		t.Errorf("Verify error wraps no sentinel: %v", err)
	})
}

// FuzzDecodeMerkleProof checks the merkle decoder alone, seeded with a real
// proof and hostile length headers.
func FuzzDecodeMerkleProof(f *testing.F) {
	as, _, proofs := merkleBatch(f, 3, "fuzz merkle")
	f.Add(proofs[as[0]])
	f.Add(proofs[as[0]][:1000])
	f.Add([]byte{MerkleTag, 0x93, 0xdc, 0x00, 0x20, 0xc6, 0xff, 0xff, 0xff, 0xff}) // bin32 of 4 GiB
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodeMerkleProof(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		p.Data.Verify()
		p.Winner.Hash()
	})
}

func TestVerifierConcurrent(t *testing.T) {
	as, l, proofs := merkleBatch(t, 6, "concurrent")
	v := NewVerifier(l, [20]byte{}, VerifierOptions{VerifiedCapacity: 3, PoolCapacity: 2, CachePoolSignatures: true})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for _, a := range as {
				if err := v.Verify(proofs[a], a, t0); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if s := v.Stats(); s.Verified+s.Cached != uint64(4*len(as)) {
		t.Errorf("stats %+v: %d PUTs unaccounted for", s, 4*len(as))
	}
}

// TestDecodeHostileLengths checks that length headers are checked before
// anything is allocated for them.
func TestDecodeHostileLengths(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
	}{
		{"bin32 of 4 GiB for a price", []byte{0x95, 0x90, 0xc6, 0xff, 0xff, 0xff, 0xff}},
		{"array32 of 4 G for a key", []byte{0x95, 0xdd, 0xff, 0xff, 0xff, 0xff}},
		{"array16 key cut short", []byte{0x95, 0xdc, 0x07, 0xa0, 0x01}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			var c Candidate
			if err := msgpack.Unmarshal(tt.b, &c); err == nil {
				t.Error("hostile candidate decoded")
			}
			runtime.ReadMemStats(&after)
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
				t.Errorf("decoding allocated %d bytes", grew)
			}
		})
	}
}
