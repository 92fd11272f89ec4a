// Package netsim is the physics of fanbench's simulated Autonomi network:
// the XOR geometry that picks a chunk's close group, per-peer latency, and
// the client's single shared uplink. It holds no node logic:
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
//     point 10). When the last byte has crossed, the bytes are handed to the
//     sink in Segment-sized steps.
//  4. The peer answers; its reply costs another Delay. The caller starts its
//     response timeout only after Transfer returns, as the real client starts
//     its clock after send_message (ant-protocol src/chunk_protocol.rs
//     L45–54).
//
// # Time
//
// All durations in Config and in the API are virtual time, on the
// network's simtime.Clock: the simulation runs inside Clock.Run, its
// concurrent activities are simtime tasks, and virtual time jumps from one
// event (a latency elapsed, a transfer's last byte across the uplink) to
// the next, whatever the host's load. CPU work (encoding, hashing,
// signing, a peer's checks) takes no virtual time, as if the machine's CPU
// were infinitely fast next to its uplink, which is the regime the real
// uploader's memory problem lives in. There is no scale: a run is as fast
// as the CPU work it does.
//
// # What is not modelled
//
// Peers have no downlink limit, links lose no packets, and latency is fixed
// per peer. A peer sees a message's bytes once the last of them has
// crossed the uplink, not as they arrive.
package netsim
