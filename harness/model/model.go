// Package model predicts the peak of live tracked bytes of an upload from
// its structure alone: which chunks are in flight at once, how many peers
// each is sent to, and the size and capacity of every buffer each send
// holds, as the uploader model allocates them (shared/reference/uploader.md
// §8). The runner reports the prediction beside every measured peak; for a
// run with no faults the two should agree within 1 %.
//
// The prediction, per wave, in steps:
//  1. Chunks: every chunk of the wave is read at once and held (single: to
//     the wave's end; merkle: until its store ends, so all are live at the
//     wave's start).
//  2. Proofs: single holds the wave's proofs and one PaidChunk clone per
//     in-flight chunk; merkle holds every chunk's proof for the whole upload.
//  3. In flight: the first cap chunks of the wave, each sent to 4 peers at
//     once; every send holds its strategy's buffers until its bytes are
//     written (copy-per-peer: the copy, the proof clone and a Vec-grown
//     encode buffer; shared-buffer: the proof clone and a Bytes-grown
//     encode buffer; encode-once: one frame per chunk; streamed: one header
//     and trailer per chunk) and, with transport copies, the retry clone and
//     the wire frame.
//  4. The last send to be built adds its transient channel clone (and its
//     signable bytes, where they outgrow the wire frame): the uploader
//     model runs the transport's part of the builds one send at a time
//     (Builders = 1).
//
// The peak is the highest wave. It assumes every send of the in-flight
// chunks overlaps, which the simulated clock ensures (it stands still while
// the model builds buffers), and no retries or fallbacks.
package model

import (
	"slices"

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
	// Builders is how many sends can be mid-build at once: 1 in the
	// uploader model; 0 means 1. With more, the prediction is the highest
	// peak they allow.
	Builders int
}

// Prediction is the predicted peak, in bytes, in total and by site.
type Prediction struct {
	Peak  int64
	Sites [buffer.NumSites]int64
}

// Predict returns the predicted peak of in.
func Predict(in Input) Prediction {
	var best Prediction
	chunks := 0
	for _, w := range in.Waves {
		chunks += len(w)
	}
	for i, w := range in.Waves {
		k := len(w)
		if i < len(in.Caps) {
			k = min(in.Caps[i], len(w))
		}
		p := wave(in, w, k, chunks)
		if p.Peak > best.Peak {
			best = p
		}
	}
	return best
}

func wave(in Input, sizes []int, k, chunks int) Prediction {
	P := int64(in.ProofSize)
	env := wire.NewClientEnvelope(xorname.Name{}, upload.EnvelopeTimestamp)
	proof := make([]byte, in.ProofSize)

	// What one chunk holds while its 4 sends are in flight, the bytes each
	// send writes, and what building its last send adds for a moment.
	type chunk struct {
		sites      [buffer.NumSites]int64
		msg, extra int64
	}
	cost := func(c int) chunk {
		var ch chunk
		put := wire.Put{RequestID: 1, Content: content(c), Proof: proof}
		L := int64(put.Len())
		ch.msg = L
		if !in.Merkle {
			ch.sites[buffer.ProofCopy] += P // the PaidChunk clone
		}
		switch in.Strategy {
		case upload.CopyPerPeer:
			ch.sites[buffer.PeerCopy] += upload.CloseGroupMajority * int64(c)
			ch.sites[buffer.ProofCopy] += upload.CloseGroupMajority * P
			ch.sites[buffer.Encode] += upload.CloseGroupMajority * int64(put.Growth(wire.ContentVec).Cap)
		case upload.SharedBuffer:
			ch.sites[buffer.ProofCopy] += upload.CloseGroupMajority * P
			ch.sites[buffer.Encode] += upload.CloseGroupMajority * int64(put.Growth(wire.ContentBytes).Cap)
		case upload.EncodeOnce:
			ch.sites[buffer.Encode] += int64(put.Growth(wire.ContentBytes).Cap)
		case upload.Streamed:
			ch.sites[buffer.Encode] += int64(put.HeaderLen() + put.TrailerLen())
		}
		if in.Transport && in.Strategy != upload.Streamed {
			W := int64(env.WireGrowth(int(L)).Cap)
			ch.sites[buffer.RetryClone] += upload.CloseGroupMajority * L
			ch.sites[buffer.WireFrame] += upload.CloseGroupMajority * W
			// A build holds the channel clone and, before the wire frame,
			// the signable bytes: what it adds beyond the steady state.
			ch.extra = L + max(0, int64(env.SignableGrowth(int(L)).Cap)-W)
		}
		return ch
	}

	// The wave's resident part: its chunks (merkle drops each as its store
	// ends) and the proofs.
	var resident [buffer.NumSites]int64
	for _, c := range sizes {
		resident[buffer.SpillRead] += int64(c)
	}
	if in.Merkle {
		resident[buffer.Proof] = int64(chunks) * P
	} else {
		resident[buffer.Proof] = int64(len(sizes)) * P
	}

	// The in-flight set: the first k chunks, then, as the uplink serves all
	// sends at the same pace, the chunk with the fewest bytes left ends
	// first and the next chunk of the wave takes its place.
	type flying struct {
		ch   chunk
		left int64 // bytes each of its sends has still to write
		idx  int   // index in the wave
	}
	var set []flying
	var sum [buffer.NumSites]int64
	for i, c := range sizes[:k] {
		ch := cost(c)
		set = append(set, flying{ch, ch.msg, i})
		for s, v := range ch.sites {
			sum[s] += v
		}
	}
	var best Prediction
	consider := func(extras []int64) {
		var p Prediction
		p.Sites = resident
		for s, v := range sum {
			p.Sites[s] += v
		}
		slices.Sort(extras)
		for i := 0; i < max(in.Builders, 1) && i < len(extras); i++ {
			p.Sites[buffer.ChannelClone] += extras[len(extras)-1-i]
		}
		for _, v := range p.Sites {
			p.Peak += v
		}
		if p.Peak > best.Peak {
			best = p
		}
	}
	// At the start any of the first k can be the last built.
	var extras []int64
	for _, f := range set {
		for range upload.CloseGroupMajority {
			extras = append(extras, f.ch.extra)
		}
	}
	consider(extras)
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
		for s, v := range set[done].ch.sites {
			sum[s] -= v
		}
		if in.Merkle {
			resident[buffer.SpillRead] -= int64(sizes[set[done].idx])
		}
		ch := cost(sizes[next])
		set[done] = flying{ch, ch.msg, next}
		for s, v := range ch.sites {
			sum[s] += v
		}
		consider([]int64{ch.extra})
	}
	return best
}

// content returns a slice of length c (at most wire.MaxChunkSize, the
// protocol's limit) whose bytes are never read or written: only its length
// matters to the sizes computed here. The backing array is never touched,
// so it costs no resident memory.
func content(c int) []byte { return zeros[:c] }

var zeros [wire.MaxChunkSize]byte
