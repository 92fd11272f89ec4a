// Package buffer is the accounting layer for the uploader model's
// payload-sized buffers.
//
// Every buffer whose size scales with a chunk (a chunk read back from the
// spill, a per-peer copy, an encoded message, a payment proof, each copy the
// transport makes) is allocated through New, which names its Site, and is
// dropped through Release at the point where the real client drops it. A
// Meter sees both events with the buffer's capacity in bytes, so live bytes
// can be counted exactly per site, free of Go's garbage collector.
//
// A Buf is reference counted like Rust's bytes::Bytes: Retain is the cheap
// clone that shares the backing array, and the capacity stops counting as
// live when the last holder releases it. A plain Vec<u8> is a Buf with one
// holder.
//
// The package is a leaf: the uploader model imports it to allocate, the
// measurement layer imports it to count, and neither imports the other.
package buffer
