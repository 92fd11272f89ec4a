package payment

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fanbench/fanbench/harness/xorname"
)

// VerifierOptions sizes a Verifier's caches.
type VerifierOptions struct {
	// VerifiedCapacity is how many chunk addresses the node remembers as
	// paid; a PUT for one of them skips verification entirely. 0 or less
	// turns the cache off (upstream clamps to 1).
	VerifiedCapacity int
	// PoolCapacity is how many merkle pools' on-chain records the node
	// keeps, so the chunks of one batch cost one ledger lookup. 0 or less
	// turns the cache off.
	PoolCapacity int
	// CachePoolSignatures makes the node remember, per pool hash, that the
	// pool's candidate signatures verified, so the other chunks of a batch
	// skip those 16 checks. Off by default: PR-era and later ant-node check
	// all 16 signatures on every merkle PUT; only the on-chain record and
	// the closeness lookup are cached per pool. The cache holds
	// PoolCapacity pools.
	CachePoolSignatures bool
}

// DefaultVerifierOptions are the node's own sizes (ant-node
// src/payment/cache.rs DEFAULT_CACHE_CAPACITY; verifier.rs
// DEFAULT_POOL_CACHE_CAPACITY).
var DefaultVerifierOptions = VerifierOptions{
	VerifiedCapacity: 100_000,
	PoolCapacity:     1_000,
}

// VerifierStats counts a Verifier's work since it was made.
type VerifierStats struct {
	// Verified is the number of proofs that passed.
	Verified uint64
	// Cached is the number of PUTs accepted from the verified-address cache
	// without looking at the proof.
	Cached uint64
	// Rejected is the number of proofs that failed.
	Rejected uint64
	// SignatureChecks is the number of ML-DSA-65 verifications run.
	SignatureChecks uint64
	// LedgerLookups is the number of queries made to the ledger.
	LedgerLookups uint64
	// PoolCacheHits is the number of merkle proofs whose on-chain record
	// came from the pool cache.
	PoolCacheHits uint64
	// SignatureCacheHits is the number of merkle proofs whose candidate
	// signatures were skipped (CachePoolSignatures only).
	SignatureCacheHits uint64
}

// Verifier is one node's payment verifier (PR-era ant-node
// src/payment/verifier.rs): it checks the proof that comes with a PUT
// against the ledger and remembers what it has verified. It is safe for
// concurrent use; signature checks run outside its lock.
//
// Not modelled: the merkle closeness check (at least 13 of the 16
// candidates' keys must be among the 32 peers the node's own DHT lookup
// finds nearest the pool target, CANDIDATE_CLOSENESS_REQUIRED), which needs
// the network.
type Verifier struct {
	ledger  *Ledger
	rewards [RewardsSize]byte

	mu       sync.Mutex
	verified *lru[xorname.Name, struct{}]
	pools    *lru[[32]byte, MerklePayment]
	sigPass  *lru[[32]byte, struct{}]

	nVerified, nCached, nRejected atomic.Uint64
	nSigChecks, nLookups          atomic.Uint64
	nPoolHits, nSigCacheHits      atomic.Uint64
}

// NewVerifier returns a verifier for the node paid at rewards, reading
// payments from l.
func NewVerifier(l *Ledger, rewards [RewardsSize]byte, opts VerifierOptions) *Verifier {
	v := &Verifier{
		ledger:   l,
		rewards:  rewards,
		verified: newLRU[xorname.Name, struct{}](opts.VerifiedCapacity),
		pools:    newLRU[[32]byte, MerklePayment](opts.PoolCapacity),
	}
	if opts.CachePoolSignatures {
		v.sigPass = newLRU[[32]byte, struct{}](opts.PoolCapacity)
	}
	return v
}

// Stats returns the verifier's counters.
func (v *Verifier) Stats() VerifierStats {
	return VerifierStats{
		Verified:           v.nVerified.Load(),
		Cached:             v.nCached.Load(),
		Rejected:           v.nRejected.Load(),
		SignatureChecks:    v.nSigChecks.Load(),
		LedgerLookups:      v.nLookups.Load(),
		PoolCacheHits:      v.nPoolHits.Load(),
		SignatureCacheHits: v.nSigCacheHits.Load(),
	}
}

// Verify checks that proof pays for storing the chunk at addr, at time now,
// as verify_payment does. An address verified before is accepted without
// looking at the proof. Otherwise the proof must be MinProofSize to
// MaxProofSize bytes and is dispatched on its tag (SingleTag or MerkleTag);
// the checks run in upstream's order, cheap ones first. A failure wraps one
// of the package's sentinel errors. On success addr joins the verified
// cache.
func (v *Verifier) Verify(proof []byte, addr xorname.Name, now time.Time) error {
	v.mu.Lock()
	_, cached := v.verified.get(addr)
	v.mu.Unlock()
	if cached {
		v.nCached.Add(1)
		return nil
	}
	var err error
	switch {
	case len(proof) < MinProofSize || len(proof) > MaxProofSize:
		err = fmt.Errorf("%w: %d bytes, want %d to %d", ErrMalformed, len(proof), MinProofSize, MaxProofSize)
	case proof[0] == SingleTag:
		err = v.verifySingle(proof, addr, now)
	case proof[0] == MerkleTag:
		err = v.verifyMerkle(proof, addr, now)
	default:
		err = fmt.Errorf("%w: unknown proof tag 0x%02x", ErrMalformed, proof[0])
	}
	if err != nil {
		v.nRejected.Add(1)
		return fmt.Errorf("payment for %s: %w", addr.Short(), err)
	}
	v.mu.Lock()
	v.verified.put(addr, struct{}{})
	v.mu.Unlock()
	v.nVerified.Add(1)
	return nil
}

// verifySingle is verify_evm_payment (PR-era ant-node 8320d9a
// src/payment/verifier.rs L438–512).
func (v *Verifier) verifySingle(proof []byte, addr xorname.Name, now time.Time) error {
	p, err := DecodeSingleProof(proof)
	if err != nil {
		return err
	}
	qs := p.Quotes
	// 1. Structure: exactly CloseGroupSize quotes from distinct peers.
	if len(qs) != CloseGroupSize {
		return fmt.Errorf("%w: %d quotes, want exactly %d", ErrMalformed, len(qs), CloseGroupSize)
	}
	for i := range qs {
		for j := range i {
			if qs[i].Peer == qs[j].Peer {
				return fmt.Errorf("%w: peer %s quoted twice", ErrMalformed, qs[i].Peer.Short())
			}
		}
	}
	// 2. Every quote binds to this address.
	for i := range qs {
		if qs[i].Quote.Content != addr {
			return fmt.Errorf("%w: quote from %s is for %s", ErrWrongAddress, qs[i].Peer.Short(), qs[i].Quote.Content.Short())
		}
	}
	// 3. Timestamps are fresh.
	for i := range qs {
		ts := qs[i].Quote.Timestamp
		if age := now.Sub(ts); age > QuoteMaxAge {
			return fmt.Errorf("%w: quote from %s is %v old (max %v)", ErrStale, qs[i].Peer.Short(), age, QuoteMaxAge)
		}
		if ahead := ts.Sub(now); ahead > QuoteFutureSkew {
			return fmt.Errorf("%w: quote from %s is %v in the future (max %v)", ErrStale, qs[i].Peer.Short(), ahead, QuoteFutureSkew)
		}
	}
	// 4. Each key hashes to the peer id it is filed under.
	for i := range qs {
		if !peerMatches(qs[i].Peer, qs[i].Quote.PubKey) {
			return fmt.Errorf("%w: peer %s", ErrPeerMismatch, qs[i].Peer.Short())
		}
	}
	// 5. This node is among the recipients.
	recipient := false
	for i := range qs {
		recipient = recipient || qs[i].Quote.Rewards == v.rewards
	}
	if !recipient {
		return fmt.Errorf("%w: rewards address %x", ErrNotRecipient, v.rewards[:4])
	}
	// 6. All signatures verify.
	for i := range qs {
		v.nSigChecks.Add(1)
		if err := qs[i].Quote.Verify(); err != nil {
			return fmt.Errorf("peer %s: %w", qs[i].Peer.Short(), err)
		}
	}
	// 7. The median quote was paid MedianMultiplier × its price. Quotes
	// tied at the median price are all tried (SingleNodePayment::verify).
	sorted := sortedByPrice(qs)
	median := sorted[MedianIndex].Price
	if median == 0 {
		return fmt.Errorf("%w: median price is zero", ErrUnpaid)
	}
	if median > math.MaxUint64/MedianMultiplier {
		return fmt.Errorf("%w: median price %d overflows", ErrMalformed, median)
	}
	want := median * MedianMultiplier
	best := uint64(0)
	for _, q := range sorted {
		if q.Price != median {
			continue
		}
		v.nLookups.Add(1)
		paid := v.ledger.CompletedPayment(q.Hash())
		if paid >= want {
			return nil
		}
		best = max(best, paid)
	}
	return fmt.Errorf("%w: median quote paid %d, want at least %d", ErrUnpaid, best, want)
}

// verifyMerkle is verify_merkle_payment (PR-era verifier.rs L1081–1290).
func (v *Verifier) verifyMerkle(proof []byte, addr xorname.Name, now time.Time) error {
	p, err := DecodeMerkleProof(proof)
	if err != nil {
		return err
	}
	if p.Address != addr {
		return fmt.Errorf("%w: merkle proof is for %s", ErrWrongAddress, p.Address.Short())
	}
	poolHash := p.Winner.Hash()

	// Candidate signatures, before any ledger query.
	v.mu.Lock()
	_, sigsOK := v.sigPass.get(poolHash)
	v.mu.Unlock()
	if sigsOK {
		v.nSigCacheHits.Add(1)
	} else {
		for i := range p.Winner.Candidates {
			v.nSigChecks.Add(1)
			if err := p.Winner.Candidates[i].Verify(); err != nil {
				return fmt.Errorf("winner pool candidate %d: %w", i, err)
			}
		}
		v.mu.Lock()
		v.sigPass.put(poolHash, struct{}{})
		v.mu.Unlock()
	}

	// The on-chain record, through the pool cache.
	v.mu.Lock()
	info, ok := v.pools.get(poolHash)
	v.mu.Unlock()
	if ok {
		v.nPoolHits.Add(1)
	} else {
		v.nLookups.Add(1)
		if info, ok = v.ledger.MerklePayment(poolHash); !ok {
			return fmt.Errorf("%w: no merkle payment for pool %x", ErrUnpaid, poolHash[:4])
		}
		v.mu.Lock()
		v.pools.put(poolHash, info)
		v.mu.Unlock()
	}

	for i := range p.Winner.Candidates {
		if c := &p.Winner.Candidates[i]; c.Timestamp != info.Timestamp {
			return fmt.Errorf("%w: candidate %d stamped %d, payment %d", ErrBadMerkleProof, i, c.Timestamp, info.Timestamp)
		}
	}
	if err := checkBranches(p, info, now); err != nil {
		return err
	}

	// The paid candidates: depth of them, each at least
	// median16 × 2^depth / depth.
	if len(info.Paid) != info.Depth {
		return fmt.Errorf("%w: %d paid nodes for depth %d", ErrUnpaid, len(info.Paid), info.Depth)
	}
	prices := make([]uint64, CandidatesPerPool)
	for i := range p.Winner.Candidates {
		prices[i] = p.Winner.Candidates[i].Price
	}
	median := median16(prices)
	if median > math.MaxUint64>>info.Depth {
		return fmt.Errorf("%w: median price %d overflows", ErrMalformed, median)
	}
	want := (median << info.Depth) / uint64(info.Depth)
	for _, n := range info.Paid {
		if n.Index < 0 || n.Index >= CandidatesPerPool {
			return fmt.Errorf("%w: paid index %d out of the pool", ErrUnpaid, n.Index)
		}
		if p.Winner.Candidates[n.Index].Rewards != n.Rewards {
			return fmt.Errorf("%w: paid node %d has another rewards address", ErrUnpaid, n.Index)
		}
		if n.Amount < want {
			return fmt.Errorf("%w: node %d paid %d, want at least %d", ErrUnpaid, n.Index, n.Amount, want)
		}
	}
	return nil
}

// checkBranches is evmlib's verify_merkle_proof: the payment's age, then
// both branches against the tree depth on record and the pool's root.
func checkBranches(p *MerkleProof, info MerklePayment, now time.Time) error {
	paidAt := time.Unix(int64(min(info.Timestamp, math.MaxInt64)), 0)
	if paidAt.After(now) {
		return fmt.Errorf("%w: merkle payment at %d is in the future", ErrStale, info.Timestamp)
	}
	if age := now.Sub(paidAt); age > MerklePaymentExpiration {
		return fmt.Errorf("%w: merkle payment is %v old (max %v)", ErrStale, age, MerklePaymentExpiration)
	}
	mid := &p.Winner.Midpoint
	if mid.Timestamp != info.Timestamp {
		return fmt.Errorf("%w: pool stamped %d, payment %d", ErrBadMerkleProof, mid.Timestamp, info.Timestamp)
	}
	if got := len(p.Data.Siblings); got != info.Depth {
		return fmt.Errorf("%w: address branch depth %d, want %d", ErrBadMerkleProof, got, info.Depth)
	}
	if got, want := len(mid.Branch.Siblings), (info.Depth+1)/2; got != want {
		return fmt.Errorf("%w: midpoint branch depth %d, want %d", ErrBadMerkleProof, got, want)
	}
	if !p.Data.Verify() {
		return fmt.Errorf("%w: address branch does not reach its root", ErrBadMerkleProof)
	}
	if !mid.Branch.Verify() {
		return fmt.Errorf("%w: midpoint branch does not reach its root", ErrBadMerkleProof)
	}
	if p.Data.Leaf != p.Address {
		return fmt.Errorf("%w: branch leaf %s", ErrWrongAddress, p.Data.Leaf.Short())
	}
	if p.Data.Root != mid.Branch.Root {
		return fmt.Errorf("%w: address branch root differs from the paid pool's", ErrBadMerkleProof)
	}
	return nil
}
