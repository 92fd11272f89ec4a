// Package externalsigner is a second uploader: ant-client's external-signer
// file upload, where the client prepares the payment, an external wallet
// (a desktop app through WalletConnect, say) signs and pays it, and the
// client then finalizes: builds the proofs and stores the chunks. It
// follows the path in two versions, registered as two uploaders:
//
//   - external-signer-0.3.2, the path before ant-client 0.3.3 (read at
//     ant-client 95a23be, ant-cli 0.2.9, 2026-07-01, file.rs
//     file_prepare_upload_with_progress L1443-1614; the CHANGELOG's
//     [0.3.3] entry says the releases up to it held the file the same
//     way): prepare reads every spilled chunk back into memory
//     (chunk_data: Vec<Bytes>, "NOT memory-bounded for large files") and
//     keeps every body while the wallet signs, until that chunk's store
//     ends in finalize.
//   - external-signer-0.3.3, the path since 0.3.3 (CHANGELOG [0.3.3],
//     2026-08-12, ADR-0003; native.rs, stored-file id 61613608677): the
//     merkle prepare keeps the bodies in the on-disk spill
//     (ExternalChunkStore), and finalize reads each one back when its
//     store starts, in the wallet path's rolling pass capped at 64 stores
//     (upload_merkle_from_spill, MERKLE_STORE_MAX_IN_FLIGHT), with deferred
//     retry rounds.
//
// The upload, in three steps, as one simtime task:
//
//  1. Prepare. Merkle (Auto: 64 chunks or more): before 0.3.3 every chunk
//     is read back first (site SpillRead); then the merkle batch is built
//     and paid (prepare_merkle_batch_external; the candidate pools are
//     gathered here, and the ledger records the wallet's payment at the
//     end of this step). A merkle prepare that finds too few peers falls
//     back to the wave-batch variant. Wave-batch (below 64 chunks, or the
//     fallback; prepare_wave_batch_external_chunks L1638-1700): every chunk
//     is read back and quoted, each PreparedChunk holding its body; in both
//     versions (0.3.3's WaveFinalizeResume still "owns the already-paid
//     PaidChunks (body + payment proof)").
//  2. The wallet signs: SignWait of simulated time, everything prepared
//     held.
//  3. Finalize. Merkle before 0.3.3 (finalize_upload_merkle →
//     merkle_upload_chunks, merkle.rs L819-870): one pass over every chunk,
//     the cap min(current, chunks) read once, each store cloning its proof
//     at launch and dropping its body when it ends; chunks short of quorum
//     retried up to MerkleStoreMaxAttempts times, MerkleRetryBackoff apart,
//     their bodies kept. Merkle since 0.3.3: the rolling pass above, each
//     store cloning its proof and then reading its body, deferred rounds
//     DeferredDelays apart. Wave-batch (finalize_upload →
//     store_paid_chunks_with_events, batch.rs L732-): one transaction pays
//     every quote, each chunk gets its proof, and the paid chunks are
//     stored with the single path's retries, each store cloning its
//     PaidChunk and dropping its body and proofs when it ends.
//
// Everything else (the strategies, the transport, the close-group fan-out,
// timeouts, when a wave-batch reads its cap) is the case's client profile
// and strategy, as for the default uploader. The analytic model covers it
// as it covers the default uploader, from the chunks each pass holds
// (uploader.Held); runner's TestModelOtherUploaders checks it to the byte.
//
// Departures: the already-stored preflight of the merkle path
// (plan_merkle_upload) is not modelled, as it is not in the default
// uploader; the merkle retry backoff has no jitter (upstream ±10 %); before
// 0.3.3 a merkle upload of more than payment.MaxLeaves chunks fails in
// prepare, as upstream's single-batch prepare did.
package externalsigner
