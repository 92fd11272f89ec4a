// Package meter measures a run from inside the process that makes it.
//
//  1. Live is the exact counter: a buffer.Meter that the uploader model's
//     tracked buffers report to. It keeps live bytes per site and in total,
//     the peak with its moment (simulated and real) and every site's share
//     at that moment, and a timeline whose length stays bounded however long
//     the run: when it fills, neighbouring intervals merge (keeping the
//     higher) and the interval doubles. It signals when the total passes a
//     threshold, so the caller can take a heap profile at the peak.
//  2. Sampler reads runtime/metrics on a fixed period (1-5 ms) for the Go
//     heap's peak and the memory the runtime maps, and takes the bytes and
//     objects allocated between Start and Stop.
//
// Both avoid allocating on their measured paths: Live's methods allocate
// nothing, and the Sampler reuses its sample slice and a preallocated
// timeline.
package meter
