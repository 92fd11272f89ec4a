package upload

import (
	"fmt"
	"time"

	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/quote"
	"github.com/fanbench/fanbench/harness/uploader"
)

// Constants of the real uploader, each with its source.
const (
	// WaveSize is UPLOAD_WAVE_SIZE, the chunks read back from the spill at
	// once (ant-client file.rs L84), and PAYMENT_WAVE_SIZE (batch.rs L28).
	WaveSize = 64
	// MaxRetries is MAX_RETRIES, the extra store rounds on the single path
	// (batch.rs L545-641).
	MaxRetries = 3
	// BaseDelay is BASE_DELAY_MS, doubled each round (batch.rs).
	BaseDelay = 500 * time.Millisecond
)

// Config sets up one uploader: the case's settings and the quoting of the
// single-node path. Durations are simulated time.
type Config struct {
	uploader.Settings
	// QuoteConcurrency is the quote channel's concurrency per wave.
	QuoteConcurrency int
	// QuoteTimeout bounds each peer's quote, QuoteOverallTimeout a chunk's
	// whole collection.
	QuoteTimeout, QuoteOverallTimeout time.Duration

	// waveSize, when not 0, replaces WaveSize, so that tests can see waves
	// of a few chunks (export_test.go).
	waveSize int
}

// DefaultConfig returns the default settings (uploader.DefaultSettings)
// with upstream's quoting.
func DefaultConfig() Config {
	return Config{
		Settings:            uploader.DefaultSettings(),
		QuoteConcurrency:    quote.Concurrency,
		QuoteTimeout:        quote.Timeout,
		QuoteOverallTimeout: quote.OverallTimeout,
	}
}

// Validate reports the first setting that cannot work, naming its field.
func (c *Config) Validate() error {
	if err := c.Settings.Validate(); err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	switch {
	case c.QuoteConcurrency < 1:
		return fmt.Errorf("upload: quote_concurrency: must be ≥ 1 (got %d)", c.QuoteConcurrency)
	case (c.Client.Store.CapRead == client.PerSlot) != (c.Client.Waves.LoadPerRecord && c.Client.Waves.KeepProofs):
		// The rolling paths (rolling.go) are the per-record loads and the
		// kept proofs; the wave paths read whole waves and drop proofs.
		return fmt.Errorf("upload: client %s: this uploader loads chunks per record and keeps every proof exactly when the cap is read per slot", c.Client.Name)
	case c.Client.Waves.OverlapQuotes && c.Client.Store.CapRead != client.PerSlot:
		return fmt.Errorf("upload: client %s: quoting overlaps stores only on the rolling path (a cap read per slot)", c.Client.Name)
	case c.QuoteTimeout <= 0 || c.QuoteOverallTimeout <= 0:
		return fmt.Errorf("upload: quote_timeout: must be > 0")
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
