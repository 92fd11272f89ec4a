package netsim

import (
	"math"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig.Validate(); err != nil {
		t.Fatalf("DefaultConfig.Validate() = %v", err)
	}
	tests := []struct {
		name   string
		modify func(*Config)
		want   string // the whole message, or "" for valid
	}{
		{"default", func(*Config) {}, ""},
		{"zero latency", func(c *Config) { c.Latency, c.Jitter = 0, 0 }, ""},
		{"one peer", func(c *Config) { c.Peers = 1 }, ""},
		{"zero peers", func(c *Config) { c.Peers = 0 }, "netsim: peers: must be > 0 (got 0)"},
		{"negative peers", func(c *Config) { c.Peers = -3 }, "netsim: peers: must be > 0 (got -3)"},
		{"negative bandwidth", func(c *Config) { c.UplinkBitsPerSec = -1 }, "netsim: uplink_bits_per_sec: must be > 0 (got -1)"},
		{"zero bandwidth", func(c *Config) { c.UplinkBitsPerSec = 0 }, "netsim: uplink_bits_per_sec: must be > 0 (got 0)"},
		{"NaN bandwidth", func(c *Config) { c.UplinkBitsPerSec = math.NaN() }, "netsim: uplink_bits_per_sec: must be > 0 (got NaN)"},
		{"infinite bandwidth", func(c *Config) { c.UplinkBitsPerSec = math.Inf(1) }, "netsim: uplink_bits_per_sec: must be finite (got +Inf)"},
		{"negative latency", func(c *Config) { c.Latency = -time.Millisecond }, "netsim: latency: must be >= 0 (got -1ms)"},
		{"negative jitter", func(c *Config) { c.Jitter = -time.Millisecond }, "netsim: jitter: must be >= 0 (got -1ms)"},
		{"zero segment", func(c *Config) { c.Segment = 0 }, "netsim: segment: must be > 0 (got 0)"},
		{"negative segment", func(c *Config) { c.Segment = -1 }, "netsim: segment: must be > 0 (got -1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig
			tt.modify(&cfg)
			err := cfg.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && err == nil:
				t.Errorf("Validate() = nil, want %q", tt.want)
			case tt.want != "" && err.Error() != tt.want:
				t.Errorf("Validate() = %q, want %q", err, tt.want)
			}
		})
	}
}

func TestDefaultConfigOutnumbersTheAsks(t *testing.T) {
	// A quote asks 14 peers and a merkle pool 32; with no more peers than
	// that every chunk would get the same set.
	if p := DefaultConfig.Peers; p <= 32 {
		t.Errorf("DefaultConfig.Peers = %d, want more than 32", p)
	}
}
