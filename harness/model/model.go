// Package model is the analytic model: the predictor of the peak of live
// tracked bytes of an upload from its structure: which chunks there are,
// which peers each is sent to, the store cap, the client profile and the
// network's uplink and latencies. It shares with the uploader (package
// upload) only the wire sizes, the strategies' registry entries (each
// strategy's footprint) and the constants of the real client; it rebuilds, from the buffer rules of
// shared/reference/uploader.md §8 and since-april.md §1-2, the size and
// lifetime of every buffer each store and send holds, and follows them in
// a small discrete-event simulation of its own. The runner reports the
// prediction beside every measured peak; for a run with no faults the two
// agree to within the ordering of events that fall on the same
// nanosecond.
//
// The prediction, per wave (waves are independent: every store of a wave
// ends, and every byte it sent is acknowledged, before the next starts):
//
//  1. Resident: the wave's chunks, read at once (single: held to the
//     wave's end unless DropChunks; merkle: each until its store ends)
//     unless the client
//     loads each chunk when its store starts (client.Waves); the proofs
//     (single: the wave's, each until its chunk's store ends; merkle:
//     every chunk's, for the whole upload; a client that keeps proofs:
//     every proof paid so far).
//  2. Stores: the first cap chunks start at once, one after another, as
//     the client's store stream polls them; a new one starts each time one
//     ends (the cap is the wave's; for a client that reads it per slot,
//     each store starts after as many others ended as in the run). A store sets up (the PaidChunk clones,
//     the merkle proof clone, the shared frame or header and trailer of
//     encode-once and streamed), then builds its 4 sends in turn, each as
//     far as it goes before it must wait: the strategy's buffers
//     (copy-per-peer: the copy, the proof clone and a Vec-grown encode
//     buffer; shared-buffer: the proof clone and a Bytes-grown encode
//     buffer) and, with transport copies, the retry clone, the channel
//     clone, the signable bytes (dropped after signing), the wire frame
//     and the channel clone dropped once the frame is serialised; then a
//     large send takes its peer's one permit where the client has one, and
//     QUIC copies the frame into the peer connection's send buffer as far
//     as the connection's window has room, waiting for credit for the
//     rest (waiters are served in turn).
//  3. The wire: a frame QUIC holds whole goes out on the uplink, which
//     serves every frame on it at the same rate (processor sharing, as
//     package netsim); its acknowledgement, and the peer's answer, come
//     one round trip after its last byte. Then QUIC frees its copy and
//     gives the credit back. A send returns once QUIC holds its frame
//     where the client does not wait for the acknowledgement (its retry
//     clone, frame, encoded message and permit go then), else at the
//     acknowledgement; its copy and proof clone go with the answer. A
//     store ends with its fourth answer, and everything it holds goes.
//
// Without transport copies a send puts its message on the wire at once
// and holds its buffers until the answer. The peak is the highest total
// along the way, over all waves. It assumes no faults, retries or
// fallbacks.
package model

import (
	"time"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/fanout"
	"github.com/fanbench/fanbench/harness/upload"
	"github.com/fanbench/fanbench/harness/upload/strategy"
)

// Input is the structure of an upload.
type Input struct {
	// Strategy is the buffer strategy; the model asks its registry entry
	// what it holds (strategy.Def.Footprint).
	Strategy  strategy.Strategy
	Transport bool
	Merkle    bool
	// DropChunks drops each chunk read at its wave's start when its store
	// ends, as merkle waves do, on the single-node path too (the
	// external-signer's wave batch, whose paid chunks own their bodies).
	DropChunks bool
	// Client is the client profile that runs (its transport, how it holds
	// waves and proofs). In the zero Profile, sends return once QUIC has
	// taken them, with no window.
	Client client.Profile
	// Waves holds the chunk sizes (bytes) of each wave, in upload order.
	Waves [][]int
	// Caps holds the store concurrency read for each wave.
	Caps []int
	// LaunchAfter, when set for a wave, holds for each of its stores how
	// many of the wave's stores had ended when it started, for a client
	// that reads the cap every time a slot frees (the cap moves; this is
	// the schedule it made). It replaces Caps[w].
	LaunchAfter [][]int
	// ProofSize is the bytes of one chunk's payment proof.
	ProofSize int
	// ProofSizes, when set, holds each chunk's proof size in bytes, shaped
	// like Waves, in place of ProofSize.
	ProofSizes [][]int
	// Peers, when set, holds the peers each chunk's first sends go to (any
	// numbers from 0 that tell peers apart), shaped like Waves: sends to
	// one peer share its QUIC connection. Without it every send has its
	// own.
	Peers [][][]int
	// Latency, when set, holds the one-way latency of each peer numbered in
	// Peers, indexed by its number; a peer without one has none.
	Latency []time.Duration
	// UplinkBitsPerSec is the client's uplink; 0 means 8 Gbit/s (a byte a
	// nanosecond). Only its ratio to the latencies shapes the prediction.
	UplinkBitsPerSec float64
}

// proof returns the proof size of chunk i of wave w.
func (in *Input) proof(w, i int) int {
	if w < len(in.ProofSizes) && i < len(in.ProofSizes[w]) {
		return in.ProofSizes[w][i]
	}
	return in.ProofSize
}

// peer returns the peer of send j of chunk i of wave w.
func (in *Input) peer(w, i, j int) int {
	if w < len(in.Peers) && i < len(in.Peers[w]) && j < len(in.Peers[w][i]) {
		return in.Peers[w][i][j]
	}
	return -1 - ((w*upload.WaveSize+i)*fanout.CloseGroupMajority + j) // a peer of its own
}

// latency returns peer's one-way latency.
func (in *Input) latency(peer int) time.Duration {
	if peer >= 0 && peer < len(in.Latency) {
		return in.Latency[peer]
	}
	return 0
}

// Prediction is the predicted peak, in bytes, in total and by site.
type Prediction struct {
	Peak  int64
	Sites [buffer.NumSites]int64
}

// Predict returns the predicted peak of in; zero for a strategy that is
// not registered.
func Predict(in Input) Prediction {
	if !in.Strategy.Valid() {
		return Prediction{}
	}
	var best Prediction
	var proofs int64 // every chunk's, which merkle holds throughout
	for w, sizes := range in.Waves {
		for i := range sizes {
			proofs += int64(in.proof(w, i))
		}
	}
	var before int64 // the proofs of the waves before, kept by some clients
	for w, sizes := range in.Waves {
		k := len(sizes)
		if w < len(in.Caps) {
			k = min(max(in.Caps[w], 1), len(sizes))
		}
		p := wave(in, w, k, proofs, before)
		if p.Peak > best.Peak {
			best = p
		}
		for i := range sizes {
			before += int64(in.proof(w, i))
		}
	}
	return best
}

// wave returns the peak of wave w with at most k stores at once; proofs is
// the size of every chunk's proof in all, before the size of the proofs of
// the waves before w.
func wave(in Input, w, k int, proofs, before int64) Prediction {
	s := newSim(&in, w)
	sizes := in.Waves[w]
	perRecord := in.Client.Waves.LoadPerRecord
	for i, c := range sizes {
		if !perRecord {
			s.add(buffer.SpillRead, int64(c), nil)
		}
		s.add(buffer.Proof, int64(in.proof(w, i)), nil)
	}
	switch {
	case in.Merkle:
		s.add(buffer.Proof, proofs-s.live.Sites[buffer.Proof], nil)
	case in.Client.Waves.KeepProofs:
		s.add(buffer.Proof, before, nil)
	}
	// may reports whether store i may start now.
	next, running, ended := 0, 0, 0
	may := func(i int) bool { return running < k }
	if w < len(in.LaunchAfter) && len(in.LaunchAfter[w]) == len(sizes) {
		may = func(i int) bool { return ended >= in.LaunchAfter[w][i] }
	}
	var launch func()
	launch = func() {
		for next < len(sizes) && may(next) {
			running++
			next++
			s.start(next-1, func() {
				running--
				ended++
				s.soon(launch) // the slot frees; the launcher runs next
			})
		}
	}
	launch()
	s.run()
	return s.best
}
