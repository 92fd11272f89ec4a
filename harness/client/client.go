// Package client holds the client profiles: named presets of everything in
// the uploader model that is not the buffer strategy (the transport's
// behaviour, when the store cap is read, the timeouts, how waves and proofs
// are held, the client's memory besides its buffers), each pinned to the
// upstream ant-client commit it follows. Any buffer strategy runs on any
// client.
//
// The sources are upstream repositories, read for fanbench and summed up
// in ../shared/reference/since-april.md and the notes cited below: ant-client
// (AC), saorsa-transport (ST), saorsa-core (SC), ant-protocol (AP), ant-node
// (AN). Where a file is only in the stored index of public code, it is cited
// by its stored-file id.
package client

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// AckWait is when a send returns relative to the peer's acknowledgement of
// its bytes.
type AckWait int

const (
	// NoAckWait: a send returns once QUIC has taken every byte (ST 0.34.1,
	// 0b58a662 dropped the post-finish stopped() wait); the encoded message,
	// the retry clone and the wire frame go then, and the response timeout
	// starts while the bytes are still crossing.
	NoAckWait AckWait = iota
	// BoundedAckWait: a send waits for the acknowledgement of its last byte,
	// at most AckTimeout(frame) after its last write (ST 0.33.0,
	// p2p_endpoint.rs L2476-2509, nat_timeouts.rs L135), inside saorsa-core's
	// 25 s connection timeout (SC 0.24.0 transport_handle.rs L1230).
	BoundedAckWait
	// AckWaitUnbounded: a send waits for the acknowledgement with no limit
	// but the connection's (ST 0.34.2 30e26f2a, da9ed3c0; p2p_endpoint.rs
	// L930-942).
	AckWaitUnbounded
)

func (a AckWait) String() string {
	switch a {
	case NoAckWait:
		return "none"
	case BoundedAckWait:
		return "bounded"
	case AckWaitUnbounded:
		return "unbounded"
	}
	return fmt.Sprintf("AckWait(%d)", int(a))
}

// Transport is how the client's QUIC transport (saorsa-transport's vendored
// quinn 0.11.x) takes and holds a send.
type Transport struct {
	AckWait AckWait
	// AckTimeoutBase and AckTimeoutDivisor give the bounded wait for a frame
	// of F bytes: AckTimeoutBase + F/AckTimeoutDivisor milliseconds (ST
	// 70623cc2: 1 s + len/256 ms). ConnTimeout bounds the whole send (SC
	// 0.24.0: 25 s).
	AckTimeoutBase    time.Duration
	AckTimeoutDivisor int64
	ConnTimeout       time.Duration
	// SendWindow is the client's cap on its own written-but-unacknowledged
	// bytes per peer connection, summed over that connection's streams:
	// quinn's send_window, set to MAX_WIRE_MESSAGE_SIZE = 5 MiB (AP
	// src/chunk.rs L26 → AC ant-core/src/data/network.rs L53 → ST
	// nat_traversal_api.rs L3053-3055). The peer's windows (10 MiB stream,
	// unlimited connection; AN config.rs L383-389) never bind a frame.
	SendWindow int64
	// Segment is the most bytes one write admits as one QUIC segment: 0
	// for whatever credit is free (one segment per frame when it fits),
	// 64 KiB for ST 0.34.1's sliced writes (STREAM_WRITE_CHUNK_SIZE,
	// p2p_endpoint.rs L100).
	Segment int
	// Permit makes a send of at least PermitMin bytes take the one permit
	// of its peer address before writing, until it returns (ST 0.34.1
	// LARGE_SEND_PER_ADDR_PERMITS = 1, LARGE_SEND_BACKPRESSURE_THRESHOLD =
	// 1 MiB, p2p_endpoint.rs L94-97).
	Permit    bool
	PermitMin int
}

// AckTimeout returns the bounded wait for a frame of f bytes.
func (t Transport) AckTimeout(f int) time.Duration {
	return t.AckTimeoutBase + time.Duration(int64(f)/max(t.AckTimeoutDivisor, 1))*time.Millisecond
}

// CapRead is when the store concurrency is read.
type CapRead int

const (
	// PerWave reads the cap once per wave or retry round, as
	// current().min(wave.len()) before buffer_unordered (AC file.rs L1358,
	// batch.rs L564-569 at 6cada1d).
	PerWave CapRead = iota
	// PerSlot reads it every time a store's slot frees (AC client_engine.rs
	// rolling_unordered, stored-file id 65819248909).
	PerSlot
)

// Store is how the client limits its concurrent stores.
type Store struct {
	CapRead CapRead
	// ByteBudget, when not 0, bounds the stores at once to
	// max(1, ByteBudget / largest record), the largest record of the wave
	// (single) or of every merkle record (AC client_engine.rs
	// STORE_INFLIGHT_BYTE_BUDGET = 64 MiB, store_byte_bound), on top of
	// the limiter's cap.
	ByteBudget int64
	// LatencyInflation is the AIMD controller's latency_inflation_factor
	// (AC adaptive.rs: 2.0 at 768e3bd, 4.0 later).
	LatencyInflation float64
}

// Timeouts are the store response timeouts, started once the send has
// returned (AP src/chunk_protocol.rs L43-58).
type Timeouts struct {
	Single, Merkle time.Duration
}

// Waves is how an upload holds chunks and proofs.
type Waves struct {
	// LoadPerRecord loads each chunk from the spill when its store starts
	// and drops it when the store ends (AC upload.rs, stored-file id
	// 71652717909); otherwise a wave's chunks are read at once and, on the
	// single path, held to the wave's end (AC file.rs read_wave).
	LoadPerRecord bool
	// OverlapQuotes quotes wave w+1 while wave w stores (futures::join!,
	// upload.rs). Quoting holds no chunk bytes and no proofs.
	OverlapQuotes bool
	// KeepProofs keeps every paid proof, single-path ones too, for the
	// whole upload (UploadState.proofs, stored-file id 68775549571); the
	// older clients drop a single-path proof when its chunk's store ends.
	KeepProofs bool
}

// Profile is one client.
type Profile struct {
	// Name is how scenarios and flags name it.
	Name string
	// Commit and Date pin the upstream ant-client it follows.
	Commit, Date string
	// Summary says in one short line what differs from the others; the
	// fields and their doc comments say it in full.
	Summary string

	Transport Transport
	Store     Store
	Timeouts  Timeouts
	Waves     Waves

	// Allocator is the allocator that places the client's buffers (a
	// policy of package alloc): ant-client sets no global allocator, so
	// its Linux builds use glibc malloc (AC 97587c2 main.rs; the node's
	// mimalloc, AN 857969f, is not the client's).
	Allocator string
	// Baseline is the resident memory, in bytes, the client holds besides
	// its payload buffers, added to its resident figure and judged by a
	// memory limit with it: 22 MB, the heap the real client still held at
	// its clean exit in the seed's heaptrack capture ("total memory leaked:
	// 22 MB", a 20 MB upload on DEV-01, ant-client PR #82): its long-lived
	// allocations. It is a lower bound: code pages, stacks and the
	// allocator's own slack are not in it.
	Baseline int64
}

// quic5MiB is MAX_WIRE_MESSAGE_SIZE, the client's QUIC send window.
const quic5MiB = 5 << 20

// seedBaseline is the seed capture's heap at exit; see Profile.Baseline.
const seedBaseline = 22_000_000

var profiles = []Profile{
	{
		Name: "seed", Commit: "6cada1d", Date: "2026-05-06",
		Summary: "PR #82's parent by its Cargo.lock (saorsa-transport 0.34.1): a send returns when QUIC has taken it; 64 KiB segments; 30 s store timeout",
		Transport: Transport{
			AckWait: NoAckWait, SendWindow: quic5MiB, Segment: 64 << 10, Permit: true, PermitMin: 1 << 20,
		},
		Store:     Store{CapRead: PerWave, LatencyInflation: 2.0},
		Timeouts:  Timeouts{Single: 30 * time.Second, Merkle: 60 * time.Second},
		Allocator: "glibc", Baseline: seedBaseline,
	},
	{
		// Before the AIMD limiter (768e3bd, 04-28): a fixed store cap (16 by
		// default until 0a34a0b); under the aimd limiter it runs 768e3bd's.
		// The uploader is apr28's in what the model follows (waves of 64,
		// buffer_unordered(store_concurrency), the close-group fan-out, 3
		// retry rounds: AC batch.rs, chunk.rs at 3fee9b8); its saorsa-core
		// (rc-2026.4.1 eb859475) makes the same copies per send as 0.24.0
		// (network.rs retry_data L1451, transport_handle.rs L965, L1339).
		Name: "apr12", Commit: "3fee9b8", Date: "2026-04-12",
		Summary: "before the ACK budget's 4x: a send waits for the ACK up to 5 s + size/1024 ms, within 15 s; 60 s store timeouts",
		Transport: Transport{
			// ST rc-2026.4.1 4587a333 by the Cargo.lock: 9009e64a's
			// size budget, data.len()/1024 ms on DEFAULT_SEND_ACK_TIMEOUT
			// = 5 s (nat_timeouts.rs L143, p2p_endpoint.rs L2707); SC
			// DEFAULT_CONNECTION_TIMEOUT_SECS = 15 (network.rs L131).
			AckWait: BoundedAckWait, AckTimeoutBase: 5 * time.Second, AckTimeoutDivisor: 1024, ConnTimeout: 15 * time.Second,
			SendWindow: quic5MiB,
		},
		Store: Store{CapRead: PerWave, LatencyInflation: 2.0},
		// The CLI's --timeout-secs, 60 (ant-cli cli.rs L47 at 3fee9b8).
		Timeouts:  Timeouts{Single: 60 * time.Second, Merkle: 60 * time.Second},
		Allocator: "glibc", Baseline: seedBaseline,
	},
	{
		// apr12's uploader, three days on: only the transport's budget
		// differs (the default store cap is 8 since 0a34a0b; a scenario
		// names its cap).
		Name: "apr15", Commit: "376e2da", Date: "2026-04-15",
		Summary: "the ACK budget 4x (70623cc2): a send waits for the ACK up to 5 s + size/256 ms, within 15 s; 60 s store timeouts",
		Transport: Transport{
			// ST 0.32.0 (70623cc2: data.len()/256 ms; 5 s base,
			// nat_timeouts.rs L143, p2p_endpoint.rs L2706); SC 0.23.0's
			// 15 s connection timeout (network.rs L131).
			AckWait: BoundedAckWait, AckTimeoutBase: 5 * time.Second, AckTimeoutDivisor: 256, ConnTimeout: 15 * time.Second,
			SendWindow: quic5MiB,
		},
		Store: Store{CapRead: PerWave, LatencyInflation: 2.0},
		// The CLI's --store-timeout-secs, 60 (ant-cli cli.rs L54 at 376e2da).
		Timeouts:  Timeouts{Single: 60 * time.Second, Merkle: 60 * time.Second},
		Allocator: "glibc", Baseline: seedBaseline,
	},
	{
		Name: "apr28", Commit: "97587c2", Date: "2026-04-28",
		Summary: "uploader.md's: a send waits for the ACK up to 1 s + size/256 ms; 60 s store timeouts",
		Transport: Transport{
			AckWait: BoundedAckWait, AckTimeoutBase: time.Second, AckTimeoutDivisor: 256, ConnTimeout: 25 * time.Second,
			SendWindow: quic5MiB,
		},
		Store:     Store{CapRead: PerWave, LatencyInflation: 2.0},
		Timeouts:  Timeouts{Single: 60 * time.Second, Merkle: 60 * time.Second},
		Allocator: "glibc", Baseline: seedBaseline,
	},
	{
		Name: "newest", Commit: "02a5faa", Date: "2026-09-01",
		Summary: "today's: a send waits for the ACK; 64 MiB byte budget re-read per slot; next wave quoted during stores; 10 s store timeout",
		Transport: Transport{
			AckWait: AckWaitUnbounded, SendWindow: quic5MiB,
		},
		Store:     Store{CapRead: PerSlot, ByteBudget: 64 << 20, LatencyInflation: 4.0},
		Timeouts:  Timeouts{Single: 10 * time.Second, Merkle: 270 * time.Second},
		Waves:     Waves{LoadPerRecord: true, OverlapQuotes: true, KeepProofs: true},
		Allocator: "glibc", Baseline: seedBaseline,
	},
}

// Default is the client a scenario runs when it names none: the client of
// the seed's heaptrack capture as its source pins it (PR #82's parent,
// 6cada1d, whose Cargo.lock gives saorsa-transport 0.34.1). The capture's
// own figures are closer to a client whose sends wait for the
// acknowledgement (README, "The seed's figures beside fanbench's"): the
// DEV-01 build may have run another transport; the default stays with the
// source.
const Default = "seed"

// Profiles returns every client profile, oldest commit first is not
// promised: in the order `fanbench clients` lists them, the default first.
func Profiles() []Profile { return slices.Clone(profiles) }

// Names returns the profiles' names, in Profiles order.
func Names() []string {
	names := make([]string, len(profiles))
	for i, p := range profiles {
		names[i] = p.Name
	}
	return names
}

// Lookup returns the profile named name ("" names Default). An unknown
// name's error lists the known ones.
func Lookup(name string) (Profile, error) {
	if name == "" {
		name = Default
	}
	for _, p := range profiles {
		if p.Name == name {
			return p, nil
		}
	}
	return Profile{}, fmt.Errorf("unknown client %q (known: %s)", name, strings.Join(Names(), ", "))
}
