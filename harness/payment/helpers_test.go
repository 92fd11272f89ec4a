package payment

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fanbench/fanbench/harness/simtime"
	"github.com/fanbench/fanbench/harness/xorname"
)

// t0 is the tests' fixed wall clock: 2026-04-28 00:00:00 UTC.
var t0 = time.Unix(1777334400, 0).UTC()

func fixedClock() time.Time { return t0 }

// testPeers are 40 identities shared by every test: key generation is the
// expensive part of making one.
var testPeers = sync.OnceValue(func() []*Identity {
	ids := make([]*Identity, 40)
	for i := range ids {
		var seed [32]byte
		copy(seed[:], fmt.Sprintf("fanbench payment test peer %d", i))
		ids[i] = NewIdentity(seed)
	}
	return ids
})

func addrOf(s string) xorname.Name { return xorname.FromContent([]byte(s)) }

func addrs(n int, label string) []xorname.Name {
	out := make([]xorname.Name, n)
	for i := range out {
		out[i] = addrOf(fmt.Sprintf("%s chunk %d", label, i))
	}
	return out
}

// quoteSet returns seven quotes for addr made at t0 by the first seven test
// peers, at the given prices.
func quoteSet(addr xorname.Name, prices [CloseGroupSize]uint64) []PeerQuote {
	ids := testPeers()
	qs := make([]PeerQuote, CloseGroupSize)
	for i := range qs {
		qs[i] = PeerQuote{Peer: ids[i].ID, Quote: ids[i].Quote(addr, prices[i], t0)}
	}
	return qs
}

var defaultPrices = [CloseGroupSize]uint64{500, 300, 700, 100, 400, 600, 200}

// paidSingleProof quotes addr, pays for it on l and returns the quotes and
// the encoded proof.
func paidSingleProof(l *Ledger, addr xorname.Name) ([]PeerQuote, []byte) {
	qs := quoteSet(addr, defaultPrices)
	txs := l.PayQuotes(SinglePayment(qs))
	return qs, EncodeSingleProof(qs, txs)
}

// fakeNet answers merkle candidate requests from the test peers: the n
// peers nearest the target answer, nearest first. Candidates are memoized
// per peer and timestamp, since a candidate names no pool.
type fakeNet struct {
	ids     []*Identity
	forged  map[int]bool // peers whose answers carry a broken signature
	answers int          // if > 0, at most this many peers answer
	calls   atomic.Int64

	mu   sync.Mutex
	memo map[[2]uint64]Candidate
}

func newFakeNet() *fakeNet {
	return &fakeNet{ids: testPeers(), memo: make(map[[2]uint64]Candidate)}
}

func (f *fakeNet) candidate(i int, ts uint64) Candidate {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := [2]uint64{uint64(i), ts}
	c, ok := f.memo[k]
	if !ok {
		c = f.ids[i].Candidate(1000+uint64(i*37%500), ts)
		f.memo[k] = c
	}
	return c
}

func (f *fakeNet) ask(ctx context.Context, target xorname.Name, ts uint64, n int) ([]Candidate, error) {
	f.calls.Add(1)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	order := make([]int, len(f.ids))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if xorname.Closer(target, f.ids[a].ID, f.ids[b].ID) {
			return -1
		}
		return 1
	})
	n = min(n, len(order))
	if f.answers > 0 {
		n = min(n, f.answers)
	}
	out := make([]Candidate, 0, n)
	for _, i := range order[:n] {
		c := f.candidate(i, ts)
		if f.forged[i] {
			c.Signature = slices.Clone(c.Signature)
			c.Signature[100] ^= 0x01
		}
		out = append(out, c)
	}
	return out, nil
}

// merkleBatch pays for n addresses on a fresh ledger and returns them, the
// ledger and the proofs.
func merkleBatch(t testing.TB, n int, label string) ([]xorname.Name, *Ledger, map[xorname.Name][]byte) {
	t.Helper()
	as := addrs(n, label)
	l := NewLedger(fixedClock)
	proofs, err := payMerkleSim(as, newFakeNet().ask, l)
	if err != nil {
		t.Fatalf("PayMerkle(%d addresses): %v", n, err)
	}
	return as, l, proofs
}

// rmp size model: an independent statement of rmp_serde's encoding, used
// to check the encoder byte count for byte count.

func rmpArrayHeader(n int) int {
	switch {
	case n < 16:
		return 1
	case n <= 0xffff:
		return 3
	}
	return 5
}

func rmpUint(v uint64) int {
	switch {
	case v < 0x80:
		return 1
	case v <= 0xff:
		return 2
	case v <= 0xffff:
		return 3
	case v <= 0xffff_ffff:
		return 5
	}
	return 9
}

func rmpSeq(b []byte) int {
	n := rmpArrayHeader(len(b))
	for _, x := range b {
		n += rmpUint(uint64(x))
	}
	return n
}

func rmpBin(n int) int { return 2 + n } // bin8, n < 256

func rmpQuote(q *Quote) int {
	return 1 + rmpSeq(q.Content[:]) +
		1 + rmpUint(uint64(q.Timestamp.Unix())) + rmpUint(uint64(q.Timestamp.Nanosecond())) +
		rmpBin(32) + rmpBin(RewardsSize) + rmpSeq(q.PubKey) + rmpSeq(q.Signature)
}

func rmpSingleProof(p *SingleProof) int {
	n := 1 + 1 + 1 + rmpArrayHeader(len(p.Quotes)) // tag, PaymentProof, ProofOfPayment, Vec
	for i := range p.Quotes {
		n += 1 + rmpSeq(p.Quotes[i].Peer[:]) + rmpQuote(&p.Quotes[i].Quote)
	}
	return n + rmpArrayHeader(len(p.TxHashes)) + len(p.TxHashes)*rmpBin(32)
}

func rmpBranch(b *Branch) int {
	n := 1 + rmpArrayHeader(len(b.Siblings))
	for _, s := range b.Siblings {
		n += rmpSeq(s[:])
	}
	n += rmpUint(b.Index) + rmpUint(b.Leaves) + rmpSeq(b.Leaf[:]) + rmpSeq(b.Root[:])
	if b.Salt == nil {
		return n + 1
	}
	return n + rmpSeq(b.Salt[:])
}

func rmpMerkleProof(p *MerkleProof) int {
	n := 1 + 1 + rmpSeq(p.Address[:]) + rmpBranch(&p.Data) // tag, MerklePaymentProof
	n += 1 + 1 + rmpBranch(&p.Winner.Midpoint.Branch) + rmpUint(p.Winner.Midpoint.Timestamp)
	n += rmpArrayHeader(CandidatesPerPool)
	for i := range p.Winner.Candidates {
		c := &p.Winner.Candidates[i]
		n += 1 + rmpSeq(c.PubKey) + rmpBin(32) + rmpBin(RewardsSize) + rmpUint(c.Timestamp) + rmpSeq(c.Signature)
	}
	return n
}

// payMerkleSim runs PayMerkle as the task of a fresh simtime clock, which
// it needs to gather pools concurrently.
func payMerkleSim(as []xorname.Name, ask CandidateFunc, l *Ledger) (map[xorname.Name][]byte, error) {
	var proofs map[xorname.Name][]byte
	err := simtime.New().Run(context.Background(), "pay", func(ctx context.Context) error {
		var err error
		proofs, err = PayMerkle(ctx, as, ask, l)
		return err
	})
	return proofs, err
}
