package limiter

import (
	"fmt"
	"math"
	"time"
)

// Outcome classifies one completed operation the way ant-client's
// classify_error does (ant-core/src/data/client/mod.rs L50–70 at 768e3bd).
type Outcome int

const (
	// Success is a completed operation. A close-group put that reached its
	// quorum counts as one, AlreadyExists answers included.
	Success Outcome = iota
	// Timeout is an operation that did not complete within its deadline
	// (Error::Timeout).
	Timeout
	// NetworkError is a transport or capacity failure: Network,
	// InsufficientPeers (a close-group put short of quorum), Io, Protocol
	// (remote PUT errors), Storage and PartialUpload.
	NetworkError
	// ApplicationError is a failure that would happen on a healthy link
	// (AlreadyStored, Payment, Serialization, InvalidData, …). It is
	// neutral: kept in the window but dropped from every rate.
	ApplicationError
)

// String returns the outcome's lowercase name, as used in reports.
func (o Outcome) String() string {
	switch o {
	case Success:
		return "success"
	case Timeout:
		return "timeout"
	case NetworkError:
		return "network-error"
	case ApplicationError:
		return "application-error"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Sample is one completed operation: its outcome and how long it took. For
// the store channel that is one close-group put, and Latency spans the whole
// put, upload of the body to every peer included (observe_op around
// chunk_put_to_close_group).
type Sample struct {
	Outcome Outcome
	Latency time.Duration
}

// Policy decides how many stores a wave or retry round may run at once.
//
// The uploader model calls Limit once when it builds each wave's (or retry
// round's) pipeline and never re-reads it mid-wave, as the real client's
// buffer_unordered does. Observe is called once per completed close-group
// put. Implementations must be safe for concurrent use by many goroutines.
type Policy interface {
	// Limit returns the concurrency for a pipeline of items operations:
	// max(1, min(Cap(), items)).
	Limit(items int) int
	// Cap returns the current cap, in operations, always ≥ 1.
	Cap() int
	// Observe records one completed operation.
	Observe(Sample)
	// String names the policy and its configuration for reports; it does
	// not change as the cap moves.
	String() string
}

// Compile-time checks that every policy satisfies Policy.
var (
	_ Policy      = (*AIMD)(nil)
	_ Policy      = Fixed(0)
	_ Policy      = ByteBudget{}
	_ WaveLimiter = ByteBudget{}
)

// limit is the pipeline width for a cap and a number of items:
// max(1, min(cap, items)), as the call sites' current().min(len) with the
// quote path's len.max(1) (batch.rs prepare_wave).
func limit(c, items int) int {
	return max(1, min(c, items))
}

// Fixed is a constant cap in operations (policy "fixed"): the static store
// concurrency of the clients before AIMD (8 since ant-client 0a34a0b), or any
// pinned value. A value below 1 acts as 1. It ignores observations.
type Fixed int

// Limit returns max(1, min(f, items)).
func (f Fixed) Limit(items int) int { return limit(f.Cap(), items) }

// Cap returns f, at least 1.
func (f Fixed) Cap() int { return max(1, int(f)) }

// Observe does nothing: a fixed cap does not adapt.
func (Fixed) Observe(Sample) {}

// String returns "fixed(N)".
func (f Fixed) String() string { return fmt.Sprintf("fixed(%d)", int(f)) }

// StoreInflightByteBudget is the later upstream bound on the combined body
// bytes of chunks stored at once, 64 MiB (ant-client
// ant-core/src/data/client/batch.rs STORE_INFLIGHT_BYTE_BUDGET, V2-461),
// added because "the send path re-serializes the body once per peer, so a
// wave of large (~4 MB) chunks at full store concurrency can pin multiple GB
// and OOM a small host".
const StoreInflightByteBudget = 64 << 20

// BudgetBound is the stores a byte budget allows at once when the largest
// record is largest bytes: max(1, budget / largest), or no bound
// (math.MaxInt) when largest is 0, as checked_div gives (ant-client
// client_engine.rs store_byte_bound, stored-file id 65819248909).
func BudgetBound(budget, largest int64) int {
	if largest <= 0 {
		return math.MaxInt
	}
	return int(max(1, min(budget/largest, math.MaxInt32)))
}

// WaveLimiter is a Policy whose limit depends on the largest record of the
// wave it is read for: the byte budget.
type WaveLimiter interface {
	Policy
	// LimitFor returns the concurrency for items records whose largest is
	// largest bytes.
	LimitFor(items int, largest int64) int
}

// ByteBudget caps an inner policy so that at most Budget bytes of chunk
// bodies, each counted at MaxChunk bytes, are stored at once: its cap is
// min(Inner.Cap(), max(1, Budget/MaxChunk)). With Budget =
// StoreInflightByteBudget and full 4,190,208-byte chunks the byte bound is 16
// (67,108,864 / 4,190,208 = 16.02), so an inner cap of 64 gives 16 and an
// inner cap of 8 gives 8.
//
// Upstream computes the bound per wave from the largest body in it
// (LimitFor, which the uploader calls) and applies none when that is 0
// (checked_div); Cap and Limit use MaxChunk in its place, and MaxChunk ≤ 0
// likewise means no byte bound. Observations go to Inner, so an AIMD inner keeps
// learning while the budget holds it down. ByteBudget is safe for concurrent
// use when Inner is.
type ByteBudget struct {
	// Inner is the policy being capped, for example an AIMD limiter.
	Inner Policy
	// Budget is the in-flight body budget, in bytes.
	Budget int64
	// MaxChunk is the size counted per in-flight chunk, in bytes.
	MaxChunk int64
}

// bound returns the byte bound in chunks, or 0 when there is none.
func (b ByteBudget) bound() int {
	if b.MaxChunk <= 0 {
		return 0
	}
	return int(max(1, b.Budget/b.MaxChunk))
}

// Limit returns max(1, min(Cap(), items)).
func (b ByteBudget) Limit(items int) int { return limit(b.Cap(), items) }

// LimitFor returns max(1, min(Inner.Cap(), BudgetBound(Budget, largest),
// items)).
func (b ByteBudget) LimitFor(items int, largest int64) int {
	return limit(min(b.Inner.Cap(), BudgetBound(b.Budget, largest)), items)
}

// Cap returns min(Inner.Cap(), max(1, Budget/MaxChunk)).
func (b ByteBudget) Cap() int {
	c := b.Inner.Cap()
	if n := b.bound(); n > 0 {
		c = min(c, n)
	}
	return max(1, c)
}

// Observe forwards the sample to Inner.
func (b ByteBudget) Observe(s Sample) { b.Inner.Observe(s) }

// String returns "bytebudget(BUDGETB/CHUNKB=N, inner)".
func (b ByteBudget) String() string {
	bound := "unbounded"
	if n := b.bound(); n > 0 {
		bound = fmt.Sprint(n)
	}
	return fmt.Sprintf("bytebudget(%dB/%dB=%s, %v)", b.Budget, b.MaxChunk, bound, b.Inner)
}
