package payment

import (
	"context"
	"crypto/sha3"
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/fanbench/fanbench/harness/simtime"
	"github.com/fanbench/fanbench/harness/xorname"
)

// CandidateFunc asks the network for merkle candidates for one pool: it
// sends a candidate request stamped with timestamp (Unix seconds) to the n
// peers nearest poolTarget and returns their signed answers in the order
// they arrived, leaving out peers that failed or timed out
// (MerkleCandidateQuoteRequest). PayMerkle calls it concurrently, once per
// pool, and keeps the first CandidatesPerPool valid answers. An error wraps
// ErrInsufficientPeers when too few peers could be found.
type CandidateFunc func(ctx context.Context, poolTarget xorname.Name, timestamp uint64, n int) ([]Candidate, error)

// Branch is a merkle branch from a leaf, or from a midpoint node, up to
// the root (evmlib merkle_tree.rs MerkleBranch).
type Branch struct {
	// Siblings are the sibling hashes from the leaf's level up.
	Siblings [][32]byte
	// Index is the leaf's position among Leaves.
	Index uint64
	// Leaves is the width of the level the branch starts from, a power of
	// two.
	Leaves uint64
	// Leaf is the unsalted leaf: a chunk address, or a midpoint node hash.
	Leaf xorname.Name
	// Root is the tree's root.
	Root xorname.Name
	// Salt is mixed into an address leaf; nil for a midpoint branch.
	Salt *[32]byte
}

// Verify reports whether the branch leads from its leaf to its root
// (MerkleBranch::verify): the leaf is salted if a salt is present, then
// hashed pairwise with each sibling, SHA3-256 throughout.
func (b *Branch) Verify() bool {
	if b.Leaves == 0 || b.Leaves&(b.Leaves-1) != 0 || b.Index >= b.Leaves ||
		len(b.Siblings) != bits.TrailingZeros64(b.Leaves) {
		return false
	}
	h := [32]byte(b.Leaf)
	if b.Salt != nil {
		h = hashPair(h, *b.Salt)
	}
	idx := b.Index
	for _, s := range b.Siblings {
		if idx&1 == 0 {
			h = hashPair(h, s)
		} else {
			h = hashPair(s, h)
		}
		idx >>= 1
	}
	return h == b.Root
}

// MidpointProof places one candidate pool in the tree: a branch from a
// node at the midpoint level to the root, and the batch's timestamp
// (evmlib MidpointProof).
type MidpointProof struct {
	Branch Branch
	// Timestamp is the merkle payment timestamp, Unix seconds.
	Timestamp uint64
}

// Target returns the address the pool's candidates are gathered around:
// SHA3-256 of the midpoint hash, the root and the timestamp
// (MidpointProof::address).
func (m *MidpointProof) Target() xorname.Name {
	h := sha3.New256()
	h.Write(m.Branch.Leaf[:])
	h.Write(m.Branch.Root[:])
	h.Write(binary.LittleEndian.AppendUint64(nil, m.Timestamp))
	var out xorname.Name
	h.Sum(out[:0])
	return out
}

// Hash returns the midpoint proof's hash (MidpointProof::hash).
func (m *MidpointProof) Hash() [32]byte {
	h := sha3.New256()
	m.writeHash(h)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

func (m *MidpointProof) writeHash(h *sha3.SHA3) {
	b := &m.Branch
	for _, s := range b.Siblings {
		h.Write(s[:])
	}
	var num [16]byte
	binary.LittleEndian.PutUint64(num[:8], b.Index)
	binary.LittleEndian.PutUint64(num[8:], b.Leaves)
	h.Write(num[:])
	h.Write(b.Leaf[:])
	h.Write(b.Root[:])
	if b.Salt != nil {
		h.Write([]byte{1})
		h.Write(b.Salt[:])
	} else {
		h.Write([]byte{0})
	}
	h.Write(binary.LittleEndian.AppendUint64(num[:0], m.Timestamp))
}

// Pool is one candidate pool: its midpoint proof and the signed candidates
// gathered around it (evmlib MerklePaymentCandidatePool).
type Pool struct {
	Midpoint   MidpointProof
	Candidates [CandidatesPerPool]Candidate
}

// Hash returns the pool hash the ledger files a merkle payment under:
// SHA3-256 over the midpoint proof's hash, the candidate count and every
// candidate's key, price, rewards, timestamp and signature
// (MerklePaymentCandidatePool::hash). It reads about 84 KB.
func (p *Pool) Hash() [32]byte {
	h := sha3.New256()
	mid := p.Midpoint.Hash()
	h.Write(mid[:])
	h.Write(binary.LittleEndian.AppendUint32(nil, CandidatesPerPool))
	for i := range p.Candidates {
		p.Candidates[i].writeHashBytes(h)
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// commitment returns the pool as the client submits it on chain.
func (p *Pool) commitment() PoolCommitment {
	c := PoolCommitment{Hash: p.Hash()}
	for i, cand := range p.Candidates {
		c.Candidates[i] = CandidateCommitment{Rewards: cand.Rewards, Price: cand.Price}
	}
	return c
}

// MerkleProof is a decoded merkle proof (evmlib MerklePaymentProof, before
// the ADR-0004 sidecars): the chunk address, its branch in the paid tree
// and the winner pool. It names no transaction: the node finds the payment
// by the winner pool's hash.
type MerkleProof struct {
	Address xorname.Name
	Data    Branch
	Winner  Pool
}

// EncodeMerkleProof returns p tagged and encoded as a chunk PUT carries it
// (ant-protocol proof.rs serialize_merkle_proof): MerkleTag, then the
// rmp_serde encoding of MerklePaymentProof. With 16 ML-DSA-65 candidates it
// is about 128 KB. The result is a fresh slice whose capacity equals its
// length.
func EncodeMerkleProof(p *MerkleProof) []byte {
	hint := 64 + 2*(32*(4+len(p.Data.Siblings)+len(p.Winner.Midpoint.Branch.Siblings))) +
		CandidatesPerPool*(64+2*(PublicKeySize+SignatureSize))
	return encodeTagged(MerkleTag, p, hint)
}

// DecodeMerkleProof decodes a proof made by EncodeMerkleProof. It checks
// the tag and the shape, not the contents; errors wrap ErrMalformed.
func DecodeMerkleProof(b []byte) (*MerkleProof, error) {
	p := new(MerkleProof)
	if err := decodeTagged(b, MerkleTag, p); err != nil {
		return nil, err
	}
	return p, nil
}

// PayMerkle pays for addrs by merkle batch payment, as ant-client's
// pay_for_merkle_batch does, and returns each address's tagged proof
// (about 128 KB each; the caller owns the map and the slices).
//
// addrs are cut into sub-batches of at most MaxLeaves, paid in sequence.
// For each sub-batch PayMerkle builds the salted tree, gathers every
// candidate pool concurrently through ask (PoolPeersAsked peers each,
// keeping the first CandidatesPerPool whose signature and timestamp check),
// pays once on l, which picks the winner pool, and encodes one proof per
// address around that pool. The batch timestamp is l.Now(). ctx must come
// from a simtime clock, whose tasks gather the pools.
//
// Fewer than MinLeaves addresses fail with ErrBatch. If the first
// sub-batch fails, PayMerkle returns nil and its error, which wraps
// ErrInsufficientPeers when candidates ran short. If a later one fails, it
// returns the proofs paid so far and an error wrapping
// ErrPartialPayment only; upstream returns that partial map as success, so
// the store phase then fails at the first chunk without a proof. A
// sub-batch of a single address (len(addrs) ≡ 1 mod 256) always fails so,
// as upstream's MerkleTree refuses one leaf.
func PayMerkle(ctx context.Context, addrs []xorname.Name, ask CandidateFunc, l *Ledger) (map[xorname.Name][]byte, error) {
	proofs := make(map[xorname.Name][]byte, len(addrs))
	err := PayMerkleEach(ctx, addrs, ask, l, func(i int, proof []byte) { proofs[addrs[i]] = proof })
	if err != nil && len(proofs) == 0 {
		return nil, err
	}
	return proofs, err
}

// PayMerkleEach pays as PayMerkle does, but hands each proof to keep as it
// is made, with its index in addrs, in addrs' order, instead of returning
// them all at once: a caller that copies each proof where it keeps it
// leaves the Go heap with one proof at a time, not every proof of the
// upload (about 128 KB a chunk). keep owns proof. The errors are
// PayMerkle's; the proofs of a failed sub-batch are never handed over.
func PayMerkleEach(ctx context.Context, addrs []xorname.Name, ask CandidateFunc, l *Ledger, keep func(i int, proof []byte)) error {
	if len(addrs) < MinLeaves {
		return fmt.Errorf("merkle payment of %d chunks: %w: need at least %d", len(addrs), ErrBatch, MinLeaves)
	}
	batches := (len(addrs) + MaxLeaves - 1) / MaxLeaves
	paid := 0
	for i := range batches {
		first := i * MaxLeaves
		sub := addrs[first:min(first+MaxLeaves, len(addrs))]
		err := payMerkleBatch(ctx, sub, ask, l, func(j int, proof []byte) {
			keep(first+j, proof)
			paid++
		})
		if err != nil {
			if i == 0 {
				return fmt.Errorf("merkle sub-batch 1/%d: %w", batches, err)
			}
			return fmt.Errorf("%w: merkle sub-batch %d/%d failed after %d proofs: %w",
				ErrPartialPayment, i+1, batches, paid, err)
		}
	}
	return nil
}

// payMerkleBatch pays for one sub-batch and hands its proofs to keep, with
// their index in addrs.
func payMerkleBatch(ctx context.Context, addrs []xorname.Name, ask CandidateFunc, l *Ledger, keep func(j int, proof []byte)) error {
	if len(addrs) < MinLeaves {
		return fmt.Errorf("%w: a tree needs at least %d leaves, got %d", ErrBatch, MinLeaves, len(addrs))
	}
	ts := uint64(max(l.Now().Unix(), 0))
	t := newTree(addrs, treeSeed(l.nextNonce(), ts))
	mids := t.midpoints(ts)

	pools, err := gatherPools(ctx, mids, ask, ts)
	if err != nil {
		return err
	}
	commits := make([]PoolCommitment, len(pools))
	for i := range pools {
		commits[i] = pools[i].commitment()
	}
	winner, _, err := l.PayMerkleTree(t.depth, commits, ts)
	if err != nil {
		return err
	}
	var pool *Pool
	for i := range commits {
		if commits[i].Hash == winner {
			pool = &pools[i]
		}
	}
	if pool == nil {
		return fmt.Errorf("winner pool %x not among the candidate pools", winner[:4])
	}
	// finalize_merkle_batch: one proof per chunk around the winner pool.
	for i, a := range addrs {
		p := MerkleProof{Address: a, Data: t.addressBranch(i), Winner: *pool}
		keep(i, EncodeMerkleProof(&p))
	}
	return nil
}

// gatherPools collects every pool concurrently (build_candidate_pools),
// each as a task of ctx's simtime clock; the first failure cancels the
// rest.
func gatherPools(ctx context.Context, mids []MidpointProof, ask CandidateFunc, ts uint64) ([]Pool, error) {
	ctx, cancel := simtime.WithCancel(ctx)
	defer cancel()
	pools := make([]Pool, len(mids))
	var (
		g     simtime.Group
		first error
	)
	for i := range mids {
		g.Go(ctx, "merkle candidate pool", func(ctx context.Context) {
			pools[i].Midpoint = mids[i]
			err := gatherCandidates(ctx, ask, mids[i].Target(), ts, &pools[i].Candidates)
			if err != nil && first == nil {
				first = err
				cancel()
			}
		})
	}
	g.Wait()
	if first != nil {
		return nil, first
	}
	return pools, nil
}

// gatherCandidates fills dst with the first CandidatesPerPool valid answers
// to one pool's request (get_merkle_candidate_pool,
// collect_validated_candidates). The client checks each signature, so this
// costs at least CandidatesPerPool verifications.
func gatherCandidates(ctx context.Context, ask CandidateFunc, target xorname.Name, ts uint64, dst *[CandidatesPerPool]Candidate) error {
	got, err := ask(ctx, target, ts, PoolPeersAsked)
	if err != nil {
		return fmt.Errorf("pool %s: %w", target.Short(), err)
	}
	n, bad := 0, 0
	for i := range got {
		if n == CandidatesPerPool {
			break
		}
		c := &got[i]
		if c.Timestamp != ts || c.Verify() != nil {
			bad++
			continue
		}
		dst[n] = *c
		n++
	}
	if n < CandidatesPerPool {
		return fmt.Errorf("pool %s: %w: %d valid candidates of %d answers (%d invalid), need %d",
			target.Short(), ErrInsufficientPeers, n, len(got), bad, CandidatesPerPool)
	}
	return nil
}

// tree is a salted merkle tree over one sub-batch (evmlib merkle_tree.rs
// MerkleTree): each address is hashed with its own salt, the leaves are
// padded to a power of two with pseudo-random dummies and parents are
// SHA3-256 of their two children.
type tree struct {
	depth  int
	levels [][][32]byte // levels[0] are the padded leaves, levels[depth] the root
	salts  [][32]byte
	addrs  []xorname.Name
}

// newTree builds the tree; seed stands in for upstream's thread_rng salts
// and dummies, so the model is deterministic. len(addrs) must be in
// [MinLeaves, MaxLeaves].
func newTree(addrs []xorname.Name, seed [32]byte) *tree {
	depth := bits.Len(uint(len(addrs) - 1))
	t := &tree{depth: depth, addrs: addrs, salts: make([][32]byte, len(addrs))}
	leaves := make([][32]byte, 1<<depth)
	for i := range leaves {
		r := seededHash(seed, uint64(i))
		if i < len(addrs) {
			t.salts[i] = r
			leaves[i] = hashPair(addrs[i], r)
		} else {
			leaves[i] = r
		}
	}
	t.levels = append(t.levels, leaves)
	for lv := leaves; len(lv) > 1; {
		up := make([][32]byte, len(lv)/2)
		for i := range up {
			up[i] = hashPair(lv[2*i], lv[2*i+1])
		}
		t.levels = append(t.levels, up)
		lv = up
	}
	return t
}

func (t *tree) root() xorname.Name { return xorname.Name(t.levels[t.depth][0]) }

// branch returns the branch from node i of level lv up to the root.
func (t *tree) branch(lv, i int) Branch {
	b := Branch{Index: uint64(i), Leaves: uint64(len(t.levels[lv])), Root: t.root()}
	for ; lv < t.depth; lv++ {
		b.Siblings = append(b.Siblings, t.levels[lv][i^1])
		i >>= 1
	}
	return b
}

// addressBranch returns address i's salted branch (generate_address_proof).
func (t *tree) addressBranch(i int) Branch {
	b := t.branch(0, i)
	b.Leaf = t.addrs[i]
	salt := t.salts[i]
	b.Salt = &salt
	return b
}

// midpoints returns one midpoint proof per node at level depth/2 counted
// from the leaves, 2^ceil(depth/2) in all (reward_candidates).
func (t *tree) midpoints(ts uint64) []MidpointProof {
	lv := t.depth / 2
	mids := make([]MidpointProof, len(t.levels[lv]))
	for i := range mids {
		b := t.branch(lv, i)
		b.Leaf = xorname.Name(t.levels[lv][i])
		mids[i] = MidpointProof{Branch: b, Timestamp: ts}
	}
	return mids
}

// treeSeed derives a sub-batch's salt seed from the ledger nonce and the
// timestamp.
func treeSeed(nonce, ts uint64) [32]byte {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], nonce)
	binary.LittleEndian.PutUint64(b[8:], ts)
	return sha3.Sum256(append([]byte("fanbench/payment merkle salts"), b[:]...))
}

// seededHash is the i-th pseudo-random 32 bytes drawn from seed.
func seededHash(seed [32]byte, i uint64) [32]byte {
	var n [32]byte
	binary.LittleEndian.PutUint64(n[:], i)
	return hashPair(seed, n)
}

// hashPair is SHA3-256 of a ‖ b, the tree's node and salting hash.
func hashPair(a, b [32]byte) [32]byte {
	var buf [64]byte
	copy(buf[:32], a[:])
	copy(buf[32:], b[:])
	return sha3.Sum256(buf[:])
}
