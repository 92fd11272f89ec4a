// Package meter measures a run from inside the process that makes it.
//
//  1. Live is the exact counter: a buffer.Meter that the uploader model's
//     tracked buffers report to. It keeps live bytes per site and in total,
//     the peak with its moment (simulated and real) and every site's share
//     at that moment, and a timeline whose length stays bounded however long
//     the run: when it fills, neighbouring intervals merge (keeping the
//     higher) and the interval doubles. It also keeps every client buffer's
//     life and allocation stack, so PeakProfile can write the buffers live
//     at the peak as a pprof profile whose total is the peak, to the byte.
//  2. Sampler reads runtime/metrics on a fixed period (1-5 ms) for the Go
//     heap's peak and the memory the runtime maps (the harness's own
//     figures), and takes the bytes and objects allocated between Start and
//     Stop.
//  3. HeapSnapshot copies the runtime's heap profile records, the harness's
//     Go heap, into memory allocated ahead.
//
// They allocate little on their measured paths: Live only to record a
// buffer (amortised) or a call stack seen for the first time, and the
// Sampler reuses its sample slice and a preallocated timeline.
package meter
