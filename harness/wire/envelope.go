package wire

import (
	"encoding/binary"
	"encoding/hex"
	"github.com/fanbench/fanbench/harness/buffer"

	"github.com/fanbench/fanbench/harness/xorname"
)

// PublicKeySize is the length of an ML-DSA-65 public key, in bytes, as
// WireMessage.public_key carries it (saorsa-core v0.24.0 src/network.rs L66;
// ML_DSA_PUB_KEY_LEN in src/identity/node_identity.rs L53).
const PublicKeySize = 1952

// SignatureSize is the length of an ML-DSA-65 signature, in bytes, as
// WireMessage.signature carries it (FIPS 204 Table 2, ML-DSA-65; saorsa-core
// v0.24.0 src/network.rs L69–71).
const SignatureSize = 3309

// MaxReceiveSize is the largest message saorsa-core accepts from a QUIC
// stream, in bytes (saorsa-core v0.24.0
// src/transport/saorsa_transport_adapter.rs L341, MAX_RECV_MESSAGE_SIZE =
// 16 MiB). DecodeEnvelope enforces it.
const MaxReceiveSize = 16 << 20

// ClientUserAgent is the user agent an ant-client node sends:
// "client/" and the saorsa-core version it was built with (saorsa-core
// src/network.rs user_agent_for_mode; ant-client ant-core/Cargo.toml pins
// saorsa-core 0.24). Only its length, 13 bytes, matters to the model.
const ClientUserAgent = "client/0.24.0"

// peerIDHexLen is the length of a PeerId on the wire: saorsa-core's PeerId
// serializes as its 64-character hex string (src/identity/peer_id.rs,
// impl Serialize for PeerId: serialize_str(&self.to_hex())).
const peerIDHexLen = 2 * xorname.Size

// Envelope is everything in saorsa-core's WireMessage except the payload
// (saorsa-core v0.24.0 src/network.rs L50–72):
//
//	protocol    String   varint length, bytes
//	data        Vec<u8>  varint length, bytes (the encoded ChunkMessage)
//	from        PeerId   varint length 64, 64 lowercase hex digits
//	timestamp   u64      varint, Unix seconds
//	user_agent  String   varint length, bytes
//	public_key  Vec<u8>  varint length, bytes
//	signature   Vec<u8>  varint length, bytes
//
// The signable bytes are the postcard encoding of the tuple (protocol,
// data, from, timestamp, user_agent): the same fields in the same order,
// without the key and signature (transport_handle.rs L1543–1556,
// compute_signable_bytes).
//
// An Envelope refers to PublicKey and Signature; it never copies them.
type Envelope struct {
	Protocol string
	// From is the sender's peer id, the BLAKE3 hash of its public key.
	From xorname.Name
	// Timestamp is the send time in Unix seconds.
	Timestamp uint64
	UserAgent string
	// PublicKey and Signature are ML-DSA-65 bytes: PublicKeySize and
	// SignatureSize long on a signed message, empty on an unsigned one.
	PublicKey []byte
	Signature []byte
}

// NewClientEnvelope returns the envelope an ant-client node puts around a
// chunk message sent at timestamp (Unix seconds) by peer from: ProtocolID,
// ClientUserAgent, and a zero key and signature of the real sizes.
func NewClientEnvelope(from xorname.Name, timestamp uint64) Envelope {
	return Envelope{
		Protocol:  ProtocolID,
		From:      from,
		Timestamp: timestamp,
		UserAgent: ClientUserAgent,
		PublicKey: make([]byte, PublicKeySize),
		Signature: make([]byte, SignatureSize),
	}
}

// Len returns the length, in bytes, of the WireMessage around a payload of
// dataLen bytes.
func (e *Envelope) Len(dataLen int) int {
	return e.signableLen(dataLen) + strLen(len(e.PublicKey)) + strLen(len(e.Signature))
}

func (e *Envelope) signableLen(dataLen int) int {
	return strLen(len(e.Protocol)) + strLen(dataLen) + strLen(peerIDHexLen) +
		uvarintLen(e.Timestamp) + strLen(len(e.UserAgent))
}

// signable adds the fields shared by both encodings to v.
func (e *Envelope) signable(v *vecModel, dataLen int) {
	v.str(len(e.Protocol))
	v.seq(dataLen) // data: Vec<u8> and &[u8] are sequences, pushed byte by byte
	v.str(peerIDHexLen)
	v.varint(e.Timestamp)
	v.str(len(e.UserAgent))
}

// WireGrowth returns the length and capacity, in bytes, of the Vec that
// postcard::to_stdvec returns for the WireMessage around a payload of
// dataLen bytes (serialize_wire_message), and the bytes allocated growing it.
func (e *Envelope) WireGrowth(dataLen int) buffer.Growth {
	var v vecModel
	e.signable(&v, dataLen)
	v.seq(len(e.PublicKey))
	v.seq(len(e.Signature))
	return v.growth()
}

// SignableGrowth returns the length and capacity, in bytes, of the Vec that
// compute_signable_bytes returns for a payload of dataLen bytes, and the
// bytes allocated growing it.
func (e *Envelope) SignableGrowth(dataLen int) buffer.Growth {
	var v vecModel
	e.signable(&v, dataLen)
	return v.growth()
}

// AppendWire appends the WireMessage carrying the concatenation of data to
// dst and returns the extended slice. Passing the payload in parts (a
// Put's header, content and trailer) avoids building it first.
func (e *Envelope) AppendWire(dst []byte, data ...[]byte) []byte {
	dst = e.WireHeader(dst, partsLen(data))
	for _, d := range data {
		dst = append(dst, d...)
	}
	return e.WireTrailer(dst)
}

// AppendSignable appends the bytes saorsa-core signs for the concatenation
// of data to dst and returns the extended slice.
func (e *Envelope) AppendSignable(dst []byte, data ...[]byte) []byte {
	dst = e.WireHeader(dst, partsLen(data))
	for _, d := range data {
		dst = append(dst, d...)
	}
	return e.appendSignableTrailer(dst)
}

// WireHeader appends the part of the WireMessage that precedes a payload of
// dataLen bytes: the protocol and the payload length. WireHeader, the
// payload, then WireTrailer give the same bytes as AppendWire, so a sender
// can stream the payload without holding the frame. The signable bytes
// begin with the same header.
func (e *Envelope) WireHeader(dst []byte, dataLen int) []byte {
	dst = appendStr(dst, e.Protocol)
	return binary.AppendUvarint(dst, uint64(dataLen))
}

// WireTrailer appends the part of the WireMessage that follows the payload:
// from, timestamp, user agent, public key and signature.
func (e *Envelope) WireTrailer(dst []byte) []byte {
	dst = e.appendSignableTrailer(dst)
	dst = appendStr(dst, e.PublicKey)
	return appendStr(dst, e.Signature)
}

func (e *Envelope) appendSignableTrailer(dst []byte) []byte {
	dst = binary.AppendUvarint(dst, peerIDHexLen)
	dst = hex.AppendEncode(dst, e.From[:])
	dst = binary.AppendUvarint(dst, e.Timestamp)
	return appendStr(dst, e.UserAgent)
}

func partsLen(parts [][]byte) int {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	return n
}

// SignableTrailer appends the part of the signable bytes that follows the
// payload. WireHeader, the payload, then SignableTrailer give the same bytes
// as AppendSignable, so a streamed sender can sign without holding them.
func (e *Envelope) SignableTrailer(dst []byte) []byte { return e.appendSignableTrailer(dst) }
