// Package uploader is what an uploader under test is to the harness: the
// interface the runner drives (Uploader), what the harness hands it
// (Settings when it is built; Env for its upload phase: a network, a clock,
// a payment ledger, the client's memory and a progress callback), what it
// reports (Result), the encryption phase every uploader of ant-client
// shares (Encrypt), and the registry of uploaders by name (Register,
// Lookup).
//
// An uploader is measured the same way whatever it is, on two conditions:
// it allocates its payload-sized buffers through package buffer, from
// Env.Heap (or its figures read zero), and it runs its upload phase on
// Env.Clock, its concurrency as simtime tasks (see package simtime's
// rules). Package upload is the default, ant-client's file uploader;
// package externalsigner is its external-signer path.
package uploader

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/limiter"
	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/source"
	"github.com/fanbench/fanbench/harness/transport"
	"github.com/fanbench/fanbench/harness/upload/strategy"
	"github.com/fanbench/fanbench/harness/xorname"
)

// Uploader is an uploader as the runner drives it: the encryption phase,
// then the upload phase. It is used for one upload at a time.
type Uploader interface {
	// Encrypt runs the encryption phase of src: every chunk is spilled to
	// disk, only addresses are kept in RAM.
	Encrypt(ctx context.Context, src source.Spec) (*Encrypted, error)
	// Upload runs the upload phase: it pays for and stores every chunk of
	// enc through env. It returns an error wrapping ErrPartialUpload when
	// chunks remain unstored; the Result still says how far it got.
	Upload(ctx context.Context, enc *Encrypted, env Env) (Result, error)
}

// Env is what the harness hands an upload phase.
type Env struct {
	// Net is the network the chunks go to.
	Net Network
	// Clock is the network's virtual clock: the upload runs as its tasks.
	Clock Clock
	// Ledger is where the upload pays.
	Ledger Ledger
	// Heap is the client's memory: where its tracked buffers live and what
	// counts them; nil means Go slices counted by nobody.
	Heap *buffer.Heap
	// Progress, when set, is called after every chunk that ends stored,
	// with the stored count and the total. It must be cheap.
	Progress func(stored, total int)
}

// HeapOrGo returns e.Heap, or Go slices counted by nobody when it is nil.
func (e *Env) HeapOrGo() *buffer.Heap {
	if e.Heap == nil {
		return buffer.GoHeap(nil)
	}
	return e.Heap
}

// Network is what an uploader needs from the network: a link to send PUTs
// over, closeness lookups, quotes and merkle candidates.
type Network interface {
	transport.Link
	// Closest returns the k peers nearest to target, nearest first.
	Closest(target xorname.Name, k int) []xorname.Name
	// Quote asks peer for a signed quote to store addr (size bytes) and
	// whether it already stores it.
	Quote(ctx context.Context, peer, addr xorname.Name, size int) (q payment.PeerQuote, alreadyStored bool, err error)
	// Candidates gathers merkle candidate quotes near a pool target, signed
	// over the batch timestamp (a payment.CandidateFunc).
	Candidates(ctx context.Context, poolTarget xorname.Name, timestamp uint64, n int) ([]payment.Candidate, error)
}

// Clock is the virtual clock an upload runs on (a *simtime.Clock).
type Clock interface {
	// Now returns the virtual time since the clock started.
	Now() time.Duration
	// Run runs f as the clock's first task and returns when every task it
	// started has ended (simtime.Clock.Run).
	Run(ctx context.Context, name string, f func(ctx context.Context) error) error
}

// Ledger is the payment ledger an upload pays on.
type Ledger interface {
	// Transactions returns the number of transactions paid so far.
	Transactions() int
	// PayQuotes pays single-node quotes in one batch and returns the
	// transactions (payment.Ledger.PayQuotes).
	PayQuotes(ts []payment.Transfer) []payment.TxHash
	// PayMerkleEach pays for addrs by merkle batches, gathering candidates
	// with ask, and hands each paid chunk's proof to keep as it is made, with
	// its index in addrs (payment.PayMerkleEach).
	PayMerkleEach(ctx context.Context, addrs []xorname.Name, ask payment.CandidateFunc, keep func(i int, proof []byte)) error
}

// PaymentLedger returns l as a Ledger: merkle batches are paid on it by
// payment.PayMerkleEach.
func PaymentLedger(l *payment.Ledger) Ledger { return paymentLedger{l} }

type paymentLedger struct{ *payment.Ledger }

func (l paymentLedger) PayMerkleEach(ctx context.Context, addrs []xorname.Name, ask payment.CandidateFunc, keep func(i int, proof []byte)) error {
	return payment.PayMerkleEach(ctx, addrs, ask, l.Ledger, keep)
}

// Settings are what every uploader is built from: the choices of the case
// it runs. Each uploader may add settings of its own.
type Settings struct {
	// Strategy is the buffer strategy: how each per-peer send builds its
	// message (package strategy).
	Strategy strategy.Strategy
	// Transport turns on the transport's own copies (retry clone,
	// per-channel clone, signable and wire re-serialisation), as the real
	// saorsa-core send path makes them.
	Transport bool
	// Payment is auto (merkle from 64 chunks), single or merkle.
	Payment payment.Mode
	// Store returns the store-concurrency policy for one upload; it is
	// called once per Upload.
	Store func() limiter.Policy
	// Client is the client modelled: its transport, when it reads the
	// store cap, its timeouts and how it holds waves and proofs.
	Client client.Profile
	// Workers is the encryption phase's parallelism; 0 means GOMAXPROCS.
	Workers int
	// SpillBase is where private spill directories go; empty means
	// spill.DefaultBase(). CacheRoot, when not empty, enables the spill
	// cache there.
	SpillBase, CacheRoot string
}

// DefaultSettings returns the settings of the default client (the client
// of the seed's heaptrack capture) with the PR-era copy-per-peer strategy,
// transport copies on, Auto payments and the AIMD store limiter
// cold-started.
func DefaultSettings() Settings {
	p, err := client.Lookup(client.Default)
	if err != nil {
		panic(err) // the default is one of the profiles
	}
	return Settings{
		Strategy:  strategy.CopyPerPeer,
		Transport: true,
		Payment:   payment.Auto,
		Store:     func() limiter.Policy { return limiter.NewAIMD(limiter.DefaultStore) },
		Client:    p,
	}
}

// Validate reports the first setting that cannot work, naming its field.
func (s *Settings) Validate() error {
	switch {
	case !s.Strategy.Valid():
		return fmt.Errorf("strategy: unknown value %d", int(s.Strategy))
	case s.Payment < payment.Auto || s.Payment > payment.Single:
		return fmt.Errorf("payment: unknown value %d", int(s.Payment))
	case s.Store == nil:
		return fmt.Errorf("store: no concurrency policy")
	case s.Client.Name == "":
		return fmt.Errorf("client: no profile")
	case s.Client.Timeouts.Single <= 0 || s.Client.Timeouts.Merkle <= 0:
		return fmt.Errorf("client %s: store timeouts must be > 0", s.Client.Name)
	case s.Workers < 0:
		return fmt.Errorf("workers: must be ≥ 0 (got %d)", s.Workers)
	}
	return nil
}

// EncryptOptions returns the options of s's encryption phase.
func (s *Settings) EncryptOptions() EncryptOptions {
	return EncryptOptions{Workers: s.Workers, SpillBase: s.SpillBase, CacheRoot: s.CacheRoot}
}

// ErrPartialUpload is an upload that ended with chunks not stored
// (Error::PartialUpload).
var ErrPartialUpload = errors.New("partial upload")
