package model

import (
	"testing"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/upload"
)

// TestPredictByHand checks the prediction for tiny uploads against sums
// worked out by hand from the growth rule and the buffer lifetimes.
func TestPredictByHand(t *testing.T) {
	// Two 1000-byte chunks, 100-byte proofs, cap 1, no transport copies.
	// The Vec-grown encode buffer of one send: the request id (a 5-byte
	// varint: upload.ModelRequestID) and variant (1 B) extend an empty Vec
	// to cap 8; the 32 address bytes are pushed (8→16→32→64, len 38); the
	// content's length varint (2 B, len 40) and its 1000 pushed bytes
	// (64→…→1024→2048, len 1040); the proof's tag, length and 100 bytes
	// (len 1142) fit: cap 2048. A Bytes content is one extend of 1000 at
	// len 40: cap max(2×64, 1040) = 1040, then the proof tag doubles it:
	// 2080.
	base := Input{Waves: [][]int{{1000, 1000}}, Caps: []int{1}, ProofSize: 100}
	cases := []struct {
		name     string
		strategy upload.Strategy
		merkle   bool
		want     map[buffer.Site]int64
	}{
		{"copy-per-peer single", upload.CopyPerPeer, false, map[buffer.Site]int64{
			buffer.SpillRead: 2000,        // the wave's two chunks
			buffer.Proof:     200,         // the wave's two proofs
			buffer.ProofCopy: 100 + 4*100, // one PaidChunk clone + 4 per-peer clones
			buffer.PeerCopy:  4 * 1000,    // 4 to_vec copies
			buffer.Encode:    4 * 2048,    // 4 Vec-grown encode buffers
		}},
		{"shared-buffer single", upload.SharedBuffer, false, map[buffer.Site]int64{
			buffer.SpillRead: 2000, buffer.Proof: 200, buffer.ProofCopy: 500,
			buffer.Encode: 4 * 2080, // 4 Bytes-grown encode buffers
		}},
		{"encode-once merkle", upload.EncodeOnce, true, map[buffer.Site]int64{
			buffer.SpillRead: 2000,
			buffer.Proof:     200, // every proof, for the whole upload
			buffer.Encode:    2080,
		}},
		{"streamed merkle", upload.Streamed, true, map[buffer.Site]int64{
			buffer.SpillRead: 2000,
			buffer.Proof:     200,
			// header: id 5 + variant 1 + address 32 + length 2 = 40;
			// trailer: tag 1 + length 1 + proof 100 = 102.
			buffer.Encode: 40 + 102,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := base
			in.Strategy, in.Merkle = tc.strategy, tc.merkle
			p := Predict(in)
			var total int64
			for s := range buffer.NumSites {
				if p.Sites[s] != tc.want[s] {
					t.Errorf("%v = %d, want %d", s, p.Sites[s], tc.want[s])
				}
				total += tc.want[s]
			}
			if p.Peak != total {
				t.Errorf("peak = %d, want %d", p.Peak, total)
			}
		})
	}
}

// TestPredictTransport checks the transport's share against the build
// sequence worked out by hand: one 1000-byte chunk, a 100-byte proof, the
// single path, encode-once (its 2080-byte frame: see TestPredictByHand).
// The message is L = 40 + 1000 + 102 = 1142 bytes. The signable Vec: the
// 21-byte protocol string (varint 1 + 21, cap 22), the data's varint (2 B,
// cap 44) and 1142 pushed bytes (44→88→…→1408, len 1166), the peer id
// (1 + 64), the timestamp (5 B varint) and the user agent (1 + 13): len
// 1250, cap S = 1408. The wire Vec goes on with the 1952-byte key (varint
// 2, pushed: 1408→2816→5632, len 3204) and the 3309-byte signature
// (varint 2, pushed: →11264, len 6515): cap W = 11264. Each send adds the
// retry clone and the channel clone (L each), the signable bytes (S, then
// dropped), the wire frame (W), then drops the channel clone: the highest
// point of a send's build is after the wire frame, L + L + W above where
// it started, and it leaves L + W behind. Before the sends: the chunk
// (1000), its proof (100), the PaidChunk clone (100) and the frame (2080):
// 3280. The peak, at the last send's wire frame: 3280 + 3 × (1142 + 11264)
// + 1142 + 1142 + 11264 = 54046.
func TestPredictTransport(t *testing.T) {
	in := Input{Strategy: upload.Streamed, Waves: [][]int{{1000}}, Caps: []int{1}, ProofSize: 100, Transport: true}
	if p := Predict(in); p.Sites[buffer.RetryClone] != 0 || p.Sites[buffer.WireFrame] != 0 {
		t.Fatalf("streamed sends hold no transport copies, got %v", p.Sites)
	}
	in.Strategy = upload.EncodeOnce
	p := Predict(in)
	want := map[buffer.Site]int64{
		buffer.SpillRead: 1000, buffer.Proof: 100, buffer.ProofCopy: 100, buffer.Encode: 2080,
		buffer.RetryClone: 4 * 1142, buffer.ChannelClone: 1142, buffer.WireFrame: 4 * 11264,
	}
	for s := range buffer.NumSites {
		if p.Sites[s] != want[s] {
			t.Errorf("%v = %d, want %d", s, p.Sites[s], want[s])
		}
	}
	if p.Peak != 54046 {
		t.Errorf("peak = %d, want 54046", p.Peak)
	}
}

// TestPeakIsHighestWave checks that a later, larger wave sets the peak.
func TestPeakIsHighestWave(t *testing.T) {
	in := Input{Strategy: upload.Streamed, Waves: [][]int{{10}, {10, 1000}}, Caps: []int{1, 2}, ProofSize: 1}
	if p := Predict(in); p.Sites[buffer.SpillRead] != 1010 {
		t.Fatalf("chunk share = %d, want the second wave's 1010", p.Sites[buffer.SpillRead])
	}
}

// TestReplacement checks that a short chunk among the first cap is replaced
// by the next one when it ends: the uplink serves every send at the same
// pace, so it ends first, and the set with the next full chunk is higher.
func TestReplacement(t *testing.T) {
	in := Input{Strategy: upload.CopyPerPeer, Waves: [][]int{{1000, 10, 1000}}, Caps: []int{2}, ProofSize: 1}
	p := Predict(in)
	// In flight at the peak: the two 1000-byte chunks, 4 copies each.
	if got := p.Sites[buffer.PeerCopy]; got != 8000 {
		t.Fatalf("copies at the peak = %d, want 8000 (both full chunks in flight)", got)
	}
	in.Merkle = true
	p = Predict(in)
	// Merkle drops the short chunk's buffer when its store ends.
	if got := p.Sites[buffer.SpillRead]; got != 2000 {
		t.Fatalf("merkle chunk share = %d, want 2000", got)
	}
}
