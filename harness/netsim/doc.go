// Package netsim is the physics of fanbench's simulated Autonomi network: a
// scaled clock, the XOR geometry that picks a chunk's close group, per-peer
// latency, and the client's single shared uplink. It holds no node logic:
// decoding, hashing and payment checks live in the peer package built on top
// of it, which passes its peers' ids in and receives the bytes of each send
// through a sink.
//
// A send from the uploader model to one peer goes through the package in
// these steps:
//
//  1. Network.Closest picks the target peers: the k peers nearest the chunk
//     address by XOR distance (ant-protocol's close group; the uploader asks
//     7 for a put, 14 for a quote and 32 for a merkle candidate pool).
//  2. Network.Delay sleeps the peer's one-way latency on the simulated clock
//     (connection set-up, the request's first byte).
//  3. Network.Transfer moves the encoded message through the client's uplink.
//     The uplink's bandwidth is shared equally by every transfer in flight, so
//     64 concurrent 4 MiB sends take 64 times as long as one, and the memory
//     behind them stays live for that whole time (reference/uploader.md,
//     point 10). Each Segment-sized step is handed to the sink when it has
//     crossed the link, so the receiving peer sees bytes as they arrive.
//  4. The peer answers; its reply costs another Delay. The caller starts its
//     response timeout only after Transfer returns, as the real client starts
//     its clock after send_message (ant-protocol src/chunk_protocol.rs
//     L45–54).
//
// # Time
//
// All durations in Config and in the Clock's API are simulated time unless a
// name says real. A Clock with Scale s runs s times faster than the wall
// clock: with Scale 100 a simulated 10 s sleep takes 100 ms of real time, and
// an uplink of 100 Mbit/s moves 1.25 GB per real second. Scale 1 is real time.
//
// The wall clock's timers are coarse: on Linux a sleep shorter than a
// millisecond takes about a millisecond (the runtime's poller waits in whole
// milliseconds), which at Scale 100 is 100 ms simulated. Two things follow.
// The uplink is a fluid processor-sharing model computed from the clock
// rather than a chain of per-step sleeps, so a late wake-up delays the
// delivery of bytes to a sink but never slows the link. And the last
// millisecond or so of a Clock.Sleep, and of a Transfer, is spent yielding
// in a loop (runtime.Gosched) rather than on a timer, which costs a little
// otherwise idle CPU and keeps short simulated delays accurate. Contexts
// from Clock.WithTimeout use ordinary timers and may fire up to about 1 ms
// of real time late.
//
// # What is not modelled
//
// Peers have no downlink limit, links lose no packets, and latency is fixed
// per peer. The CPU time a sink spends (hashing, copying) delays delivery to
// it but is not charged to the link; pick a Scale whose real byte rate stays
// well below what the machine can hash.
package netsim
