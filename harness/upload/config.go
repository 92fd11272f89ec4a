package upload

import (
	"fmt"
	"runtime"
	"time"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/limiter"
	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/upload/strategy"
)

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
		Strategy:            strategy.CopyPerPeer,
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
	case !c.Strategy.Valid():
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
	case c.QuoteTimeout <= 0 || c.QuoteOverallTimeout <= 0:
		return fmt.Errorf("upload: quote_timeout: must be > 0")
	case c.Workers < 0:
		return fmt.Errorf("upload: workers: must be ≥ 0 (got %d)", c.Workers)
	}
	return nil
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
