package scenarios

import (
	"bytes"
	"flag"
	"testing"

	"github.com/fanbench/fanbench/internal/golden"
)

const goldenPath = "testdata/defaults.yaml"

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestFormatDefaults writes the minimal scenario with every default spelled
// out and compares it with testdata/defaults.yaml; the golden file parses
// back to the same spec.
func TestFormatDefaults(t *testing.T) {
	s, err := Parse("x.yaml", []byte(head))
	if err != nil {
		t.Fatal(err)
	}
	got := s.Format()
	golden.Check(t, goldenPath, got, *update)
	back, err := Parse(goldenPath, got)
	if err != nil {
		t.Fatal(err)
	}
	if !specEqual(back, s) {
		t.Errorf("defaults do not round-trip:\n%+v\n%+v", *back, *s)
	}
}

// TestFormatRoundTrip checks Parse(Format(s)) = s for every built-in and a
// spec that sets every field away from its default, and that Format is
// stable.
func TestFormatRoundTrip(t *testing.T) {
	full, err := Parse("full.yaml", []byte(`name: all-fields
description: "quotes \" and \\ and ü are fine"
source: {size: 4190207, seed: 18446744073709551615, compressibility: 0.125}
payment: single
strategies: [streamed, copy-per-peer]
limiters: [budget, "fixed:1", "warm:64", aimd]
transport: false
network:
  peers: 1000
  uplink: 1500kbit
  latency: 1.5ms
  jitter: 0
  faults: {dead: 0.5, fail: 1, timeout: 0.000001, already_exists: 0.25}
memory_limit: 1000B
uploader: external-signer-0.3.3
count: 10
timeout: 1h30m
budgets:
  - {strategy: "*", metric: ns/op, max: 2m}
  - {strategy: streamed, metric: peak-RSS-B, max: 300MB}
  - {strategy: "*", metric: peak-live-B, max_model_ratio: 1.01}
`))
	if err != nil {
		t.Fatal(err)
	}
	specs := Builtins()
	specs = append(specs, full)
	for _, s := range specs {
		text := s.Format()
		back, err := Parse("again.yaml", text)
		if err != nil {
			t.Errorf("%s: Parse(Format()) = %v\n%s", s.Name, err, text)
			continue
		}
		if !specEqual(back, s) {
			t.Errorf("%s: Parse(Format()) =\n%+v\nwant\n%+v", s.Name, *back, *s)
		}
		if again := back.Format(); !bytes.Equal(again, text) {
			t.Errorf("%s: Format is not stable:\n%s\n%s", s.Name, text, again)
		}
	}
}
