package netsim

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/fanbench/fanbench/harness/simtime"
	"github.com/fanbench/fanbench/harness/xorname"
)

// Network is a simulated network of peers seen from one client: their XOR
// geometry, their latency, and the client's shared uplink, on a virtual
// clock. Build one with New. Its lookups (Closest, Latency, Has) are safe
// for concurrent use; Delay and Transfer are called from the clock's tasks,
// which run one at a time.
type Network struct {
	cfg   Config
	clock *simtime.Clock
	ids   []xorname.Name // sorted ascending (big-endian), no duplicates; never modified after New
	link  uplink

	sent     int64 // bytes handed to sinks
	inFlight int   // Transfer calls under way
	peak     int   // highest inFlight seen
}

// New returns a network of cfg.Peers peers named by ids, with a fresh
// clock at virtual time zero. The caller derives ids from its peers' keys;
// there must be exactly cfg.Peers of them and no two alike. New copies ids
// and keeps the copy sorted for lookups; the caller's slice is not modified
// or retained.
func New(cfg Config, ids []xorname.Name) (*Network, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(ids) != cfg.Peers {
		return nil, fmt.Errorf("netsim: got %d peer ids, config says peers = %d", len(ids), cfg.Peers)
	}
	sorted := slices.Clone(ids)
	slices.SortFunc(sorted, compareNames)
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] {
			return nil, fmt.Errorf("netsim: duplicate peer id %s", sorted[i])
		}
	}
	n := &Network{cfg: cfg, clock: simtime.New(), ids: sorted}
	n.link.init(cfg.UplinkBitsPerSec / 8 / float64(time.Second)) // bytes per ns
	return n, nil
}

func compareNames(a, b xorname.Name) int { return bytes.Compare(a[:], b[:]) }

// Config returns the configuration the network was built with.
func (n *Network) Config() Config { return n.cfg }

// Clock returns the network's virtual clock, which Delay and Transfer run
// on: the simulation runs in its Run.
func (n *Network) Clock() *simtime.Clock { return n.clock }

// Len returns the number of peers.
func (n *Network) Len() int { return len(n.ids) }

// Has reports whether id is one of the network's peers.
func (n *Network) Has(id xorname.Name) bool {
	_, ok := slices.BinarySearchFunc(n.ids, id, compareNames)
	return ok
}

// Closest returns the k peers nearest target by XOR distance, nearest first,
// in a new slice of length min(k, Len()); k ≤ 0 gives nil. It excludes
// nobody: a peer whose id equals target is returned first, and the caller
// filters out any peer it must skip (ask for more than it needs). The one
// allocation is the result; see AppendClosest to avoid it.
func (n *Network) Closest(target xorname.Name, k int) []xorname.Name {
	k = min(k, len(n.ids))
	if k <= 0 {
		return nil
	}
	return n.AppendClosest(make([]xorname.Name, 0, k), target, k)
}

// AppendClosest appends to dst the k peers nearest target, as Closest
// returns them, and returns the extended slice. It allocates only when dst
// lacks the capacity.
//
// The peers sharing any given bit prefix form a contiguous run of the sorted
// ids, and every peer in the run that agrees with target on the next bit is
// nearer target than every peer that does not. So the search walks the
// implicit binary trie of the sorted ids, near half first, with one binary
// search per level: O(k·log Len()) for random ids, against O(Len()) for a
// scan.
func (n *Network) AppendClosest(dst []xorname.Name, target xorname.Name, k int) []xorname.Name {
	k = min(k, len(n.ids))
	if k <= 0 {
		return dst
	}
	return n.walk(dst, len(dst)+k, &target, 0, len(n.ids), 0)
}

// walk appends ids[lo:hi] to dst in order of distance from target until dst
// has want elements. All of ids[lo:hi] share their first depth bits.
func (n *Network) walk(dst []xorname.Name, want int, target *xorname.Name, lo, hi, depth int) []xorname.Name {
	for len(dst) < want && lo < hi {
		if hi-lo == 1 || depth == 8*xorname.Size {
			for i := lo; i < hi && len(dst) < want; i++ {
				dst = append(dst, n.ids[i])
			}
			return dst
		}
		// ids[lo:hi] hold 0 at bit depth, then 1; find the first 1.
		a, b := lo, hi
		for a < b {
			m := int(uint(a+b) >> 1)
			if bit(&n.ids[m], depth) == 0 {
				a = m + 1
			} else {
				b = m
			}
		}
		if bit(target, depth) == 0 {
			dst = n.walk(dst, want, target, lo, a, depth+1)
			lo = a
		} else {
			dst = n.walk(dst, want, target, a, hi, depth+1)
			hi = a
		}
		depth++
	}
	return dst
}

// bit returns bit i of x, counting from the most significant bit of x[0].
func bit(x *xorname.Name, i int) byte { return x[i>>3] >> (7 - i&7) & 1 }

// Latency returns the simulated one-way latency to the peer id: Config.Latency
// plus a share of Config.Jitter that is fixed by Config.Seed and id. It is a
// pure function of them, so it is defined for any id, peer or not.
func (n *Network) Latency(id xorname.Name) time.Duration {
	if n.cfg.Jitter == 0 {
		return n.cfg.Latency
	}
	h := mix(n.cfg.Seed ^ 0x9e3779b97f4a7c15)
	for i := 0; i < xorname.Size; i += 8 {
		h = mix(h ^ binary.BigEndian.Uint64(id[i:]))
	}
	u := float64(h>>11) / (1 << 53) // uniform in [0, 1)
	return n.cfg.Latency + time.Duration(u*float64(n.cfg.Jitter))
}

// mix is the splitmix64 finaliser: a bijection on uint64 whose output bits
// each depend on all input bits.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// Delay sleeps the one-way latency to the peer id on the network's clock. It
// returns ctx.Err() if ctx is done first.
func (n *Network) Delay(ctx context.Context, to xorname.Name) error {
	return simtime.Sleep(ctx, n.Latency(to))
}

// BytesSent returns the number of bytes all transfers have handed to their
// sinks since the network was made. Call it between the clock's runs.
func (n *Network) BytesSent() int64 { return n.sent }

// PeakStreams returns the highest number of Transfer calls that were under
// way at once, sharing the uplink, since the network was made. Calls with
// no bytes to send, and calls rejected before sending, do not count. Call
// it between the clock's runs.
func (n *Network) PeakStreams() int { return n.peak }
