// Package spill keeps encrypted chunks on disk between the uploader's two
// phases, as ant-client's ChunkSpill does (ant-core/src/data/client/file.rs
// L141-373 at the snapshot of shared/reference/uploader.md §3.2).
//
// The flow:
//  1. Create makes a private directory spill_<ts>_<rand> (mode 0700) under a
//     base directory, with a lock file naming the owning process, after
//     reaping leftovers of crashed runs (Reap).
//  2. The encryption phase calls Put for each chunk: the bytes go to a file
//     named by the hex address; duplicates are skipped; only the 32-byte
//     addresses stay in RAM.
//  3. The upload phase calls Read for each address of a wave; each read is an
//     exact-size buffer at buffer.SpillRead, as read_wave's Vec → Bytes.
//  4. Close removes the directory.
//
// A Cache keeps finished spills keyed by the source parameters so repeated
// runs of one scenario skip re-encryption (Cache.Get):
//  1. every Get reaps crash leftovers first, whether or not it then finds
//     its entry;
//  2. an entry is trusted only after its manifest's checksum and every
//     chunk's BLAKE3 hash against its address check out (about 0.2 s for a
//     300 MB entry in the page cache; see BenchmarkLookup); a damaged entry
//     is rebuilt and Get returns a warning naming it and the chunk;
//  3. entries live within a size cap (DefaultMax, or MaxEnv), the least
//     recently used evicted first, never one that a process holds (a shared
//     flock on the entry's directory);
//  4. an entry becomes visible only by an atomic rename after its manifest
//     is written, so a crash mid-build never leaves a half-written entry
//     that a later run would trust.
//
// Entries, Check and Prune serve `fanbench cache`.
package spill
