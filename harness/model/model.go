// Package model predicts the peak of live tracked bytes of an upload from
// its structure alone: which chunks are in flight at once, how many peers
// each is sent to, and the size and capacity of every buffer each send
// holds, in the order the uploader model allocates and drops them
// (shared/reference/uploader.md §8). The runner reports the prediction
// beside every measured peak; for a run with no faults the two agree
// exactly, to the byte.
//
// The prediction, per wave, in steps:
//  1. Chunks: every chunk of the wave is read at once and held (single: to
//     the wave's end; merkle: until its store ends, so all are live at the
//     wave's start).
//  2. Proofs: single holds the wave's proofs; merkle holds every chunk's
//     proof for the whole upload.
//  3. Builds: the first cap chunks of the wave start at one instant, one
//     after another, as the real client's single store stream polls them
//     (and as package simtime runs tasks): each chunk's store sets up (the
//     PaidChunk clone on the single path; the shared frame, or header and
//     trailer, of encode-once and streamed), then builds its 4 sends in
//     turn: the strategy's buffers (copy-per-peer: the copy, the proof
//     clone and a Vec-grown encode buffer; shared-buffer: the proof clone
//     and a Bytes-grown encode buffer) and, with transport copies, the
//     retry clone, the channel clone, the signable bytes (dropped after
//     signing), the wire frame, and the channel clone dropped once the
//     frame is serialised. The peak is the highest total along that
//     sequence.
//  4. Replacement: the uplink serves every send at the same pace, so the
//     chunk with the fewest bytes left ends first; its buffers go and the
//     next chunk of the wave is built in its place.
//
// The peak is the highest wave. It assumes no retries or fallbacks.
package model

import (
	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/upload"
	"github.com/fanbench/fanbench/harness/wire"
	"github.com/fanbench/fanbench/harness/xorname"
)

// Input is the structure of an upload.
type Input struct {
	Strategy  upload.Strategy
	Transport bool
	Merkle    bool
	// Waves holds the chunk sizes (bytes) of each wave, in upload order.
	Waves [][]int
	// Caps holds the store concurrency read for each wave.
	Caps []int
	// ProofSize is the bytes of one chunk's payment proof.
	ProofSize int
	// ProofSizes, when set, holds each chunk's proof size in bytes, shaped
	// like Waves, in place of ProofSize.
	ProofSizes [][]int
}

// proof returns the proof size of chunk i of wave w.
func (in *Input) proof(w, i int) int {
	if w < len(in.ProofSizes) && i < len(in.ProofSizes[w]) {
		return in.ProofSizes[w][i]
	}
	return in.ProofSize
}

// Prediction is the predicted peak, in bytes, in total and by site.
type Prediction struct {
	Peak  int64
	Sites [buffer.NumSites]int64
}

// Predict returns the predicted peak of in.
func Predict(in Input) Prediction {
	var best Prediction
	var proofs int64 // every chunk's, which merkle holds throughout
	for w, sizes := range in.Waves {
		for i := range sizes {
			proofs += int64(in.proof(w, i))
		}
	}
	for w, sizes := range in.Waves {
		k := len(sizes)
		if w < len(in.Caps) {
			k = min(in.Caps[w], len(sizes))
		}
		p := wave(in, w, k, proofs)
		if p.Peak > best.Peak {
			best = p
		}
	}
	return best
}

// step is one change of a site's live bytes.
type step struct {
	site buffer.Site
	d    int64
}

// build returns the changes a chunk of c bytes with a proof of p bytes
// makes to the live bytes, in order, from its store's start until its 4
// sends are all writing, and the bytes each send writes.
func build(in Input, c, p int) (steps []step, msg int64) {
	P := int64(p)
	put := wire.Put{RequestID: upload.ModelRequestID, Content: content(c), Proof: make([]byte, p)}
	L := int64(put.Len())
	add := func(s buffer.Site, d int64) { steps = append(steps, step{s, d}) }
	if !in.Merkle {
		add(buffer.ProofCopy, P) // the PaidChunk clone, for a possible retry
	}
	switch in.Strategy {
	case upload.EncodeOnce:
		add(buffer.Encode, int64(put.Growth(wire.ContentBytes).Cap()))
	case upload.Streamed:
		add(buffer.Encode, int64(put.HeaderLen()))
		add(buffer.Encode, int64(put.TrailerLen()))
	}
	env := wire.NewClientEnvelope(xorname.Name{}, upload.EnvelopeTimestamp)
	for range upload.CloseGroupMajority {
		switch in.Strategy {
		case upload.CopyPerPeer:
			add(buffer.PeerCopy, int64(c))
			add(buffer.ProofCopy, P)
			add(buffer.Encode, int64(put.Growth(wire.ContentVec).Cap()))
		case upload.SharedBuffer:
			add(buffer.ProofCopy, P)
			add(buffer.Encode, int64(put.Growth(wire.ContentBytes).Cap()))
		}
		if in.Transport && in.Strategy != upload.Streamed {
			S, W := int64(env.SignableGrowth(int(L)).Cap()), int64(env.WireGrowth(int(L)).Cap())
			add(buffer.RetryClone, L)
			add(buffer.ChannelClone, L)
			add(buffer.Signable, S)
			add(buffer.Signable, -S)
			add(buffer.WireFrame, W)
			add(buffer.ChannelClone, -L)
		}
	}
	return steps, L
}

// wave returns the peak of wave w with k chunks in flight; proofs is the
// size of every chunk's proof in all.
func wave(in Input, w, k int, proofs int64) Prediction {
	sizes := in.Waves[w]
	// The wave's resident part: its chunks (merkle drops each as its store
	// ends) and the proofs.
	var live Prediction
	for i, c := range sizes {
		live.Sites[buffer.SpillRead] += int64(c)
		live.Sites[buffer.Proof] += int64(in.proof(w, i))
	}
	if in.Merkle {
		live.Sites[buffer.Proof] = proofs
	}
	for _, v := range live.Sites {
		live.Peak += v
	}
	best := live
	apply := func(st step) {
		live.Sites[st.site] += st.d
		live.Peak += st.d
		if live.Peak > best.Peak {
			best = live
		}
	}

	// The in-flight set: the first k chunks, then, as the uplink serves all
	// sends at the same pace, the chunk with the fewest bytes left ends
	// first and the next chunk of the wave takes its place.
	type flying struct {
		held [buffer.NumSites]int64 // what its store holds once built
		left int64                  // bytes each of its sends has still to write
		idx  int                    // index in the wave
	}
	start := func(i int) flying {
		steps, msg := build(in, sizes[i], in.proof(w, i))
		f := flying{left: msg, idx: i}
		for _, st := range steps {
			apply(st)
			f.held[st.site] += st.d
		}
		return f
	}
	var set []flying
	for i := range k {
		set = append(set, start(i))
	}
	for next := k; next < len(sizes); next++ {
		done := 0
		for i, f := range set {
			if f.left < set[done].left {
				done = i
			}
		}
		step := set[done].left
		for i := range set {
			set[i].left -= step
		}
		for s, v := range set[done].held {
			live.Sites[s] -= v
			live.Peak -= v
		}
		if in.Merkle {
			c := int64(sizes[set[done].idx])
			live.Sites[buffer.SpillRead] -= c
			live.Peak -= c
		}
		set[done] = start(next)
	}
	return best
}

// content returns a slice of length c (at most wire.MaxChunkSize, the
// protocol's limit) whose bytes are never read or written: only its length
// matters to the sizes computed here. The backing array is never touched,
// so it costs no resident memory.
func content(c int) []byte { return zeros[:c] }

var zeros [wire.MaxChunkSize]byte
