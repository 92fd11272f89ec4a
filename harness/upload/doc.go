// Package upload is the model of the Autonomi file uploader: the system
// under test. It follows ant-client's file_upload_with_progress
// (ant-core/src/data/client/file.rs) as restated in
// shared/reference/uploader.md, in two strictly sequential phases:
//
//  1. Encrypt: the source is self-encrypted (package selfenc) and every
//     chunk is spilled to a private directory (package spill); only
//     addresses stay in RAM. A spill cache keyed by the source lets repeated
//     runs skip this phase.
//  2. Upload: the payment mode is chosen (Auto: merkle at ≥ 64 chunks), then
//     the chunks are read back from the spill one wave of 64 at a time and
//     stored:
//     - single: per wave, quote every chunk (14 peers asked, 7 closest
//     kept), pay once for the wave, then store; the wave's chunk buffers
//     stay resident until the wave ends; failed chunks are retried as a set
//     up to 3 more rounds with 0.5/1/2 s backoff;
//     - merkle: pay for every chunk up front (sub-batches of ≤ 256), keep
//     one proof per chunk for the whole upload, then per wave look up each
//     chunk's close group and store it, dropping its buffer when its store
//     completes; the first failure aborts the upload.
//
// Each chunk store is a close-group fan-out (package fanout,
// chunk_put_to_close_group): the first 4 of 7 peers concurrently, one
// fallback per failure, success at 4, leftovers cancelled. How each
// per-peer send builds its message is the buffer strategy under comparison
// (package strategy); the transport underneath makes its own copies
// (package transport). Store concurrency is read once per wave from a
// limiter.Policy, or per slot for a client that does (client.PerSlot).
//
// The package is the default uploader of the registry (package uploader),
// under the name uploader.Default. Every payload-sized buffer goes through
// package buffer with its site, so a buffer.Meter sees exactly what is
// live. The model never imports measurement or reporting code.
package upload
