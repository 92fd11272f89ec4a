// Package buffer is the memory layer for the uploader model's payload-sized
// buffers: where their bytes live, and who counts them.
//
// Every buffer whose size scales with a chunk (a chunk read back from the
// spill, a per-peer copy, an encoded message, a payment proof, each copy the
// transport makes) is allocated through New, Copy or NewVec in a Heap,
// which names its Site, and is dropped through Release at the point where
// the real client drops it. In order:
//
//  1. The Heap's allocator (package alloc) places the bytes as the client's
//     allocator would (glibc malloc for ant-client), outside the Go heap, and
//     counts the client's resident pages exactly: a buffer's pages become
//     resident as the caller writes them, and go back to the OS, or stay
//     with the allocator, by the allocator's own rules. A Vec that grew by
//     doubling is replayed step by step (NewVec), since where glibc puts
//     each capacity, and what it keeps, depends on the way up.
//  2. The Heap's Meter sees each buffer become live and be dropped, with its
//     site and capacity, so live bytes are counted exactly per site, free of
//     Go's garbage collector.
//  3. With a limit set, the allocation that takes the client's resident
//     memory to it ends the run, as the OOM killer ends a process.
//
// A Buf is reference counted like Rust's bytes::Bytes: Retain is the cheap
// clone that shares the backing array, and the capacity stops counting as
// live when the last holder releases it. A plain Vec<u8> is a Buf with one
// holder.
//
// The package sits on alloc and below everything else: the uploader model
// imports it to allocate, the measurement layer imports it to count, and
// neither imports the other.
package buffer
