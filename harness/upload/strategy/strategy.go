// Package strategy is the registry of buffer strategies: how a per-peer
// send builds its message from the chunk, the one thing the strategies
// under comparison differ in. Each entry (a Def) holds a strategy's name,
// how a chunk store prepares what its sends share, how each send builds
// its message, and what the analytic model (package model) must count for
// it. The uploaders (packages upload and externalsigner, through package
// fanout) run a strategy by asking the registry; scenarios, the command's
// help and the reports take the names and their order from it.
//
// The built-in strategies are listed in builtin.go, the one place their
// names are written. A test may register another (Register) and remove it
// when it ends.
package strategy

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/wire"
)

// Strategy is a buffer strategy: its place in the registry, in the order
// the registry lists them (the built-ins first). Its text form is its name.
type Strategy int

// Def is one buffer strategy.
type Def struct {
	// Name is how scenarios, flags, records and benchmark names spell it:
	// lowercase letters, digits and hyphens.
	Name string
	// Summary says in one line what the strategy does and which client
	// did it, for help texts.
	Summary string
	// Prepare builds, once per chunk store and before its first send, what
	// the store's sends share: it appends those buffers to m.Shared, which
	// the store releases, in order, when it ends. Nil shares nothing.
	Prepare func(h *buffer.Heap, m *Message)
	// Send builds one per-peer send's message from m. Called on the send's
	// task; the buffers it allocates come from h.
	Send func(h *buffer.Heap, m *Message) Send
	// Footprint tells the analytic model what Prepare and Send hold for a
	// store of a message like put (whose Content and Proof have the chunk's
	// and the proof's lengths; their bytes are never read). It must agree
	// with Prepare and Send byte for byte.
	Footprint func(put *wire.Put) Footprint
}

// Message is one chunk store's message, as its sends share it.
type Message struct {
	// Put is the message: its Content and Proof alias the store's chunk
	// and proof, which the store owns.
	Put wire.Put
	// Content is the chunk's buffer (a bytes::Bytes: sends may Retain it).
	Content *buffer.Buf
	// Shared is what Prepare built, released in order by Release.
	Shared []*buffer.Buf
}

// Release releases what Prepare built.
func (m *Message) Release() {
	for _, b := range m.Shared {
		b.Release()
	}
}

// Send is one per-peer send as Def.Send built it.
type Send struct {
	// Parts is what the transport writes, in order: one contiguous encoded
	// message, or a header, the chunk and a trailer, the chunk written by
	// reference (package transport takes exactly these two shapes).
	Parts [][]byte
	// Sent, if not nil, runs once the transport's send has returned,
	// whether it failed or not: the buffers that live only as long as the
	// send go then.
	Sent func()
	// Done, if not nil, runs when the send is over (answered, failed or
	// cancelled): the buffers held until the peer's answer go then.
	Done func()
}

// Held is a buffer a strategy holds: its site and size in bytes.
type Held struct {
	Site  buffer.Site
	Bytes int64
}

// Footprint is what a strategy holds for one chunk store, in the terms of
// the analytic model.
type Footprint struct {
	// Store is what Prepare builds, held from the store's start to its
	// end, in the order it is allocated.
	Store []Held
	// Send is what each send holds until its answer, in the order it is
	// allocated, before its encoded message.
	Send []Held
	// Encoded is the bytes of each send's own encoded message (site
	// Encode), held until the send returns; 0 for none.
	Encoded int64
	// ByReference says each send writes a header, the chunk and a trailer,
	// the chunk by reference: the transport then makes no copies of the
	// message, and QUIC none of the chunk.
	ByReference bool
}

// The registry. Built-ins are in defs from the start (builtin.go); Register
// appends.
var (
	mu   sync.RWMutex
	defs = builtins()
)

// Register adds d to the registry after every strategy there and returns
// its Strategy, and a function that removes it again: for tests, which
// register a strategy in their setup and remove it when they end. It
// panics (a programmer's error) if d has no name, a name already
// registered, or no Send or Footprint; remove must be called while d is
// still the last strategy registered.
func Register(d Def) (s Strategy, remove func()) {
	if d.Name == "" || strings.ContainsAny(d.Name, " ,/=:") || d.Send == nil || d.Footprint == nil {
		panic(fmt.Sprintf("strategy: Register(%q): a strategy needs a name (no spaces, commas, /, = or :), Send and Footprint", d.Name))
	}
	mu.Lock()
	defer mu.Unlock()
	if slices.ContainsFunc(defs, func(o Def) bool { return o.Name == d.Name }) {
		panic(fmt.Sprintf("strategy: Register(%q): the name is taken", d.Name))
	}
	defs = append(defs, d)
	s = Strategy(len(defs) - 1)
	return s, func() {
		mu.Lock()
		defer mu.Unlock()
		if int(s) != len(defs)-1 || defs[s].Name != d.Name {
			panic(fmt.Sprintf("strategy: removing %q, which is not the last strategy registered", d.Name))
		}
		defs = defs[:s]
	}
}

// All returns every registered strategy, in registry order.
func All() []Strategy {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]Strategy, len(defs))
	for i := range out {
		out[i] = Strategy(i)
	}
	return out
}

// Names returns the names of every registered strategy, in registry order:
// the order a scenario runs them in by default and the reports list them.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, len(defs))
	for i, d := range defs {
		out[i] = d.Name
	}
	return out
}

// Index returns the registry position of the strategy named name, and
// false for a name not registered.
func Index(name string) (int, bool) {
	mu.RLock()
	defer mu.RUnlock()
	i := slices.IndexFunc(defs, func(d Def) bool { return d.Name == name })
	return i, i >= 0
}

// Parse returns the strategy named name. An unknown name's error lists the
// registered ones.
func Parse(name string) (Strategy, error) {
	if i, ok := Index(name); ok {
		return Strategy(i), nil
	}
	return 0, fmt.Errorf("unknown strategy %q (want one of %s)", name, strings.Join(Names(), ", "))
}

// Def returns s's definition; ok is false for a Strategy not registered.
func (s Strategy) Def() (d Def, ok bool) {
	mu.RLock()
	defer mu.RUnlock()
	if s < 0 || int(s) >= len(defs) {
		return Def{}, false
	}
	return defs[s], true
}

// Valid reports whether s is registered.
func (s Strategy) Valid() bool {
	_, ok := s.Def()
	return ok
}

// String returns the strategy's name.
func (s Strategy) String() string {
	if d, ok := s.Def(); ok {
		return d.Name
	}
	return fmt.Sprintf("strategy(%d)", int(s))
}

// MarshalText writes the strategy's name.
func (s Strategy) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a strategy's name.
func (s *Strategy) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	*s = v
	return err
}

// encode runs the model of postcard::to_stdvec: a buffer at site Encode
// with the capacity the real Vec ends with.
func encode(h *buffer.Heap, p *wire.Put, k wire.ContentKind) *buffer.Buf {
	b := buffer.NewVec(h, buffer.Encode, p.Growth(k))
	b.B = p.Append(b.B)
	return b
}
