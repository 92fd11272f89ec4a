package selfenc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/fanbench/fanbench/harness/xorname"
)

const (
	// DataMapVersion is the version byte that starts a serialised data map
	// (self_encryption src/data_map.rs, VersionedDataMap version 1).
	DataMapVersion = 1
	// ChunkInfoSize is the serialised size of one ChunkInfo in bytes:
	// index u64, two 32-byte hashes and src_size u64.
	ChunkInfoSize = 8 + 2*xorname.Size + 8
	// NoChild is DataMap.Child for a map that lists the file's own chunks.
	NoChild = -1
)

// ChunkInfo describes one chunk of a self-encrypted file or data map
// (self_encryption src/data_map.rs ChunkInfo).
type ChunkInfo struct {
	// Index is the chunk's position, from 0.
	Index int
	// DstHash is the BLAKE3 hash of the encrypted chunk: its address.
	DstHash xorname.Name
	// SrcHash is the BLAKE3 hash of the chunk's plaintext.
	SrcHash xorname.Name
	// SrcSize is the plaintext length in bytes.
	SrcSize int64
}

// DataMap lists the chunks needed to rebuild a file, sorted by index
// (self_encryption src/data_map.rs DataMap).
type DataMap struct {
	// Chunks holds one entry per chunk, Chunks[i].Index == i.
	Chunks []ChunkInfo
	// Child is the shrink level whose encryption produced Chunks: NoChild
	// (−1) when Chunks are the file's own chunks, L ≥ 1 when they hold the
	// serialised map of level L − 1 (NoChild for L = 1). It mirrors the
	// Rust Option<usize>, with −1 for None.
	Child int
}

// IsChild reports whether d lists the chunks of a serialised data map
// rather than of the file.
func (d DataMap) IsChild() bool { return d.Child != NoChild }

// Size returns the total plaintext length in bytes that d's chunks hold.
func (d DataMap) Size() int64 {
	var n int64
	for _, c := range d.Chunks {
		n += c.SrcSize
	}
	return n
}

// level returns the shrink level whose keys d's chunks were encrypted with
// (self_encryption src/lib.rs decrypt_full_set: child.unwrap_or(0)).
func (d DataMap) level() int { return max(d.Child, 0) }

// MarshalBinary encodes d as self_encryption's DataMap::to_bytes does: a
// version byte (1), then bincode 1 with fixed-width little-endian integers
// — the Vec length as u64, each ChunkInfo as index u64, dst_hash, src_hash,
// src_size u64 (80 bytes) — and child as an Option<u64>: one tag byte, then
// the u64 when present.
func (d DataMap) MarshalBinary() ([]byte, error) {
	if d.Child < NoChild {
		return nil, fmt.Errorf("selfenc: data map: child level %d is invalid", d.Child)
	}
	n := 1 + 8 + len(d.Chunks)*ChunkInfoSize + 1
	if d.IsChild() {
		n += 8
	}
	b := make([]byte, 0, n)
	b = append(b, DataMapVersion)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(d.Chunks)))
	for _, c := range d.Chunks {
		if c.Index < 0 || c.SrcSize < 0 {
			return nil, fmt.Errorf("selfenc: data map: chunk %d has negative index or size (%d bytes)", c.Index, c.SrcSize)
		}
		b = binary.LittleEndian.AppendUint64(b, uint64(c.Index))
		b = append(b, c.DstHash[:]...)
		b = append(b, c.SrcHash[:]...)
		b = binary.LittleEndian.AppendUint64(b, uint64(c.SrcSize))
	}
	if d.IsChild() {
		b = append(b, 1)
		b = binary.LittleEndian.AppendUint64(b, uint64(d.Child))
	} else {
		b = append(b, 0)
	}
	return b, nil
}

var errShort = errors.New("truncated")

// UnmarshalBinary decodes the form MarshalBinary writes. It rejects any
// other version, a length that the input cannot hold, an invalid option tag
// and trailing bytes; on error d is unchanged.
func (d *DataMap) UnmarshalBinary(b []byte) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("selfenc: data map: "+format, args...)
	}
	if len(b) < 1+8 {
		return fail("%d bytes: %w", len(b), errShort)
	}
	if b[0] != DataMapVersion {
		return fail("version %d, want %d", b[0], DataMapVersion)
	}
	n := binary.LittleEndian.Uint64(b[1:9])
	rest := b[9:]
	if n > uint64(len(rest)/ChunkInfoSize) {
		return fail("%d chunks do not fit in %d bytes: %w", n, len(rest), errShort)
	}
	chunks := make([]ChunkInfo, n)
	for i := range chunks {
		index := binary.LittleEndian.Uint64(rest[0:8])
		size := binary.LittleEndian.Uint64(rest[72:80])
		// 2^31 chunks would be a 9 PB file; the bound keeps int conversions
		// safe on every platform.
		if index > math.MaxInt32 || size > math.MaxInt64 {
			return fail("chunk %d: index %d or size %d out of range", i, index, size)
		}
		c := ChunkInfo{Index: int(index), SrcSize: int64(size)}
		copy(c.DstHash[:], rest[8:40])
		copy(c.SrcHash[:], rest[40:72])
		chunks[i] = c
		rest = rest[ChunkInfoSize:]
	}
	child := NoChild
	switch {
	case len(rest) == 0:
		return fail("child: %w", errShort)
	case rest[0] == 0:
		rest = rest[1:]
	case rest[0] == 1:
		if len(rest) < 9 {
			return fail("child: %w", errShort)
		}
		v := binary.LittleEndian.Uint64(rest[1:9])
		if v > math.MaxInt32 {
			return fail("child level %d out of range", v)
		}
		child = int(v)
		rest = rest[9:]
	default:
		return fail("child: option tag %d, want 0 or 1", rest[0])
	}
	if len(rest) != 0 {
		return fail("%d trailing bytes", len(rest))
	}
	d.Chunks, d.Child = chunks, child
	return nil
}

// check reports whether d can be decrypted: at least 3 chunks, indices in
// order, plaintext sizes within [MinChunkSize, maxSrcSize]. The size bound
// also caps what a hostile map can make Decrypt allocate.
func (d DataMap) check() error {
	if d.Child < NoChild {
		return fmt.Errorf("child level %d is invalid", d.Child)
	}
	if len(d.Chunks) < 3 {
		return fmt.Errorf("%d chunks, want at least 3", len(d.Chunks))
	}
	for i, c := range d.Chunks {
		if c.Index != i {
			return fmt.Errorf("entry %d has index %d", i, c.Index)
		}
		if c.SrcSize < MinChunkSize || c.SrcSize > maxSrcSize {
			return fmt.Errorf("chunk %d: size %d bytes outside [%d, %d]", i, c.SrcSize, MinChunkSize, maxSrcSize)
		}
	}
	return nil
}
