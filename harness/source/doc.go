// Package source generates the files fanbench uploads: deterministic,
// seeded byte streams of any size that are never held in memory whole.
//
// A file is described by a Spec (seed, size, compressibility) and is
// produced as follows:
//
//  1. The file is cut into blocks of BlockSize bytes; the last block may be
//     shorter. Block b's content depends only on (Seed, b, Compressibility),
//     never on Size, so a shorter file with the same seed is a prefix of a
//     longer one.
//  2. Each block gets its own ChaCha8 generator (math/rand/v2) seeded by
//     (Seed, b, a domain tag), so any block can be produced without
//     producing the ones before it: ReadAt starts anywhere.
//  3. The first (1 − Compressibility) × BlockSize bytes of a block are read
//     from that generator: incompressible bytes.
//  4. The rest of the block repeats a PatternSize-byte pattern drawn next from
//     the same generator, which brotli reduces to almost nothing. So a
//     compressibility of 0.5 makes brotli shrink the file about 2×, and 0
//     (the default) gives the incompressible PRNG data the upstream e2e
//     tests use to get full-size chunks (self_encryption commit ad47665, see
//     shared/reference/uploader.md §4).
//
// Spec.Reader streams the bytes with one block of scratch memory; Spec.ReadAt
// gives the same bytes at random offsets. Both produce well over 1 GB/s on
// one core.
package source
