// Package model predicts the peak of live tracked bytes of an upload from
// its structure alone: which chunks are in flight at once, which peers
// each is sent to, and the size and capacity of every buffer each send
// holds, in the order the uploader model allocates and drops them
// (shared/reference/uploader.md §8, since-april.md §1-2), for the client
// profile that runs. The runner reports the prediction beside every
// measured peak; for a run with no faults the two agree.
//
// The prediction, per wave, in steps:
//  1. Chunks: every chunk of the wave is read at once and held (single: to
//     the wave's end; merkle: until its store ends, so all are live at the
//     wave's start); a client that loads per record (client.Waves) holds
//     only the chunks in flight.
//  2. Proofs: single holds the wave's proofs, each until its chunk's store
//     ends; merkle every chunk's, for the whole upload; a client that keeps
//     proofs holds every proof paid so far.
//  3. Builds: the first cap chunks of the wave start at one instant, one
//     after another, as the real client's single store stream polls them
//     (and as package simtime runs tasks): each chunk's store sets up (the
//     PaidChunk clones, the merkle proof clone, the shared frame or header
//     and trailer of encode-once and streamed), then builds its 4 sends in
//     turn: the strategy's buffers (copy-per-peer: the copy, the proof
//     clone and a Vec-grown encode buffer; shared-buffer: the proof clone
//     and a Bytes-grown encode buffer) and, with transport copies, the
//     retry clone, the channel clone, the signable bytes (dropped after
//     signing), the wire frame, the channel clone dropped once the frame is
//     serialised; then the frame goes into its peer connection's QUIC send
//     buffer, as much as the connection's 5 MiB window has room for (a
//     large send first waits for the peer's one permit, where the client
//     has one). A send that QUIC took whole returns at once where the
//     client does not wait for the acknowledgement, and the retry clone,
//     the frame and the encoded message go; otherwise they stay. The peak
//     is the highest total along that sequence.
//  4. Replacement: the uplink serves every send at the same pace, so the
//     chunk with the fewest bytes left ends first; everything its store
//     holds goes, its QUIC copies included, and the next chunk of the wave
//     is built in its place. (Sends still blocked at the window or the
//     permit are not moved on: the model holds them where they were.)
//
// The peak is the highest wave. It assumes no retries or fallbacks.
package model

import (
	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/upload"
	"github.com/fanbench/fanbench/harness/wire"
	"github.com/fanbench/fanbench/harness/xorname"
)

// Input is the structure of an upload.
type Input struct {
	Strategy  upload.Strategy
	Transport bool
	Merkle    bool
	// Client is the client profile that runs (its transport, how it holds
	// waves and proofs). In the zero Profile, sends return once QUIC has
	// taken them, with no window.
	Client client.Profile
	// Waves holds the chunk sizes (bytes) of each wave, in upload order.
	Waves [][]int
	// Caps holds the store concurrency read for each wave.
	Caps []int
	// ProofSize is the bytes of one chunk's payment proof.
	ProofSize int
	// ProofSizes, when set, holds each chunk's proof size in bytes, shaped
	// like Waves, in place of ProofSize.
	ProofSizes [][]int
	// Peers, when set, holds the peers each chunk's first sends go to (any
	// numbers that tell peers apart), shaped like Waves: sends to one peer
	// share its QUIC connection. Without it every send has its own.
	Peers [][][]int
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
	return -1 - ((w*upload.WaveSize+i)*upload.CloseGroupMajority + j) // a peer of its own
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
	var before int64 // the proofs of the waves before, kept by some clients
	for w, sizes := range in.Waves {
		k := len(sizes)
		if w < len(in.Caps) {
			k = min(in.Caps[w], len(sizes))
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

// sim is the live bytes of one wave as its stores are built and end.
type sim struct {
	in         *Input
	live, best Prediction
	conns      map[int]*conn
}

// conn is one peer connection's QUIC state: bytes admitted and not yet
// acknowledged, and whether a large send holds the peer's permit.
type conn struct {
	unacked int64
	permit  bool
}

func (s *sim) add(site buffer.Site, d int64, held *[buffer.NumSites]int64) {
	s.live.Sites[site] += d
	s.live.Peak += d
	if held != nil {
		held[site] += d
	}
	if s.live.Peak > s.best.Peak {
		s.best = s.live
	}
}

// flying is a chunk whose store is built: what it holds, and the bytes
// each of its sends has still to write.
type flying struct {
	held  [buffer.NumSites]int64
	left  int64
	idx   int
	sends []send
}

// send is one send's hold on a connection.
type send struct {
	peer     int
	admitted int64
	permit   bool
}

// build builds chunk i of wave w (c bytes, a p-byte proof) as its store
// does, from its start until each of its sends has returned or blocked.
func (s *sim) build(w, i, c, p int) flying {
	in := s.in
	f := flying{idx: i}
	h := &f.held
	P := int64(p)
	if in.Client.Waves.LoadPerRecord {
		s.add(buffer.SpillRead, int64(c), h) // loaded when its store starts
	}
	switch {
	case in.Merkle:
		s.add(buffer.ProofCopy, P, h) // proofs.get(&addr).cloned()
	case in.Client.Waves.LoadPerRecord:
		s.add(buffer.ProofCopy, P, h) // the PaidChunk (reuse_prepared)
		s.add(buffer.ProofCopy, P, h) // and its clone for a retry round
	default:
		s.add(buffer.ProofCopy, P, h) // the PaidChunk clone, for a retry
	}
	put := wire.Put{RequestID: upload.ModelRequestID, Content: content(c), Proof: make([]byte, p)}
	L := int64(put.Len())
	f.left = L
	switch in.Strategy {
	case upload.EncodeOnce:
		s.add(buffer.Encode, int64(put.Growth(wire.ContentBytes).Cap()), h)
	case upload.Streamed:
		s.add(buffer.Encode, int64(put.HeaderLen()), h)
		s.add(buffer.Encode, int64(put.TrailerLen()), h)
	}
	env := wire.NewClientEnvelope(xorname.Name{}, upload.EnvelopeTimestamp)
	t := in.Client.Transport
	for j := range upload.CloseGroupMajority {
		var enc int64 // the send's own encoded message, if any
		switch in.Strategy {
		case upload.CopyPerPeer:
			s.add(buffer.PeerCopy, int64(c), h)
			s.add(buffer.ProofCopy, P, h)
			enc = int64(put.Growth(wire.ContentVec).Cap())
		case upload.SharedBuffer:
			s.add(buffer.ProofCopy, P, h)
			enc = int64(put.Growth(wire.ContentBytes).Cap())
		}
		s.add(buffer.Encode, enc, h)
		if !in.Transport {
			continue // sent bare, held until delivered
		}
		var frame, retry, F, head, shared int64
		if in.Strategy == upload.Streamed {
			// The envelope's header and trailer and the message's around
			// the chunk, which QUIC takes by reference.
			F = int64(env.Len(int(L)))
			head = int64(len(env.WireHeader(nil, int(L))) + put.HeaderLen())
			shared = int64(c)
		} else {
			S, W := int64(env.SignableGrowth(int(L)).Cap()), int64(env.WireGrowth(int(L)).Cap())
			retry, frame = L, W
			s.add(buffer.RetryClone, L, h)
			s.add(buffer.ChannelClone, L, h)
			s.add(buffer.Signable, S, h)
			s.add(buffer.Signable, -S, h)
			s.add(buffer.WireFrame, W, h)
			s.add(buffer.ChannelClone, -L, h)
			F = int64(env.Len(int(L)))
		}
		peer := in.peer(w, i, j)
		cn := s.conns[peer]
		if cn == nil {
			cn = &conn{}
			s.conns[peer] = cn
		}
		sd := send{peer: peer}
		window := t.SendWindow
		if window <= 0 {
			window = F // no window: QUIC takes every frame whole
		}
		large := t.Permit && F >= int64(t.PermitMin)
		if large && cn.permit {
			f.sends = append(f.sends, sd) // waits for the permit, holding all
			continue
		}
		a := max(0, min(F, window-cn.unacked))
		cn.unacked += a
		sd.admitted = a
		// QUIC copies the admitted bytes but the shared chunk's, which
		// come in the frame after the streamed header.
		q := a
		if shared > 0 {
			q = min(a, head) + max(0, a-head-shared)
		}
		s.add(buffer.QuicSend, q, h)
		if a < F {
			sd.permit = large
			cn.permit = cn.permit || large
			f.sends = append(f.sends, sd) // blocked at the window, holding all
			continue
		}
		f.sends = append(f.sends, sd)
		if t.AckWait == client.NoAckWait {
			s.add(buffer.WireFrame, -frame, h)
			s.add(buffer.RetryClone, -retry, h)
			s.add(buffer.Encode, -enc, h)
		}
	}
	return f
}

// end drops everything f's store holds and gives its connections their
// credit back.
func (s *sim) end(f flying) {
	for site, v := range f.held {
		s.add(buffer.Site(site), -v, nil)
	}
	for _, sd := range f.sends {
		if cn := s.conns[sd.peer]; cn != nil {
			cn.unacked -= sd.admitted
			if sd.permit {
				cn.permit = false
			}
		}
	}
}

// wave returns the peak of wave w with k chunks in flight; proofs is the
// size of every chunk's proof in all, before the size of the proofs of the
// waves before w.
func wave(in Input, w, k int, proofs, before int64) Prediction {
	sizes := in.Waves[w]
	s := &sim{in: &in, conns: map[int]*conn{}}
	// The wave's resident part: its chunks (merkle drops each as its store
	// ends) and the proofs.
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

	// The in-flight set: the first k chunks, then, as the uplink serves all
	// sends at the same pace, the chunk with the fewest bytes left ends
	// first and the next chunk of the wave takes its place.
	var set []flying
	for i := range k {
		set = append(set, s.build(w, i, sizes[i], in.proof(w, i)))
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
		s.end(set[done])
		if in.Merkle && !perRecord {
			s.add(buffer.SpillRead, -int64(sizes[set[done].idx]), nil)
		}
		if !in.Merkle && !in.Client.Waves.KeepProofs {
			// The proof moved into the chunk's store and goes with it.
			s.add(buffer.Proof, -int64(in.proof(w, set[done].idx)), nil)
		}
		set[done] = s.build(w, next, sizes[next], in.proof(w, next))
	}
	return s.best
}

// content returns a slice of length c (at most wire.MaxChunkSize, the
// protocol's limit) whose bytes are never read or written: only its length
// matters to the sizes computed here. The backing array is never touched,
// so it costs no resident memory.
func content(c int) []byte { return zeros[:c] }

var zeros [wire.MaxChunkSize]byte
