// Package replay puts a real Rust process beside fanbench's figures: it
// builds fanbench-replay, a std-only Rust program kept in rust/src/main.rs
// (embedded in this package, so any fanbench binary can build it), runs it
// on an allocation trace (harness/trace) and reads its report.
//
// The pipeline:
//
//  1. Build compiles the program with the machine's rustc (`rustc -O`, no
//     crates, no cargo) into a cache directory, once per source, flags and
//     rustc version. Without rustc it returns an error wrapping ErrNoRustc,
//     so callers and tests can say which tool is missing.
//  2. Run replays a trace: the program allocates, touches, grows and frees
//     Vec<u8>s with Rust's global allocator (glibc malloc, as in a Linux
//     build of ant-client) exactly as the trace says, counts its own live
//     bytes (the sum of the live Vecs' capacities, fanbench's peak-live-B
//     definition), reads /proc/self/status (VmHWM, VmRSS, RssAnon) before
//     the first event, after every event that can raise them and at the
//     end, and reports them as JSON, which Run parses into a Report.
//  3. RunHeaptrack does the same under heaptrack, which writes a capture;
//     reports/heaptrack reads it. Each site's buffers are allocated and
//     grown in their own #[inline(never)] Rust function named after the
//     real client's frame (to_vec_peer_copy, chunk_message_encode_…), so
//     heaptrack's stacks name fanbench's sites; growth is reserve_exact,
//     which reallocates through RawVecInner::finish_grow as postcard's
//     pushes do in the real client.
//
// Sends writes a synthetic trace of concurrent chunk sends, for checking
// the whole chain (trace, replay, heaptrack) where no traced run is at
// hand.
//
// Whether the replay spreads its events over threads (and so over glibc
// arenas) is Options.Threads; the program's doc comment says what that
// changed on this machine and why the default is one thread.
package replay
