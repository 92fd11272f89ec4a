package selfenc

// Sizes and parameters of self_encryption 0.35.
const (
	// MaxChunkSize is the largest plaintext chunk, in bytes: 4 MiB − 4 KiB,
	// leaving headroom for compression growth under the 4 MiB protocol
	// limit, wire.MaxContentSize (self_encryption 0.35 src/lib.rs
	// MAX_CHUNK_SIZE).
	MaxChunkSize = 4_190_208
	// MinChunkSize is the smallest plaintext chunk, in bytes
	// (self_encryption src/lib.rs MIN_CHUNK_SIZE).
	MinChunkSize = 1
	// MinEncryptableBytes is the smallest file that can be self-encrypted,
	// in bytes: three chunks of MinChunkSize (self_encryption src/lib.rs
	// MIN_ENCRYPTABLE_BYTES).
	MinEncryptableBytes = 3 * MinChunkSize
	// CompressionQuality is the brotli quality applied to every chunk
	// before encryption (self_encryption src/lib.rs COMPRESSION_QUALITY).
	CompressionQuality = 6
	// CompressionWindow is the base-2 log of brotli's window: lgwin 22, the
	// default of the brotli crate's BrotliEncoderParams, which
	// self_encryption src/encrypt.rs leaves unchanged.
	CompressionWindow = 22
)

// maxSrcSize is the largest plaintext chunk in bytes. It is one more than
// MaxChunkSize: below 3 × MaxChunkSize the last of the 3 chunks takes
// size − 2⌊size/3⌋ bytes, which is MaxChunkSize + 1 at size
// 3 × MaxChunkSize − 1.
const maxSrcSize = MaxChunkSize + 1

// ChunkCount returns the number of data chunks a file of size bytes is cut
// into: 3 below 3 × MaxChunkSize, otherwise ceil(size / MaxChunkSize)
// (self_encryption src/utils.rs get_num_chunks). It returns 0 for a size
// below MinEncryptableBytes, which cannot be encrypted.
func ChunkCount(size int64) int {
	switch {
	case size < MinEncryptableBytes:
		return 0
	case size < 3*MaxChunkSize:
		return 3
	default:
		return int((size + MaxChunkSize - 1) / MaxChunkSize)
	}
}

// ChunkBounds returns the half-open byte range [start, end) of chunk i in a
// file of size bytes (self_encryption src/utils.rs get_start_end_positions).
// Below 3 × MaxChunkSize the chunks are size/3 bytes and the last takes the
// remainder; otherwise every chunk is MaxChunkSize bytes except the last,
// which holds the rest. It returns 0, 0 when i is not a chunk of size.
func ChunkBounds(size int64, i int) (start, end int64) {
	n := ChunkCount(size)
	if i < 0 || i >= n {
		return 0, 0
	}
	if size < 3*MaxChunkSize {
		third := size / 3
		if i < 2 {
			return int64(i) * third, int64(i+1) * third
		}
		return 2 * third, size
	}
	start = int64(i) * MaxChunkSize
	return start, min(start+MaxChunkSize, size)
}

// neighbours returns the indices of the two chunks whose source hashes key
// chunk i of n, n ≥ 3 (self_encryption src/utils.rs get_n_1_n_2).
func neighbours(i, n int) (n1, n2 int) {
	switch i {
	case 0:
		return n - 1, n - 2
	case 1:
		return 0, n - 1
	default:
		return i - 1, i - 2
	}
}
