// Package payment models how the Autonomi uploader pays for chunks and how
// nodes check the payment, with real ML-DSA-65 keys and signatures so that
// proof sizes, the memory they hold and the cost of verifying them are the
// real ones (reference/uploader.md §3.3, §3.5, §5).
//
// An Identity is a simulated peer: it signs quotes and merkle candidates
// deterministically. A Ledger is the simulated chain: the payment vault's
// completedPayments, its merkle payments and a transaction count. A
// Verifier is one node's verify_payment.
//
// # Single-node payment (fewer than MerkleThreshold chunks, or --no-merkle)
//
//  1. Per chunk the client asks QuotesAsked peers for a quote
//     (Identity.Quote) and keeps the CloseGroupSize nearest that answered;
//     that collection belongs to the uploader.
//  2. SinglePayment sorts the seven quotes by price and pays the median
//     MedianMultiplier times its price; the other six transfers are zero.
//  3. The transfers of a whole wave go to Ledger.PayQuotes in one call,
//     which drops the zeros and sends at most MaxTransfersPerTransaction
//     per transaction: one transaction for a 64-chunk wave.
//  4. EncodeSingleProof tags and serializes the seven quotes with the
//     transaction hashes: about 56 KB per chunk, because rmp_serde writes
//     each byte of a 1,952-byte key and a 3,309-byte signature as a
//     MessagePack integer.
//  5. Each receiving node's Verifier checks the proof in upstream's order
//     (size, tag, shape, address, freshness, peer binding, recipient, all
//     seven signatures, then completedPayments of the median quote) and
//     caches the address.
//
// # Merkle batch payment (MerkleThreshold chunks or more)
//
//  1. PayMerkle cuts the addresses into sub-batches of at most MaxLeaves and
//     pays them in sequence, all before any chunk is stored.
//  2. Per sub-batch it builds a salted SHA3-256 merkle tree of depth d and
//     takes the 2^ceil(d/2) nodes at level d/2 as candidate pools.
//  3. For every pool at once it asks PoolPeersAsked peers near the pool's
//     target through a CandidateFunc and keeps the first CandidatesPerPool
//     candidates whose signature and timestamp check.
//  4. It pays once per sub-batch (Ledger.PayMerkleTree, one transaction):
//     the ledger picks the winner pool and pays d of its candidates.
//  5. It encodes one proof per chunk: its address, its branch and the whole
//     winner pool, about 128 KB each. The uploader keeps every proof until
//     the upload ends.
//  6. A node's Verifier checks the winner pool's 16 signatures on every
//     chunk, as ant-node does (VerifierOptions.CachePoolSignatures skips them
//     after a pool's first chunk), finds the payment by the pool's hash,
//     which commits to the root (once per pool, through its pool cache),
//     then checks the branches, the depth, the timestamps and the amounts.
//
// # Departures from the real system
//
// Prices are uint64 atto (U256 on chain; encoded as U256). Quote hashes
// use SHA3-256 where evmlib uses Keccak-256, which costs the same. Salts,
// padding leaves and the vault's prevrandao choices come from seeded
// hashes, so runs are deterministic. The node's merkle closeness check,
// which needs a DHT lookup, is left to the network model. The ledger
// answers at once. The PR-era wire types are modelled, without the later
// ADR-0004 commitment fields.
package payment
