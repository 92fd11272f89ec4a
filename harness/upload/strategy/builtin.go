package strategy

import (
	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/wire"
)

// The built-in strategies, in registry order. This file is the one place
// their names are written; everything else asks the registry.
const (
	// CopyPerPeer deep-copies the chunk for every peer (content.to_vec())
	// and encodes a message with a Vec<u8> content field: ant-client before
	// PR #82.
	CopyPerPeer Strategy = iota
	// SharedBuffer shares the chunk across the peer sends (bytes::Bytes);
	// each send still encodes its own message: PR #82 with ant-protocol
	// v2.1.0.
	SharedBuffer
	// EncodeOnce encodes one message per chunk and shares the frame across
	// its peer sends: beyond PR #82.
	EncodeOnce
	// Streamed encodes only the header and trailer and writes the payload
	// from the shared chunk, with no payload-sized encode buffer: beyond
	// PR #82 (the direction of saorsa-transport's exp-chunk-streaming).
	Streamed
)

// builtins returns the built-in strategies' definitions, indexed by their
// constants above.
func builtins() []Def {
	return []Def{
		CopyPerPeer: {
			Name:    "copy-per-peer",
			Summary: "each send deep-copies the chunk and encodes its own message (ant-client before PR #82)",
			Send: func(h *buffer.Heap, m *Message) Send {
				// ChunkPutRequest::with_payment(address, content.to_vec(), proof.clone())
				content := buffer.Copy(h, buffer.PeerCopy, m.Content.B)
				proof := buffer.Copy(h, buffer.ProofCopy, m.Put.Proof)
				put := m.Put
				put.Content, put.Proof = content.B, proof.B
				enc := encode(h, &put, wire.ContentVec)
				// The encoded message lives until the send returns; the
				// copies until the answer.
				return Send{Parts: [][]byte{enc.B}, Sent: enc.Release, Done: func() {
					proof.Release()
					content.Release()
				}}
			},
			Footprint: func(put *wire.Put) Footprint {
				return Footprint{
					Send:    []Held{{buffer.PeerCopy, int64(len(put.Content))}, {buffer.ProofCopy, int64(len(put.Proof))}},
					Encoded: int64(put.Growth(wire.ContentVec).Cap()),
				}
			},
		},
		SharedBuffer: {
			Name:    "shared-buffer",
			Summary: "the sends share the chunk; each still encodes its own message (PR #82)",
			Send: func(h *buffer.Heap, m *Message) Send {
				// The Bytes is shared; the proof is still cloned per peer.
				content := m.Content.Retain()
				proof := buffer.Copy(h, buffer.ProofCopy, m.Put.Proof)
				put := m.Put
				put.Proof = proof.B
				enc := encode(h, &put, wire.ContentBytes)
				return Send{Parts: [][]byte{enc.B}, Sent: enc.Release, Done: func() {
					proof.Release()
					content.Release()
				}}
			},
			Footprint: func(put *wire.Put) Footprint {
				return Footprint{
					Send:    []Held{{buffer.ProofCopy, int64(len(put.Proof))}},
					Encoded: int64(put.Growth(wire.ContentBytes).Cap()),
				}
			},
		},
		EncodeOnce: {
			Name:    "encode-once",
			Summary: "one encoded message per chunk, shared by its sends (beyond PR #82)",
			Prepare: func(h *buffer.Heap, m *Message) {
				m.Shared = append(m.Shared, encode(h, &m.Put, wire.ContentBytes))
			},
			Send: func(h *buffer.Heap, m *Message) Send {
				frame := m.Shared[0].Retain()
				return Send{Parts: [][]byte{frame.B}, Sent: frame.Release}
			},
			Footprint: func(put *wire.Put) Footprint {
				return Footprint{Store: []Held{{buffer.Encode, int64(put.Growth(wire.ContentBytes).Cap())}}}
			},
		},
		Streamed: {
			Name:    "streamed",
			Summary: "only a header and a trailer are encoded; the chunk is written by reference (beyond PR #82)",
			Prepare: func(h *buffer.Heap, m *Message) {
				head := buffer.New(h, buffer.Encode, m.Put.HeaderLen(), m.Put.HeaderLen())
				head.B = m.Put.AppendHeader(head.B)
				trail := buffer.New(h, buffer.Encode, m.Put.TrailerLen(), m.Put.TrailerLen())
				trail.B = m.Put.AppendTrailer(trail.B)
				m.Shared = append(m.Shared, head, trail)
			},
			Send: func(h *buffer.Heap, m *Message) Send {
				content := m.Content.Retain()
				return Send{Parts: [][]byte{m.Shared[0].B, content.B, m.Shared[1].B}, Done: content.Release}
			},
			Footprint: func(put *wire.Put) Footprint {
				return Footprint{
					Store:       []Held{{buffer.Encode, int64(put.HeaderLen())}, {buffer.Encode, int64(put.TrailerLen())}},
					ByReference: true,
				}
			},
		},
	}
}
