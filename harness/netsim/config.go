package netsim

import (
	"fmt"
	"math"
	"time"
)

// DefaultSegment is the default number of bytes the uplink moves per step:
// a model choice, fine enough that a 4 MiB chunk arrives in 64 pieces.
const DefaultSegment = 64 << 10

// Config describes a simulated network. Durations are simulated time.
type Config struct {
	// Peers is the number of peers; New takes exactly this many ids. The
	// uploader asks 14 peers per quote and 32 per merkle candidate pool
	// (reference/uploader.md §5, point 7), so a scenario needs more than 32
	// for close groups to differ from chunk to chunk.
	Peers int
	// Seed makes each peer's latency jitter deterministic.
	Seed uint64
	// UplinkBitsPerSec is the client's uplink bandwidth in bits per
	// simulated second, shared by all concurrent transfers.
	UplinkBitsPerSec float64
	// Latency is the simulated one-way base latency to every peer.
	Latency time.Duration
	// Jitter spreads latency across peers: each peer's one-way latency is
	// fixed, drawn from Seed and its id uniformly in [Latency,
	// Latency+Jitter).
	Jitter time.Duration
	// Segment is the number of bytes the uplink moves per step, and so the
	// size of the pieces handed to a Transfer's sink.
	Segment int
}

// DefaultConfig is the network the harness uses unless a scenario says
// otherwise: 200 peers on a 100 Mbit/s uplink, 20–30 ms away. Copy it and
// change fields; do not modify it.
var DefaultConfig = Config{
	Peers:            200,
	Seed:             1,
	UplinkBitsPerSec: 100e6,
	Latency:          20 * time.Millisecond,
	Jitter:           10 * time.Millisecond,
	Segment:          DefaultSegment,
}

// Validate reports the first field of c that is out of range, as an error
// naming the field, such as
// "netsim: uplink_bits_per_sec: must be > 0 (got -1)".
func (c Config) Validate() error {
	switch {
	case c.Peers <= 0:
		return fmt.Errorf("netsim: peers: must be > 0 (got %d)", c.Peers)
	case !(c.UplinkBitsPerSec > 0):
		return fmt.Errorf("netsim: uplink_bits_per_sec: must be > 0 (got %v)", c.UplinkBitsPerSec)
	case math.IsInf(c.UplinkBitsPerSec, 1):
		return fmt.Errorf("netsim: uplink_bits_per_sec: must be finite (got %v)", c.UplinkBitsPerSec)
	case c.Latency < 0:
		return fmt.Errorf("netsim: latency: must be >= 0 (got %v)", c.Latency)
	case c.Jitter < 0:
		return fmt.Errorf("netsim: jitter: must be >= 0 (got %v)", c.Jitter)
	case c.Segment <= 0:
		return fmt.Errorf("netsim: segment: must be > 0 (got %d)", c.Segment)
	}
	return nil
}
