package wire

import (
	"encoding/binary"
	"fmt"
	"github.com/fanbench/fanbench/harness/buffer"

	"github.com/fanbench/fanbench/harness/xorname"
)

// ProtocolID is the topic chunk messages travel on (ant-protocol
// src/chunk.rs L13, CHUNK_PROTOCOL_ID). It is 21 bytes long, which sets the
// first capacities of the signable and WireMessage Vecs.
const ProtocolID = "autonomi.ant.chunk.v1"

// MaxContentSize is the largest chunk content the protocol accepts, in
// bytes (ant-protocol src/chunk.rs L19, MAX_CHUNK_SIZE = 4 MiB). The node
// checks it (ant-node src/storage/handler.rs); the encoder and decoders here
// do not. Upstream calls it MAX_CHUNK_SIZE, as self_encryption calls its
// smaller limit on plaintext chunks (selfenc.MaxChunkSize, 4,190,208
// bytes); here the two have different names.
const MaxContentSize = 4 << 20

// MaxWireMessageSize is the largest encoded ChunkMessage the receiver
// decodes, in bytes (ant-protocol src/chunk.rs L26, MAX_WIRE_MESSAGE_SIZE =
// 5 MiB, checked in ChunkMessage::decode L108–117). The sender never checks
// it.
const MaxWireMessageSize = 5 << 20

// putRequestVariant is the serde variant index of
// ChunkMessageBody::PutRequest: the first variant of the enum (ant-protocol
// src/chunk.rs L56–57). ant-protocol commit e979016 pins it on the wire in
// the test appending_v2_variants_leaves_existing_discriminants_untouched.
const putRequestVariant = 0

// bodyVariants names ChunkMessageBody's variants by serde index, as of
// ant-protocol v2.1.0 (src/chunk.rs L56–73), for error messages.
var bodyVariants = [...]string{
	"PutRequest", "PutResponse", "GetRequest", "GetResponse",
	"QuoteRequest", "QuoteResponse",
	"MerkleCandidateQuoteRequest", "MerkleCandidateQuoteResponse",
}

// ContentKind is the Rust type of ChunkPutRequest.content. The bytes on the
// wire are the same for both kinds; how postcard::to_stdvec grows its Vec
// while writing them is not.
type ContentKind int

const (
	// ContentVec is content: Vec<u8>, ant-protocol before v2.1.0. serde
	// writes it as a sequence, so postcard pushes it one byte at a time and
	// the Vec doubles its way up to the content size.
	ContentVec ContentKind = iota
	// ContentBytes is content: bytes::Bytes with bytes' serde feature,
	// from ant-protocol v2.1.0 (commit 4aac7d3, PR #6). Bytes serializes
	// with serialize_bytes: a varint length, then one extend_from_slice,
	// which reserves exactly the bytes needed.
	ContentBytes
)

// String returns "vec" or "bytes".
func (k ContentKind) String() string {
	switch k {
	case ContentVec:
		return "vec"
	case ContentBytes:
		return "bytes"
	}
	return fmt.Sprintf("ContentKind(%d)", int(k))
}

// Put is a ChunkMessage whose body is PutRequest(ChunkPutRequest): the
// message ant-client encodes once per peer of the close-group fan-out
// (ant-protocol src/chunk.rs L82–87 and L132–140).
//
// The encoding, in postcard 1.x:
//
//	request_id      varint u64
//	body variant    varint u32, 0 for PutRequest
//	address         32 raw bytes ([u8; 32] is a tuple)
//	content         varint length, then the bytes
//	payment_proof   0x00 for None; 0x01, varint length, bytes for Some
//
// A Put refers to Content and Proof; it never copies them.
type Put struct {
	// RequestID is the sender's correlation id. ant-client draws it from a
	// per-client counter that starts at 1 (ant-core src/data/client/mod.rs
	// next_request_id), so it takes one to three varint bytes in practice.
	RequestID uint64
	// Address is the BLAKE3 hash of Content.
	Address xorname.Name
	// Content is the encrypted chunk, at most MaxContentSize bytes.
	Content []byte
	// Proof is the serialized payment proof; nil means None, and a non-nil
	// empty slice means Some(empty).
	Proof []byte
}

// Len returns the length of the encoding, in bytes.
func (p *Put) Len() int { return p.headerLen() + len(p.Content) + p.trailerLen() }

// HeaderLen returns the length in bytes of AppendHeader's output.
func (p *Put) HeaderLen() int { return p.headerLen() }

// TrailerLen returns the length in bytes of AppendTrailer's output.
func (p *Put) TrailerLen() int { return p.trailerLen() }

func (p *Put) headerLen() int {
	return uvarintLen(p.RequestID) + uvarintLen(putRequestVariant) + xorname.Size +
		uvarintLen(uint64(len(p.Content)))
}

func (p *Put) trailerLen() int {
	if p.Proof == nil {
		return 1
	}
	return 1 + strLen(len(p.Proof))
}

// Growth returns the length and capacity, in bytes, of the Vec that
// postcard::to_stdvec returns for p when content is of kind k, and the bytes
// allocated growing it. It panics if k is not a ContentKind constant.
func (p *Put) Growth(k ContentKind) buffer.Growth {
	var v vecModel
	v.varint(p.RequestID)
	v.varint(putRequestVariant)
	v.push(xorname.Size) // [u8; 32]: serialize_tuple, one serialize_u8 each
	switch k {
	case ContentVec:
		v.seq(len(p.Content))
	case ContentBytes:
		v.str(len(p.Content))
	default:
		panic(fmt.Sprintf("wire: unknown content kind %d", int(k)))
	}
	if p.Proof == nil {
		v.push(1) // serialize_none: serialize_u8(0)
	} else {
		v.push(1)           // serialize_some: serialize_u8(1)
		v.seq(len(p.Proof)) // Vec<u8>: a sequence, one push per byte
	}
	return v.growth()
}

// Append appends the postcard encoding of p to dst and returns the extended
// slice.
func (p *Put) Append(dst []byte) []byte {
	dst = p.AppendHeader(dst)
	dst = append(dst, p.Content...)
	return p.AppendTrailer(dst)
}

// AppendHeader appends the part of the encoding that comes before the
// content bytes: request id, variant, address and content length.
func (p *Put) AppendHeader(dst []byte) []byte {
	dst = binary.AppendUvarint(dst, p.RequestID)
	dst = binary.AppendUvarint(dst, putRequestVariant)
	dst = append(dst, p.Address[:]...)
	return binary.AppendUvarint(dst, uint64(len(p.Content)))
}

// AppendTrailer appends the part of the encoding that comes after the
// content bytes: the payment proof option. AppendHeader, then Content, then
// AppendTrailer give the same bytes as Append.
func (p *Put) AppendTrailer(dst []byte) []byte {
	if p.Proof == nil {
		return append(dst, 0)
	}
	dst = append(dst, 1)
	return appendStr(dst, p.Proof)
}
