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
	// The Vec-grown encode buffer of one send: request id (1 B) and variant
	// (1 B) extend an empty Vec to cap 8; the 32 address bytes are pushed
	// (8→16→32→64, len 34); the content's length varint (2 B, len 36) and
	// its 1000 pushed bytes (64→…→1024→2048, len 1036); the proof's tag,
	// length and 100 bytes (len 1138) fit: cap 2048. A Bytes content is one
	// extend of 1000 at len 36: cap max(2×64, 1036) = 1036, then the proof
	// tag doubles it: 2072.
	base := Input{Waves: [][]int{{1000, 1000}}, Caps: []int{1}, ProofSize: 100, Builders: 1}
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
			buffer.Encode: 4 * 2072, // 4 Bytes-grown encode buffers
		}},
		{"encode-once merkle", upload.EncodeOnce, true, map[buffer.Site]int64{
			buffer.SpillRead: 2000,
			buffer.Proof:     200, // every proof, for the whole upload
			buffer.Encode:    2072,
		}},
		{"streamed merkle", upload.Streamed, true, map[buffer.Site]int64{
			buffer.SpillRead: 2000,
			buffer.Proof:     200,
			// header: id 1 + variant 1 + address 32 + length 2 = 36;
			// trailer: tag 1 + length 1 + proof 100 = 102.
			buffer.Encode: 36 + 102,
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

// TestPredictTransport checks the transport's share: each send's retry
// clone (the message's length) and wire frame, and one channel clone per
// builder.
func TestPredictTransport(t *testing.T) {
	in := Input{Strategy: upload.Streamed, Waves: [][]int{{1000}}, Caps: []int{1}, ProofSize: 100, Transport: true, Builders: 2}
	if p := Predict(in); p.Sites[buffer.RetryClone] != 0 || p.Sites[buffer.WireFrame] != 0 {
		t.Fatalf("streamed sends hold no transport copies, got %v", p.Sites)
	}
	in.Strategy = upload.EncodeOnce
	p := Predict(in)
	const L = 36 + 1000 + 102 // the encoded message
	if p.Sites[buffer.RetryClone] != 4*L {
		t.Errorf("retry clones = %d, want %d", p.Sites[buffer.RetryClone], 4*L)
	}
	if p.Sites[buffer.ChannelClone] < 2*L || p.Sites[buffer.WireFrame] == 0 {
		t.Errorf("channel clones = %d (want ≥ 2 × %d), wire = %d", p.Sites[buffer.ChannelClone], L, p.Sites[buffer.WireFrame])
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
