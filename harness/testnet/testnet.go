package testnet

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/netsim"
	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/simtime"
	"github.com/fanbench/fanbench/harness/transport"
	"github.com/fanbench/fanbench/harness/wire"
	"github.com/fanbench/fanbench/harness/xorname"
	"github.com/zeebo/blake3"
)

// Faults are the shares of requests that go wrong, each in [0, 1]. Which
// requests they hit is a deterministic function of the seed, the peer, the
// chunk and the request id.
type Faults struct {
	// Dead is the share of peers that cannot be reached at all.
	Dead float64
	// Fail is the share of PUTs a live peer refuses with a remote error.
	Fail float64
	// Timeout is the share of PUTs a live peer never answers.
	Timeout float64
	// AlreadyExists is the share of (peer, chunk) pairs where the peer
	// already holds the chunk before the upload starts.
	AlreadyExists float64
}

// Validate reports the first share out of range, naming it.
func (f Faults) Validate() error {
	for _, c := range []struct {
		name string
		v    float64
	}{{"dead", f.Dead}, {"fail", f.Fail}, {"timeout", f.Timeout}, {"already_exists", f.AlreadyExists}} {
		if !(c.v >= 0 && c.v <= 1) {
			return fmt.Errorf("testnet: faults.%s: must be in [0, 1] (got %v)", c.name, c.v)
		}
	}
	return nil
}

// Config sets up a testnet.
type Config struct {
	Net    netsim.Config
	Faults Faults
	// Retain makes peers keep the content of stored chunks so Get can read
	// them back; the bytes are counted at buffer.PeerStore.
	Retain bool
	// Meter counts the PeerStore bytes when Retain is set. They are Go
	// slices: the peers' memory is not the client's.
	Meter buffer.Meter `json:"-"`
	// FixedTime, when not zero, is the Unix time every peer reads instead of
	// the simulated clock, so quotes (and so proofs) are byte-identical
	// from run to run.
	FixedTime int64
	// Price is the base quote price in the ledger's smallest unit; each
	// peer quotes between Price and 2×Price.
	Price uint64
}

// DefaultConfig returns netsim's defaults, no faults and a base price.
func DefaultConfig() Config {
	return Config{Net: netsim.DefaultConfig, Price: 1000}
}

// Testnet is the simulated network. It is safe for concurrent use.
type Testnet struct {
	cfg    Config
	net    *netsim.Network
	ledger *payment.Ledger
	nodes  map[xorname.Name]*node
	epoch  int64 // Unix seconds at simulated time zero

	puts, rejected atomic.Int64
	hashed         atomic.Int64 // content bytes peers hashed
}

// node is one simulated ant-node.
type node struct {
	id       *payment.Identity
	dead     bool
	verifier *payment.Verifier

	mu     sync.Mutex
	stored map[xorname.Name]*buffer.Buf // nil values unless Retain
}

// Epoch is the Unix time the simulated clock starts at (2026-04-28), used
// for quote timestamps.
const Epoch = 1777334400

// New builds a testnet of cfg.Net.Peers peers with identities derived from
// cfg.Net.Seed.
func New(cfg Config) (*Testnet, error) {
	if err := cfg.Net.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.Faults.Validate(); err != nil {
		return nil, err
	}
	if cfg.Meter == nil {
		cfg.Meter = buffer.Nop{}
	}
	t := &Testnet{cfg: cfg, nodes: make(map[xorname.Name]*node, cfg.Net.Peers), epoch: Epoch}
	t.ledger = payment.NewLedger(t.now)
	ids := make([]xorname.Name, cfg.Net.Peers)
	for i := range ids {
		var seed [32]byte
		binary.LittleEndian.PutUint64(seed[:8], cfg.Net.Seed)
		binary.LittleEndian.PutUint64(seed[8:16], uint64(i))
		id := payment.NewIdentity(seed)
		ids[i] = id.ID
		t.nodes[id.ID] = &node{
			id:       id,
			dead:     t.chance(cfg.Faults.Dead, saltDead, id.ID, xorname.Name{}, 0),
			verifier: payment.NewVerifier(t.ledger, id.Rewards, payment.DefaultVerifierOptions),
			stored:   make(map[xorname.Name]*buffer.Buf),
		}
	}
	n, err := netsim.New(cfg.Net, ids)
	if err != nil {
		return nil, err
	}
	t.net = n
	return t, nil
}

// Network returns the underlying physics.
func (t *Testnet) Network() *netsim.Network { return t.net }

// Clock returns the virtual clock the testnet runs on.
func (t *Testnet) Clock() *simtime.Clock { return t.net.Clock() }

// Ledger returns the simulated chain.
func (t *Testnet) Ledger() *payment.Ledger { return t.ledger }

// Closest returns the k peers nearest to target, nearest first.
func (t *Testnet) Closest(target xorname.Name, k int) []xorname.Name { return t.net.Closest(target, k) }

// now returns the simulated wall-clock time: the epoch plus the simulated
// time elapsed, or FixedTime.
func (t *Testnet) now() time.Time {
	if t.cfg.FixedTime != 0 {
		return time.Unix(t.cfg.FixedTime, 0)
	}
	if t.net == nil {
		return time.Unix(t.epoch, 0)
	}
	return time.Unix(t.epoch, 0).Add(t.net.Clock().Now())
}

const (
	saltDead uint64 = iota + 1
	saltFail
	saltTimeout
	saltExists
	saltPrice
)

// chance decides a fault deterministically: a hash of the seed, a salt and
// the request's identity, read as a number in [0, 1), below p.
func (t *Testnet) chance(p float64, salt uint64, peer, addr xorname.Name, req uint64) bool {
	if p <= 0 {
		return false
	}
	return unit(t.cfg.Net.Seed, salt, peer, addr, req) < p
}

func unit(seed, salt uint64, peer, addr xorname.Name, req uint64) float64 {
	var b [8 + 8 + 32 + 32 + 8]byte
	binary.LittleEndian.PutUint64(b[0:], seed)
	binary.LittleEndian.PutUint64(b[8:], salt)
	copy(b[16:], peer[:])
	copy(b[48:], addr[:])
	binary.LittleEndian.PutUint64(b[80:], req)
	h := blake3.Sum256(b[:])
	return float64(binary.LittleEndian.Uint64(h[:8])>>11) / (1 << 53)
}

func (t *Testnet) node(id xorname.Name) (*node, error) {
	n, ok := t.nodes[id]
	if !ok {
		return nil, fmt.Errorf("%w: no peer %s", transport.ErrDial, id.Short())
	}
	return n, nil
}

// holds reports whether peer n has addr, stored or pre-existing.
func (t *Testnet) holds(n *node, addr xorname.Name) bool {
	n.mu.Lock()
	_, ok := n.stored[addr]
	n.mu.Unlock()
	return ok || t.chance(t.cfg.Faults.AlreadyExists, saltExists, n.id.ID, addr, 0)
}

// roundTrip sleeps a request's way there and back on the simulated clock.
func (t *Testnet) roundTrip(ctx context.Context, peer xorname.Name) error {
	if err := t.net.Delay(ctx, peer); err != nil {
		return err
	}
	return t.net.Delay(ctx, peer)
}

// Quote returns peer's signed quote for storing addr and whether it already
// stores it (ChunkQuoteRequest).
func (t *Testnet) Quote(ctx context.Context, peer, addr xorname.Name, size int) (payment.PeerQuote, bool, error) {
	n, err := t.node(peer)
	if err != nil {
		return payment.PeerQuote{}, false, err
	}
	if err := t.roundTrip(ctx, peer); err != nil {
		return payment.PeerQuote{}, false, err
	}
	if n.dead {
		return payment.PeerQuote{}, false, fmt.Errorf("quote from %s: %w", peer.Short(), transport.ErrDial)
	}
	q := n.id.Quote(addr, t.price(peer, addr), t.now())
	return payment.PeerQuote{Peer: peer, Quote: q}, t.holds(n, addr), nil
}

// price is peer's deterministic price for addr, in [Price, 2×Price).
func (t *Testnet) price(peer, addr xorname.Name) uint64 {
	return t.cfg.Price + uint64(unit(t.cfg.Net.Seed, saltPrice, peer, addr, 0)*float64(t.cfg.Price))
}

// Candidates asks the n peers closest to poolTarget for merkle candidate
// quotes signed over timestamp, concurrently (a task each), and returns
// those that answered, nearest first. It is a payment.CandidateFunc.
func (t *Testnet) Candidates(ctx context.Context, poolTarget xorname.Name, timestamp uint64, n int) ([]payment.Candidate, error) {
	peers := t.net.Closest(poolTarget, n)
	out := make([]payment.Candidate, len(peers))
	ok := make([]bool, len(peers))
	var g simtime.Group
	for i, p := range peers {
		g.Go(ctx, "candidate request", func(ctx context.Context) {
			nd := t.nodes[p]
			if t.roundTrip(ctx, p) != nil || nd.dead {
				return
			}
			out[i], ok[i] = nd.id.Candidate(t.price(p, poolTarget), timestamp), true
		})
	}
	g.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	kept := out[:0]
	for i, q := range out {
		if ok[i] {
			kept = append(kept, q)
		}
	}
	return kept, nil
}

// Errors a peer answers a PUT with; each wraps transport.ErrRemote.
var (
	ErrAddressMismatch = fmt.Errorf("%w: address mismatch", transport.ErrRemote)
	ErrTooLarge        = fmt.Errorf("%w: chunk too large", transport.ErrRemote)
	ErrPayment         = fmt.Errorf("%w: payment required", transport.ErrRemote)
	ErrInjected        = fmt.Errorf("%w: injected failure", transport.ErrRemote)
	ErrMalformed       = fmt.Errorf("%w: malformed message", transport.ErrRemote)
)

// verdict is a peer's answer, decided when the last byte arrives.
type verdict struct {
	status transport.Status
	err    error
	silent bool // never answers
}

// reply is the pending answer to one PUT.
type reply struct {
	t    *Testnet
	peer xorname.Name
	v    verdict
}

// Wait returns the answer, which the transport has already waited a round
// trip for; a silent peer blocks until ctx ends.
func (r *reply) Wait(ctx context.Context) (transport.Status, error) {
	if r.v.silent {
		return 0, simtime.Wait(ctx)
	}
	return r.v.status, r.v.err
}

// Latency returns the one-way latency to peer.
func (t *Testnet) Latency(peer xorname.Name) time.Duration { return t.net.Latency(peer) }

// Transmit sends a PUT frame to peer through the shared uplink. Once the
// last byte has crossed, the peer decodes and checks the message, and its
// verdict is ready when Transmit returns.
func (t *Testnet) Transmit(ctx context.Context, peer xorname.Name, enveloped bool, parts [][]byte) (transport.Reply, error) {
	n, err := t.node(peer)
	if err != nil {
		return nil, err
	}
	if n.dead {
		if err := t.net.Delay(ctx, peer); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("put to %s: %w", peer.Short(), transport.ErrDial)
	}
	t.puts.Add(1)
	if err := t.net.Transfer(ctx, peer, parts, func([]byte) error { return nil }); err != nil {
		return nil, err
	}
	v := t.receive(n, parts, enveloped)
	if v.err != nil {
		t.rejected.Add(1)
	}
	return &reply{t: t, peer: peer, v: v}, nil
}

// receive is the node's PUT handler, reading the message from its parts.
func (t *Testnet) receive(n *node, parts [][]byte, enveloped bool) verdict {
	br := partsReader{parts: parts}

	h := blake3.New()
	var keep *buffer.Buf
	var sink io.Writer = h
	var hdr wire.PutHeader
	decode := func(r io.Reader) error {
		var err error
		hdr, err = wire.DecodePut(r, writerFunc(func(p []byte) (int, error) {
			if t.cfg.Retain {
				if keep == nil {
					keep = buffer.New(buffer.GoHeap(t.cfg.Meter), buffer.PeerStore, wire.MaxContentSize, 0)
				}
				keep.B = append(keep.B, p...)
			}
			return sink.Write(p)
		}))
		return err
	}
	var err error
	if enveloped {
		_, err = wire.DecodeEnvelope(&br, func(r io.Reader, _ int) error { return decode(r) })
	} else {
		err = decode(&br)
	}
	if err != nil {
		keep.Release()
		return verdict{err: fmt.Errorf("%w: %v", ErrMalformed, err)}
	}
	t.hashed.Add(int64(hdr.ContentLen))
	addr := hdr.Address
	switch {
	case t.chance(t.cfg.Faults.Timeout, saltTimeout, n.id.ID, addr, hdr.RequestID):
		keep.Release()
		return verdict{silent: true}
	case t.chance(t.cfg.Faults.Fail, saltFail, n.id.ID, addr, hdr.RequestID):
		keep.Release()
		return verdict{err: ErrInjected}
	case hdr.ContentLen > wire.MaxContentSize:
		keep.Release()
		return verdict{err: ErrTooLarge}
	case xorname.Name(h.Sum(nil)) != addr:
		keep.Release()
		return verdict{err: ErrAddressMismatch}
	case t.holds(n, addr):
		keep.Release()
		return verdict{status: transport.AlreadyExists}
	}
	err = n.verifier.Verify(hdr.Proof, addr, t.now())
	if err != nil {
		keep.Release()
		return verdict{err: fmt.Errorf("%w: %v", ErrPayment, err)}
	}
	n.mu.Lock()
	if _, dup := n.stored[addr]; dup {
		n.mu.Unlock()
		keep.Release()
		return verdict{status: transport.AlreadyExists}
	}
	n.stored[addr] = keep
	n.mu.Unlock()
	return verdict{status: transport.Stored}
}

// partsReader reads the concatenation of parts, leaving parts as they
// are.
type partsReader struct {
	parts [][]byte
	i     int // the part being read
	off   int // the next byte's offset in it
}

func (r *partsReader) Read(p []byte) (int, error) {
	for r.i < len(r.parts) && r.off == len(r.parts[r.i]) {
		r.i, r.off = r.i+1, 0
	}
	if r.i == len(r.parts) {
		return 0, io.EOF
	}
	n := copy(p, r.parts[r.i][r.off:])
	r.off += n
	return n, nil
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// Get returns the content of addr from any peer that kept it (Retain).
func (t *Testnet) Get(addr xorname.Name) ([]byte, error) {
	for _, p := range t.net.Closest(addr, len(t.nodes)) {
		n := t.nodes[p]
		n.mu.Lock()
		b := n.stored[addr]
		n.mu.Unlock()
		if b != nil {
			return b.B, nil
		}
	}
	return nil, fmt.Errorf("get %s: not found (is Retain set?)", addr.Short())
}

// Holders returns how many peers store addr (pre-existing copies excluded).
func (t *Testnet) Holders(addr xorname.Name) int {
	c := 0
	for _, n := range t.nodes {
		n.mu.Lock()
		_, ok := n.stored[addr]
		n.mu.Unlock()
		if ok {
			c++
		}
	}
	return c
}

// Hashed returns the content bytes the peers have hashed (BLAKE3, to check
// each PUT's address), in all.
func (t *Testnet) Hashed() int64 { return t.hashed.Load() }

// Stats returns the PUTs received and how many a peer refused.
func (t *Testnet) Stats() (puts, rejected int64) { return t.puts.Load(), t.rejected.Load() }

// Close releases the content peers kept.
func (t *Testnet) Close() {
	for _, n := range t.nodes {
		n.mu.Lock()
		for a, b := range n.stored {
			b.Release()
			n.stored[a] = nil
		}
		n.mu.Unlock()
	}
}
