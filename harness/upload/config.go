package upload

import (
	"fmt"
	"runtime"
	"time"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/limiter"
	"github.com/fanbench/fanbench/harness/payment"
)

// Strategy is how a per-peer send builds its message from the chunk.
type Strategy int

const (
	// CopyPerPeer deep-copies the chunk for every peer (content.to_vec())
	// and encodes a message with a Vec<u8> content field: ant-client before
	// PR #82.
	CopyPerPeer Strategy = iota
	// SharedBuffer shares the chunk across the peer sends (bytes::Bytes);
	// each send still encodes its own message: PR #82 with ant-protocol
	// v2.1.0.
	SharedBuffer
	// EncodeOnce encodes one message per chunk and shares the frame across
	// its peer sends: beyond PR #82.
	EncodeOnce
	// Streamed encodes only the header and trailer and writes the payload
	// from the shared chunk, with no payload-sized encode buffer: beyond
	// PR #82 (the direction of saorsa-transport's exp-chunk-streaming).
	Streamed

	numStrategies
)

var strategyNames = [numStrategies]string{"copy-per-peer", "shared-buffer", "encode-once", "streamed"}

// Strategies lists every strategy in order.
func Strategies() []Strategy { return []Strategy{CopyPerPeer, SharedBuffer, EncodeOnce, Streamed} }

// String returns the strategy's name as scenarios and reports spell it.
func (s Strategy) String() string {
	if s >= 0 && s < numStrategies {
		return strategyNames[s]
	}
	return fmt.Sprintf("strategy(%d)", int(s))
}

// MarshalText writes the strategy's name.
func (s Strategy) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a strategy's name.
func (s *Strategy) UnmarshalText(b []byte) error {
	v, err := ParseStrategy(string(b))
	*s = v
	return err
}

// ParseStrategy returns the strategy named name.
func ParseStrategy(name string) (Strategy, error) {
	for i, n := range strategyNames {
		if n == name {
			return Strategy(i), nil
		}
	}
	return 0, fmt.Errorf("unknown strategy %q (want one of copy-per-peer, shared-buffer, encode-once, streamed)", name)
}

// Constants of the real uploader, each with its source.
const (
	// WaveSize is UPLOAD_WAVE_SIZE, the chunks read back from the spill at
	// once (ant-client file.rs L84), and PAYMENT_WAVE_SIZE (batch.rs L28).
	WaveSize = 64
	// CloseGroupSize is CLOSE_GROUP_SIZE (ant-protocol src/chunk.rs L35).
	CloseGroupSize = 7
	// CloseGroupMajority is CLOSE_GROUP_SIZE/2+1 = 4 (src/chunk.rs L40):
	// the peers sent to at once and the successes a store needs.
	CloseGroupMajority = 4
	// QuotePeers is the peers asked for quotes per chunk, 2 × 7
	// (ant-client quote.rs L56).
	QuotePeers = 2 * CloseGroupSize
	// MaxRetries is MAX_RETRIES, the extra store rounds on the single path
	// (batch.rs L545-641).
	MaxRetries = 3
	// BaseDelay is BASE_DELAY_MS, doubled each round (batch.rs).
	BaseDelay = 500 * time.Millisecond
	// QuoteTimeout is quote_timeout_secs per peer (quote.rs L74).
	QuoteTimeout = 10 * time.Second
	// QuoteOverallTimeout caps one chunk's quote collection (quote.rs L78).
	QuoteOverallTimeout = 120 * time.Second
	// AlreadyStoredQuorum is how many of the 7 closest quoters must report
	// already_stored for a chunk to be skipped (quote.rs L203-227).
	AlreadyStoredQuorum = 4
)

// Config sets up one uploader. Durations are simulated time.
type Config struct {
	Strategy Strategy
	// Transport turns on the transport's own copies (retry clone,
	// per-channel clone, signable and wire re-serialisation), as the real
	// saorsa-core send path makes them.
	Transport bool
	// Payment is auto (merkle from 64 chunks), single or merkle.
	Payment payment.Mode
	// Store returns the store-concurrency policy for one upload; it is
	// called once per Upload.
	Store func() limiter.Policy
	// QuoteConcurrency is the quote channel's concurrency per wave
	// (ChannelStart.quote = 32, adaptive.rs L200-207; held fixed here).
	QuoteConcurrency int
	// Client is the client modelled: its transport, when it reads the
	// store cap, its timeouts and how it holds waves and proofs.
	Client client.Profile

	QuoteTimeout, QuoteOverallTimeout time.Duration

	// Workers is the encryption phase's parallelism; 0 means GOMAXPROCS.
	Workers int
	// SpillBase is where private spill directories go; empty means
	// spill.DefaultBase(). CacheRoot, when not empty, enables the spill
	// cache there.
	SpillBase, CacheRoot string
	// Heap is the client's memory: where its tracked buffers live and what
	// counts them; nil means Go slices counted by nobody.
	Heap *buffer.Heap
	// Progress, when set, is called after every chunk that ends stored,
	// with the stored count and the total. It must be cheap.
	Progress func(stored, total int)

	// waveSize, when not 0, replaces WaveSize, so that tests can see waves
	// of a few chunks (export_test.go).
	waveSize int
}

// DefaultConfig returns the settings of the default client (the client of
// the seed's heaptrack capture) with the PR-era copy-per-peer strategy,
// transport copies on, Auto payments and the AIMD store limiter
// cold-started.
func DefaultConfig() Config {
	p, err := client.Lookup(client.Default)
	if err != nil {
		panic(err) // the default is one of the profiles
	}
	return Config{
		Strategy:            CopyPerPeer,
		Transport:           true,
		Payment:             payment.Auto,
		Store:               func() limiter.Policy { return limiter.NewAIMD(limiter.DefaultStore) },
		QuoteConcurrency:    32,
		Client:              p,
		QuoteTimeout:        QuoteTimeout,
		QuoteOverallTimeout: QuoteOverallTimeout,
	}
}

// Validate reports the first setting that cannot work, naming its field.
func (c *Config) Validate() error {
	switch {
	case c.Strategy < 0 || c.Strategy >= numStrategies:
		return fmt.Errorf("upload: strategy: unknown value %d", int(c.Strategy))
	case c.Payment < payment.Auto || c.Payment > payment.Single:
		return fmt.Errorf("upload: payment: unknown value %d", int(c.Payment))
	case c.Store == nil:
		return fmt.Errorf("upload: store: no concurrency policy")
	case c.QuoteConcurrency < 1:
		return fmt.Errorf("upload: quote_concurrency: must be ≥ 1 (got %d)", c.QuoteConcurrency)
	case c.Client.Name == "":
		return fmt.Errorf("upload: client: no profile")
	case c.Client.Timeouts.Single <= 0 || c.Client.Timeouts.Merkle <= 0:
		return fmt.Errorf("upload: client %s: store timeouts must be > 0", c.Client.Name)
	case (c.Client.Store.CapRead == client.PerSlot) != (c.Client.Waves.LoadPerRecord && c.Client.Waves.KeepProofs):
		// The rolling paths (rolling.go) are the per-record loads and the
		// kept proofs; the wave paths read whole waves and drop proofs.
		return fmt.Errorf("upload: client %s: this uploader loads chunks per record and keeps every proof exactly when the cap is read per slot", c.Client.Name)
	case c.Client.Waves.OverlapQuotes && c.Client.Store.CapRead != client.PerSlot:
		return fmt.Errorf("upload: client %s: quoting overlaps stores only on the rolling path (a cap read per slot)", c.Client.Name)
	case c.QuoteTimeout <= 0 || c.QuoteOverallTimeout <= 0:
		return fmt.Errorf("upload: quote_timeout: must be > 0")
	case c.Workers < 0:
		return fmt.Errorf("upload: workers: must be ≥ 0 (got %d)", c.Workers)
	}
	return nil
}

// waves returns the chunks in a wave.
func (c *Config) waves() int {
	if c.waveSize > 0 {
		return c.waveSize
	}
	return WaveSize
}

func (c *Config) workers() int {
	if c.Workers > 0 {
		return c.Workers
	}
	return runtime.GOMAXPROCS(0)
}

func (c *Config) heap() *buffer.Heap {
	if c.Heap == nil {
		return buffer.GoHeap(nil)
	}
	return c.Heap
}
