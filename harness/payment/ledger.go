package payment

import (
	"crypto/sha3"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"
)

// TxHash names one simulated on-chain transaction.
type TxHash [32]byte

// Transfer is one entry of a payForQuotes call: amount atto to rewards,
// filed under a quote hash (evmlib QuotePayment).
type Transfer struct {
	QuoteHash [32]byte
	Rewards   [RewardsSize]byte
	Amount    uint64
}

// PoolCommitment is what the client submits on chain for one candidate
// pool: its hash and each candidate's rewards address and price (evmlib
// PoolCommitment, with the 0.8-era price field).
type PoolCommitment struct {
	Hash       [32]byte
	Candidates [CandidatesPerPool]CandidateCommitment
}

// CandidateCommitment is one candidate of a PoolCommitment.
type CandidateCommitment struct {
	Rewards [RewardsSize]byte
	Price   uint64
}

// MerklePayment is the on-chain record of a merkle batch payment, filed
// under the winner pool's hash (PaymentVaultV2.sol CompletedMerklePayment).
type MerklePayment struct {
	// Depth is the merkle tree depth that was paid for.
	Depth int
	// Timestamp is the client's merkle payment timestamp, Unix seconds.
	Timestamp uint64
	// Paid lists the Depth winner-pool candidates that were paid.
	Paid []PaidNode
	// Tx is the transaction that paid.
	Tx TxHash
}

// PaidNode is one paid candidate of a merkle payment.
type PaidNode struct {
	Rewards [RewardsSize]byte
	// Index is the candidate's position in the winner pool.
	Index int
	// Amount is what it was paid, in atto.
	Amount uint64
}

// Ledger is a simulated chain holding the payment vault's state: completed
// quote payments, completed merkle payments and a transaction count. It
// answers at once; on-chain latency belongs to the network model. It is
// safe for concurrent use.
type Ledger struct {
	now func() time.Time

	mu        sync.Mutex
	nonce     uint64 // drives tx hashes and the vault's pseudo-randomness
	txs       int
	completed map[[32]byte]completedPayment
	merkle    map[[32]byte]MerklePayment
}

type completedPayment struct {
	rewards [RewardsSize]byte
	amount  uint64
	tx      TxHash
}

// NewLedger returns an empty ledger whose clock is now (nil means
// time.Now). The clock is the chain's and the model's wall clock: the
// client reads it to stamp a merkle payment, so client, peers and chain
// agree on simulated time.
func NewLedger(now func() time.Time) *Ledger {
	if now == nil {
		now = time.Now
	}
	return &Ledger{
		now:       now,
		completed: make(map[[32]byte]completedPayment),
		merkle:    make(map[[32]byte]MerklePayment),
	}
}

// Now returns the ledger clock's current time.
func (l *Ledger) Now() time.Time { return l.now() }

// Transactions returns how many transactions the ledger has recorded.
func (l *Ledger) Transactions() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.txs
}

// PayQuotes records ts as the wallet's pay_for_quotes does (evmlib
// src/wallet.rs L382–500): zero amounts are dropped, the rest are sent in
// transactions of at most MaxTransfersPerTransaction. It returns one hash
// per transaction, in order; nothing to pay gives none. A later payment for
// the same quote hash replaces the earlier one, as completedPayments does.
func (l *Ledger) PayQuotes(ts []Transfer) []TxHash {
	l.mu.Lock()
	defer l.mu.Unlock()
	var txs []TxHash
	n := 0 // non-zero transfers in the open transaction
	for _, t := range ts {
		if t.Amount == 0 {
			continue
		}
		if n == 0 {
			txs = append(txs, l.newTx())
		}
		l.completed[t.QuoteHash] = completedPayment{rewards: t.Rewards, amount: t.Amount, tx: txs[len(txs)-1]}
		if n++; n == MaxTransfersPerTransaction {
			n = 0
		}
	}
	return txs
}

// CompletedPayment returns the amount, in atto, paid against quoteHash
// (completedPayments(quoteHash).amount), 0 if none.
func (l *Ledger) CompletedPayment(quoteHash [32]byte) uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.completed[quoteHash].amount
}

// PaidBy returns the transaction that paid quoteHash, as the wallet's
// quote-hash-to-tx map does, and whether there is one.
func (l *Ledger) PaidBy(quoteHash [32]byte) (TxHash, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.completed[quoteHash]
	return p.tx, ok
}

// PayMerkleTree records one merkle batch payment as PaymentVaultV2.sol
// payForMerkleTree does: it checks the pool count (2^ceil(depth/2)), picks
// the winner pool, pays depth of its candidates median16(prices) ×
// 2^depth / depth each and files the record under the winner pool's hash.
// It is one transaction. The vault's prevrandao-based choices are replaced
// by a hash of the ledger's nonce, so a run is deterministic. Paying for a
// pool already on the ledger fails with ErrAlreadyPaid.
func (l *Ledger) PayMerkleTree(depth int, pools []PoolCommitment, timestamp uint64) (winner [32]byte, tx TxHash, err error) {
	if depth < 1 || depth > MaxMerkleDepth {
		return winner, tx, fmt.Errorf("pay merkle tree: depth %d outside [1, %d]", depth, MaxMerkleDepth)
	}
	if want := expectedPools(depth); len(pools) != want {
		return winner, tx, fmt.Errorf("pay merkle tree: %d pools for depth %d, want %d", len(pools), depth, want)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.nonce++
	seed := l.hashNonce("winner pool", timestamp, nil)
	pool := &pools[binary.LittleEndian.Uint64(seed[:8])%uint64(len(pools))]
	if _, ok := l.merkle[pool.Hash]; ok {
		return winner, tx, fmt.Errorf("pay merkle tree: pool %x: %w", pool.Hash[:4], ErrAlreadyPaid)
	}

	prices := make([]uint64, CandidatesPerPool)
	for i, c := range pool.Candidates {
		prices[i] = c.Price
	}
	median := median16(prices)
	if median > math.MaxUint64>>depth {
		return winner, tx, fmt.Errorf("pay merkle tree: median price %d × 2^%d overflows", median, depth)
	}
	total := median << depth
	perNode := total / uint64(depth)

	// selectWinnerNodes: a partial Fisher–Yates shuffle driven by one seed
	// byte per pick.
	idx := [CandidatesPerPool]int{}
	for i := range idx {
		idx[i] = i
	}
	pick := l.hashNonce("winner nodes", timestamp, pool.Hash[:])
	paid := make([]PaidNode, depth)
	for i := range depth {
		j := i + int(pick[i])%(CandidatesPerPool-i)
		idx[i], idx[j] = idx[j], idx[i]
		paid[i] = PaidNode{Rewards: pool.Candidates[idx[i]].Rewards, Index: idx[i], Amount: perNode}
	}

	tx = l.newTx()
	l.merkle[pool.Hash] = MerklePayment{Depth: depth, Timestamp: timestamp, Paid: paid, Tx: tx}
	return pool.Hash, tx, nil
}

// MerklePayment returns the record filed under the winner pool hash pool
// (getCompletedMerklePayment) and whether there is one. The record's Paid
// slice is shared; callers must not modify it.
func (l *Ledger) MerklePayment(pool [32]byte) (MerklePayment, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.merkle[pool]
	return p, ok
}

// newTx counts a transaction and returns its hash. l.mu must be held.
func (l *Ledger) newTx() TxHash {
	l.nonce++
	l.txs++
	return TxHash(l.hashNonce("tx", 0, nil))
}

// nextNonce returns a fresh value for the client's merkle salts.
func (l *Ledger) nextNonce() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.nonce++
	return l.nonce
}

// hashNonce is the ledger's pseudo-randomness. l.mu must be held.
func (l *Ledger) hashNonce(label string, timestamp uint64, extra []byte) [32]byte {
	h := sha3.New256()
	h.Write([]byte("fanbench/payment ledger " + label))
	var num [16]byte
	binary.LittleEndian.PutUint64(num[:8], l.nonce)
	binary.LittleEndian.PutUint64(num[8:], timestamp)
	h.Write(num[:])
	h.Write(extra)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// median16 returns the element of rank CandidatesPerPool/2 (the upper
// median) of prices, as MerklePaymentLib.sol median16 does.
func median16(prices []uint64) uint64 {
	s := slices.Clone(prices)
	slices.Sort(s)
	return s[MerkleMedianIndex]
}

// expectedPools is the number of candidate pools for a tree of depth
// depth, 2^ceil(depth/2) (evmlib expected_reward_pools).
func expectedPools(depth int) int { return 1 << ((depth + 1) / 2) }
