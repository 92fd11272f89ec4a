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
