package uploader

import (
	"time"

	"github.com/fanbench/fanbench/harness/payment"
)

// Result describes one upload phase. Counts are exact; durations are real
// time unless named Sim.
type Result struct {
	// Mode is the payment path the upload took (never Auto).
	Mode payment.Mode
	// FellBack says an Auto merkle upload fell back to single waves.
	FellBack bool
	// Chunks is the number of chunks to store; Stored how many ended stored
	// (AlreadyStored of them were skipped at quoting).
	Chunks, Stored, AlreadyStored int
	// Waves is the number of waves run; RetryRounds the extra store rounds
	// run in all.
	Waves, RetryRounds int
	// Caps holds the store concurrency read for each wave and retry round;
	// for a client that reads it per slot (client.PerSlot), each value it
	// took, in order.
	Caps []int
	// LaunchAfter holds, for a client that reads the cap per slot, how
	// many stores of its wave (or pass) had ended when each store started,
	// in the order they started: the schedule the moving cap made.
	LaunchAfter []int
	// Transactions is the number of ledger transactions paid.
	Transactions int
	// Proofs is the number of payment proofs made and ProofBytes their
	// total size.
	Proofs     int
	ProofBytes int64
	// ProofSizes holds each chunk's proof size in bytes, in upload order
	// (0 for a chunk without one: skipped as already stored, or unpaid).
	ProofSizes []int
	// Sends is every per-peer PUT started; Fallbacks those sent to a
	// fallback peer; PeerErrors and PeerTimeouts the per-peer failures.
	Sends, Fallbacks, PeerErrors, PeerTimeouts int64
	// Elapsed is the real duration, SimElapsed the simulated one.
	Elapsed, SimElapsed time.Duration
	// Held says how the upload held its chunks and proofs, in the terms
	// of the analytic model (package model); the zero Held (Wave 0) when
	// the model does not cover the way it ran.
	Held Held
}

// Held is how an upload held its chunks and proofs while it stored them.
type Held struct {
	// Wave is the most chunks one wave stores: every store of a wave ends
	// before the next wave starts (the whole upload for one pass); 0 for
	// an upload the model does not cover.
	Wave int
	// PerRecord says each chunk is read from the spill when its store
	// starts and dropped when it ends; otherwise a wave's chunks are read
	// when the wave starts.
	PerRecord bool
	// UntilStoreEnds says a chunk read at its wave's start is dropped when
	// its store ends, not at the wave's end (merkle waves do so whatever
	// this says).
	UntilStoreEnds bool
	// KeepProofs says every single-node proof is kept for the whole upload,
	// not dropped when its chunk's store ends (merkle proofs always are).
	KeepProofs bool
}

// ProofMade counts the payment proof, of size bytes, of the i-th of total
// chunks in upload order.
func (r *Result) ProofMade(i, total, size int) {
	if r.ProofSizes == nil {
		r.ProofSizes = make([]int, total)
	}
	r.ProofSizes[i] = size
	r.Proofs++
	r.ProofBytes += int64(size)
}

// NoteCap records a cap read, when it differs from the last one recorded
// (a client that reads the cap per slot).
func (r *Result) NoteCap(k int) {
	if c := r.Caps; len(c) == 0 || c[len(c)-1] != k {
		r.Caps = append(r.Caps, k)
	}
}
