package model

import (
	"testing"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/upload/strategy"
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
		strategy strategy.Strategy
		merkle   bool
		want     map[buffer.Site]int64
	}{
		{"copy-per-peer single", strategy.CopyPerPeer, false, map[buffer.Site]int64{
			buffer.SpillRead: 2000,        // the wave's two chunks
			buffer.Proof:     200,         // the wave's two proofs
			buffer.ProofCopy: 100 + 4*100, // one PaidChunk clone + 4 per-peer clones
			buffer.PeerCopy:  4 * 1000,    // 4 to_vec copies
			buffer.Encode:    4 * 2048,    // 4 Vec-grown encode buffers
		}},
		{"shared-buffer single", strategy.SharedBuffer, false, map[buffer.Site]int64{
			buffer.SpillRead: 2000, buffer.Proof: 200, buffer.ProofCopy: 500,
			buffer.Encode: 4 * 2080, // 4 Bytes-grown encode buffers
		}},
		{"encode-once merkle", strategy.EncodeOnce, true, map[buffer.Site]int64{
			buffer.SpillRead: 2000,
			buffer.Proof:     200, // every proof, for the whole upload
			buffer.ProofCopy: 100, // the in-flight chunk's proof clone
			buffer.Encode:    2080,
		}},
		{"streamed merkle", strategy.Streamed, true, map[buffer.Site]int64{
			buffer.SpillRead: 2000,
			buffer.Proof:     200,
			buffer.ProofCopy: 100,
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
// (varint 2, pushed: →11264, len 6515): cap W = 11264, frame F = 6515
// bytes. Each send adds the retry clone and the channel clone (L each),
// the signable bytes (S, then dropped), the wire frame (W), drops the
// channel clone, then QUIC copies the frame (F; four of them fit the
// 5 MiB window). Before the sends: the chunk (1000), its proof (100), the
// PaidChunk clone (100) and the frame (2080): 3280.
//   - A client that waits for the acknowledgement keeps each send's retry
//     clone, frame and QUIC copy, L + W + F = 18,921: the peak is at the
//     last send's QUIC copy, 3280 + 4 × 18,921 = 78,964.
//   - One that returns once QUIC has the frame keeps only the QUIC copy,
//     6515: the peak is there too, 3280 + 3 × 6515 + 18,921 = 41,746,
//     before the last send's retry clone and frame go.
func TestPredictTransport(t *testing.T) {
	in := Input{Strategy: strategy.Streamed, Waves: [][]int{{1000}}, Caps: []int{1}, ProofSize: 100, Transport: true}
	if p := Predict(in); p.Sites[buffer.RetryClone] != 0 || p.Sites[buffer.WireFrame] != 0 {
		t.Fatalf("streamed sends hold no transport copies, got %v", p.Sites)
	}
	in.Strategy = strategy.EncodeOnce
	for _, tc := range []struct {
		ack  client.AckWait
		peak int64
		want map[buffer.Site]int64
	}{
		{client.AckWaitUnbounded, 78964, map[buffer.Site]int64{
			buffer.SpillRead: 1000, buffer.Proof: 100, buffer.ProofCopy: 100, buffer.Encode: 2080,
			buffer.RetryClone: 4 * 1142, buffer.WireFrame: 4 * 11264, buffer.QuicSend: 4 * 6515,
		}},
		{client.NoAckWait, 41746, map[buffer.Site]int64{
			buffer.SpillRead: 1000, buffer.Proof: 100, buffer.ProofCopy: 100, buffer.Encode: 2080,
			buffer.RetryClone: 1142, buffer.WireFrame: 11264, buffer.QuicSend: 4 * 6515,
		}},
	} {
		in.Client.Transport = client.Transport{AckWait: tc.ack, SendWindow: 5 << 20}
		p := Predict(in)
		for s := range buffer.NumSites {
			if p.Sites[s] != tc.want[s] {
				t.Errorf("%v: %v = %d, want %d", tc.ack, s, p.Sites[s], tc.want[s])
			}
		}
		if p.Peak != tc.peak {
			t.Errorf("%v: peak = %d, want %d", tc.ack, p.Peak, tc.peak)
		}
	}
}

// TestPredictSharedConnection checks the window when two chunks' sends go
// to the same four peers: 100,000-byte chunks, proofs of 100 bytes, the
// single path, shared-buffer, a client that waits for acknowledgements and
// a 150,000-byte window. Each message is 5 + 1 + 32 + 3 + 100,000 + 102 =
// 100,143 bytes (a 3-byte length varint), a frame F = 105,517 (the envelope
// around it, wire.Envelope.Len: 22 + 3 + 100,143 + 65 + 5 + 14 + 1,954 +
// 3,311). Chunk 1's four sends each take a connection's F; chunk 2's send
// to the same peer finds 150,000 − 105,517 = 44,483 bytes of room and
// blocks there. The peak comes as the last send's wire frame is made,
// before its channel clone goes (100,143 bytes) and QUIC takes 44,483:
// QUIC then holds 4 × 105,517 + 3 × 44,483 = 555,517 bytes. On separate
// connections every frame goes in whole, and a send's QUIC copy (105,517)
// outweighs the channel clone it follows: QUIC holds 8 × 105,517 at the
// peak.
func TestPredictSharedConnection(t *testing.T) {
	in := Input{Strategy: strategy.SharedBuffer, Waves: [][]int{{100_000, 100_000}}, Caps: []int{2}, ProofSize: 100, Transport: true,
		Peers:  [][][]int{{{1, 2, 3, 4}, {1, 2, 3, 4}}},
		Client: client.Profile{Transport: client.Transport{AckWait: client.AckWaitUnbounded, SendWindow: 150_000}},
	}
	p := Predict(in)
	if p.Sites[buffer.QuicSend] != 555_517 {
		t.Errorf("QUIC holds %d, want 555517", p.Sites[buffer.QuicSend])
	}
	// No window (0), as package transport reads it: every frame is taken
	// whole on its first write, shared connection or not.
	noWindow := in
	noWindow.Client.Transport.SendWindow = 0
	if p := Predict(noWindow); p.Sites[buffer.QuicSend] != 8*105_517 {
		t.Errorf("QUIC holds %d with no window, want %d", p.Sites[buffer.QuicSend], 8*105_517)
	}
	in.Peers = nil // every send its own connection
	if p := Predict(in); p.Sites[buffer.QuicSend] != 8*105_517 {
		t.Errorf("QUIC holds %d on separate connections, want %d", p.Sites[buffer.QuicSend], 8*105_517)
	}
}

// TestPeakIsHighestWave checks that a later, larger wave sets the peak.
func TestPeakIsHighestWave(t *testing.T) {
	in := Input{Strategy: strategy.Streamed, Waves: [][]int{{10}, {10, 1000}}, Caps: []int{1, 2}, ProofSize: 1}
	if p := Predict(in); p.Sites[buffer.SpillRead] != 1010 {
		t.Fatalf("chunk share = %d, want the second wave's 1010", p.Sites[buffer.SpillRead])
	}
}

// TestReplacement checks that a short chunk among the first cap is replaced
// by the next one when it ends: the uplink serves every send at the same
// pace, so it ends first, and the set with the next full chunk is higher.
func TestReplacement(t *testing.T) {
	in := Input{Strategy: strategy.CopyPerPeer, Waves: [][]int{{1000, 10, 1000}}, Caps: []int{2}, ProofSize: 1}
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

// TestLaunchAfter checks that a wave's schedule from a moving cap replaces
// its cap: three 1000-byte chunks at cap 1 hold one chunk's four copies at
// most; started as a cap that rose to 2 at once started them (stores 0 and
// 1 after no end, store 2 after one), two chunks' copies are in flight.
func TestLaunchAfter(t *testing.T) {
	in := Input{Strategy: strategy.CopyPerPeer, Waves: [][]int{{1000, 1000, 1000}}, Caps: []int{1}, ProofSize: 1}
	if got := Predict(in).Sites[buffer.PeerCopy]; got != 4000 {
		t.Fatalf("copies at cap 1 = %d, want 4000", got)
	}
	in.LaunchAfter = [][]int{{0, 0, 1}}
	if got := Predict(in).Sites[buffer.PeerCopy]; got != 8000 {
		t.Fatalf("copies with two started at once = %d, want 8000", got)
	}
}
