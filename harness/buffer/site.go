package buffer

import "fmt"

// Site names the place in the uploader where a tracked buffer is allocated.
// Sites follow the per-peer buffer table of shared/reference/uploader.md §8.
type Site uint8

const (
	// Deferred holds the plaintext of chunks 0 and 1, which self-encryption
	// keeps until the end because their keys need the last chunks' hashes.
	Deferred Site = iota
	// Encrypt is a worker's compress/encrypt output during the encryption
	// phase, before the chunk is written to the spill.
	Encrypt
	// SpillRead is a chunk read back from the spill for a wave: an
	// exact-size Vec turned into bytes::Bytes (ant-client file.rs read_wave).
	SpillRead
	// PeerCopy is content.to_vec(), the deep copy made once per peer before
	// ant-client PR #82 (chunk.rs chunk_put_with_proof, snapshot L192).
	PeerCopy
	// Encode is the buffer postcard::to_stdvec grows while encoding one
	// ChunkMessage (ant-protocol src/chunk.rs L95-97).
	Encode
	// Proof is a chunk's serialized payment proof held by the upload
	// (single: one per chunk for a wave; merkle: one per chunk for the
	// whole upload).
	Proof
	// ProofCopy is proof.clone() made for every peer of the fan-out and for
	// the PaidChunk kept for retries (ant-client chunk.rs, batch.rs).
	ProofCopy
	// RetryClone is saorsa-core's retry_data clone of the payload
	// (network.rs L1548).
	RetryClone
	// ChannelClone is saorsa-core's per-channel-attempt clone
	// (transport_handle.rs L1609).
	ChannelClone
	// Signable is the postcard re-serialisation signed with ML-DSA-65
	// (compute_signable_bytes, L2030).
	Signable
	// WireFrame is the serialised WireMessage written to the QUIC stream.
	WireFrame
	// QuicSend is the QUIC send buffer: the copy quinn makes of every write
	// (Bytes::from(data.to_owned()), saorsa-transport's vendored quinn
	// streams/send.rs L225), held in segments until the peer has
	// acknowledged them (send_buffer.rs L49-86).
	QuicSend
	// PeerStore is payload held by simulated peers when they are asked to
	// keep content for a download test. It is never part of the client's
	// figures.
	PeerStore

	// NumSites is the number of sites; it is not a site.
	NumSites
)

var siteNames = [NumSites]string{
	Deferred:     "deferred",
	Encrypt:      "encrypt",
	SpillRead:    "chunk",
	PeerCopy:     "copy",
	Encode:       "encode",
	Proof:        "proof",
	ProofCopy:    "proof-copy",
	RetryClone:   "retry-clone",
	ChannelClone: "channel-clone",
	Signable:     "signable",
	WireFrame:    "wire",
	QuicSend:     "quic-send",
	PeerStore:    "peer-store",
}

// String returns the site's short lowercase name, as used in reports.
func (s Site) String() string {
	if s < NumSites {
		return siteNames[s]
	}
	return fmt.Sprintf("site(%d)", uint8(s))
}

// Client reports whether the site is memory of the uploader itself, as
// opposed to memory the simulation keeps on the peers' side.
func (s Site) Client() bool { return s != PeerStore }

// ParseSite returns the site whose String is name.
func ParseSite(name string) (Site, error) {
	for s, n := range siteNames {
		if n == name {
			return Site(s), nil
		}
	}
	return 0, fmt.Errorf("unknown buffer site %q", name)
}
