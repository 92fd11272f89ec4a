package replay

import (
	"fmt"
	"io"

	"github.com/fanbench/fanbench/harness/trace"
	"github.com/fanbench/fanbench/harness/upload/strategy"
)

// Sends describes a synthetic trace of concurrent per-peer chunk sends,
// the case of the check that heaptrack works here: Chunks chunks
// read at once, each sent to Peers peers; every send makes a to_vec copy
// of its chunk (when Copy is set) and encodes a message the way postcard's
// to_stdvec does, from an empty Vec grown by pushes. All sends are in
// flight together, then every send ends, then the chunks are dropped.
type Sends struct {
	Chunks, Peers int
	// ChunkSize is each chunk's length in bytes.
	ChunkSize int64
	// Header is the encoded message's bytes before the content (request
	// id, enum tags, address, length varint: 41 for a ChunkPutRequest of
	// 4 MB) and Proof the payment proof's bytes after it, all pushed into
	// the one Vec.
	Header, Proof int64
	// Copy makes the per-peer to_vec copy (ant-client before PR #82).
	Copy bool
	// Waves repeats the whole pattern, one wave after another (0 means 1),
	// so that later waves meet the allocator as the earlier ones left it.
	Waves int
}

// DefaultSends is 5 full chunks to 4 peers each, 20 concurrent sends, as
// in the PR #82 capture's single wave at a store cap of 8: chunk size
// self_encryption's MAX_CHUNK_SIZE, 4,190,208 bytes (harness/selfenc), and
// a single-node payment proof of about 55 KB (shared/reference/uploader.md
// §8), which takes the encoded message past 4 MiB, so its Vec ends at
// 8 MiB.
var DefaultSends = Sends{Chunks: 5, Peers: 4, ChunkSize: 4_190_208, Header: 41, Proof: 55_000, Copy: true}

// minNonZeroCap is RawVec's smallest capacity for one-byte elements (Rust
// library/alloc/src/raw_vec.rs, min_non_zero_cap).
const minNonZeroCap = 8

// EncodeCap returns the capacity postcard's to_stdvec leaves for s's
// message: the Vec doubles from 8 (RawVec::grow_amortized) until the
// message fits.
func (s Sends) EncodeCap() int64 {
	c := int64(minNonZeroCap)
	for c < s.Header+s.ChunkSize+s.Proof {
		c *= 2
	}
	return c
}

// PeakLive returns the trace's peak of live bytes: every chunk, and every
// send's copy and encode buffer, at once.
func (s Sends) PeakLive() int64 {
	per := s.EncodeCap()
	if s.Copy {
		per += s.ChunkSize
	}
	return int64(s.Chunks) * (s.ChunkSize + int64(s.Peers)*per)
}

// Write writes s's trace to w. Task 0 reads the chunks; send k (from 0) is
// task k+1 (counting on across waves). Events are 1 µs apart in simulated
// time.
func (s Sends) Write(w io.Writer) error {
	if s.Chunks < 1 || s.Peers < 1 || s.ChunkSize < 1 || s.Header < 0 || s.Proof < 0 {
		return fmt.Errorf("replay: synthetic sends need chunks, peers and a chunk size ≥ 1, got %+v", s)
	}
	const (
		chunk = iota
		copySite
		encode
	)
	tw := trace.NewWriter(w, trace.Header{
		Scenario: fmt.Sprintf("synthetic-%dx%d", s.Chunks, s.Peers),
		Strategy: map[bool]string{true: strategy.CopyPerPeer.String(), false: strategy.SharedBuffer.String()}[s.Copy],
		Limiter:  fmt.Sprintf("fixed:%d", s.Chunks),
		Sites:    []string{"chunk", "copy", "encode"},
	})
	var t int64
	next := uint64(1)
	ev := func(e trace.Event) {
		t += 1000
		e.T = t
		tw.Write(e) // the first error sticks and Close returns it
	}
	task := uint64(0)
	for range max(s.Waves, 1) {
		chunks := make([]uint64, s.Chunks)
		for c := range chunks {
			chunks[c] = next
			next++
			ev(trace.Event{Kind: trace.Alloc, ID: chunks[c], Task: 0, Site: chunk, Cap: s.ChunkSize, Touched: s.ChunkSize})
		}
		type send struct{ copy, enc uint64 }
		var sends []send
		msg := s.Header + s.ChunkSize + s.Proof
		for range s.Chunks {
			for range s.Peers {
				task++
				var sd send
				if s.Copy {
					sd.copy = next
					next++
					ev(trace.Event{Kind: trace.Alloc, ID: sd.copy, Task: task, Site: copySite, Cap: s.ChunkSize, Touched: s.ChunkSize})
				}
				sd.enc = next
				next++
				ev(trace.Event{Kind: trace.Alloc, ID: sd.enc, Task: task, Site: encode})
				// Each push that finds the Vec full grows it to twice its
				// capacity (at least 8) with the bytes pushed so far touched.
				var c int64
				for c < msg {
					touched := c
					c = max(2*c, minNonZeroCap)
					ev(trace.Event{Kind: trace.Grow, ID: sd.enc, Cap: c, Touched: touched})
				}
				ev(trace.Event{Kind: trace.Touch, ID: sd.enc, Touched: msg})
				sends = append(sends, sd)
			}
		}
		for _, sd := range sends {
			ev(trace.Event{Kind: trace.Free, ID: sd.enc})
			if s.Copy {
				ev(trace.Event{Kind: trace.Free, ID: sd.copy})
			}
		}
		for _, id := range chunks {
			ev(trace.Event{Kind: trace.Free, ID: id})
		}
	}
	return tw.Close()
}
