// Package selfenc is self-encryption as self_encryption 0.35 performs it for
// the Autonomi uploader (shared/reference/uploader.md §3.1, §3.2, §4), with
// the decryption that undoes it.
//
// Encrypt turns a stream of Size bytes into content-addressed chunks:
//
//  1. Chunking. The file is cut into ChunkCount(size) chunks: exactly 3 of
//     about size/3 bytes below 3 × MaxChunkSize, otherwise full chunks of
//     MaxChunkSize with the remainder last (ChunkBounds).
//  2. Reading and hashing. One goroutine reads the chunks in order and hashes
//     each plaintext with BLAKE3: the chunk's source hash. Chunks 0 and 1 are
//     held back (tracked at buffer.Deferred), because their keys need the
//     source hashes of the last two chunks.
//  3. Keys. Chunk i's secrets come from a BLAKE3 derive_key over its own
//     source hash, two neighbours' hashes, i and the shrink level; the
//     neighbours are (i−1, i−2) for i ≥ 2, (N−1, N−2) for 0 and (0, N−1) for 1.
//     The 96 output bytes split into a 52-byte pad, a 32-byte key and a
//     12-byte nonce.
//  4. Transform. Options.Workers goroutines each compress a chunk with brotli
//     (quality 6, window 2^22), seal it with ChaCha20-Poly1305 (no associated
//     data, 16-byte tag) and XOR it with the pad repeated; the chunk's address
//     is the BLAKE3 hash of the result. Outputs are tracked at buffer.Encrypt.
//  5. Ordered emission. The caller's goroutine emits the chunks in the
//     uploader's order: 2 … N−1 as they become ready, then 0 and 1.
//  6. Data-map shrinking. While the data map has more than 3 entries it is
//     serialised (DataMap.MarshalBinary) and self-encrypted again one level
//     up; those chunks are emitted in index order, as shrink_data_map stores
//     them. A file of N > 3 chunks thus yields N + 3 chunks and a root map of
//     3 entries whose Child names the level that encrypted them.
//
// Levels: the file's own chunks are level 0 and the root map of a file of at
// most 3 chunks has Child = NoChild; the first shrink encrypts at level 1 and
// its map has Child = 1, the next at level 2, and so on (self_encryption 0.35
// src/lib.rs shrink_data_map: next_child_level = child.map_or(1, |c| c + 1)).
// A map with Child = L is decrypted at level L and yields the map below it.
//
// Memory stays bounded whatever the size: besides the two deferred chunks,
// at most Workers + 1 plaintext buffers and 2 × Workers + 1 encrypted
// buffers of one chunk each are live at once, plus 32 bytes of source hash
// and 80 bytes of data map per chunk.
//
// Decrypt reverses the process: it resolves shrunk maps down to the file's
// map, then fetches, checks and decrypts each chunk in order.
//
// The transform is the real one, but this package is not byte-compatible
// with self_encryption: Go's brotli encoder need not produce the same bytes
// as the Rust brotli crate, so the chunk addresses differ. Sizes, order,
// counts and work per byte match, which is what fanbench measures.
package selfenc
