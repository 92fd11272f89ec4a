// Package wire models the bytes the Autonomi uploader puts on the wire for
// one chunk PUT, and the capacity of every Vec<u8> the real process grows
// while producing them.
//
// The real send path for one peer (shared/reference/uploader.md §1, §6, §8)
// runs in these steps; the package gives each a length and a growth figure:
//
//  1. ant-client wraps the chunk in ChunkMessage{request_id, body:
//     PutRequest(ChunkPutRequest{address, content, payment_proof})} and
//     encodes it with postcard::to_stdvec (ant-protocol src/chunk.rs L96).
//     Put.Append writes those bytes; Put.Growth gives the capacity the
//     encode Vec ends with. to_stdvec starts from an empty Vec and never
//     pre-sizes it, so the figure depends on how each field is written:
//     a Vec<u8> content (ContentVec) is a serde sequence pushed one byte at
//     a time, a bytes::Bytes content (ContentBytes, ant-protocol v2.1.0) is
//     one extend_from_slice, and the proof that follows grows it again.
//  2. saorsa-core clones the encoded payload for a retry and again per
//     channel attempt (network.rs L1505, transport_handle.rs send_message).
//     Those clones are exact-size: their capacity is Put.Len.
//  3. saorsa-core signs a postcard re-serialisation of (protocol, data,
//     from, timestamp, user_agent) with ML-DSA-65 (compute_signable_bytes):
//     Envelope.AppendSignable and Envelope.SignableGrowth.
//  4. It serialises the whole WireMessage again with postcard and writes it
//     to a QUIC uni stream: Envelope.AppendWire and Envelope.WireGrowth.
//     WireHeader and WireTrailer let a sender stream the payload between
//     them instead of building the frame.
//  5. The receiving peer parses the WireMessage (DecodeEnvelope) and the
//     ChunkMessage inside it (DecodePut). Both decoders read from an
//     io.Reader through small fixed buffers and hand the payload to a
//     callback or an io.Writer (a BLAKE3 hasher, say), so decoding a 4 MB
//     chunk allocates tens of kilobytes, not megabytes.
//
// # Growth model
//
// A Growth follows Rust's RawVec::grow_amortized for one-byte elements: when
// a push finds len == cap, or an extend of n bytes finds cap-len < n, the new
// capacity is max(2×cap, len+n, 8). Alloc adds up every capacity the Vec
// held, the last one included; that is what heaptrack attributes to
// RawVecInner::finish_grow. The figures are computed in a few steps per
// field (one per doubling), never byte by byte.
//
// # Differences from the reference sheet
//
// WireMessage.from is a saorsa-core PeerId, whose Serialize writes the
// 64-character lowercase hex string (saorsa-core src/identity/peer_id.rs,
// "Serializes as a hex string (64 characters) in all formats"), so it takes
// 65 bytes on the wire, not 32. And because the WireMessage and the
// signable tuple both begin with the 21-byte protocol string, their Vec
// reaches capacity 22 before the payload length is written, then 44, and
// doubles from there: around a 4.2 MB payload they end at 44×2^17 =
// 5,767,168 bytes, not at 8 MiB as uploader.md §8 states.
package wire
