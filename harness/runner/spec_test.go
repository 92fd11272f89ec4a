package runner

import (
	"testing"

	"github.com/fanbench/fanbench/harness/netsim"
	"github.com/fanbench/fanbench/harness/upload"
	"github.com/fanbench/fanbench/scenarios"
)

// TestBuiltinsConvert checks every built-in scenario against the harness:
// its names are ones the harness knows, and its network is valid.
func TestBuiltinsConvert(t *testing.T) {
	for _, s := range scenarios.Builtins() {
		cases, err := CasesOf(s, "")
		if err != nil {
			t.Errorf("%s: %v", s.Name, err)
			continue
		}
		if want := len(s.Limiters) * len(s.Strategies); len(cases) != want {
			t.Errorf("%s: %d cases, want %d", s.Name, len(cases), want)
		}
	}
}

// TestNamesAgree checks that the scenario format's fixed names are the
// harness's own.
func TestNamesAgree(t *testing.T) {
	for i, s := range upload.Strategies() {
		if scenarios.Strategies[i] != s.String() {
			t.Errorf("strategy %d: scenarios say %q, the model %q", i, scenarios.Strategies[i], s)
		}
	}
	d, n := scenarios.DefaultNetwork, netsim.DefaultConfig
	if d.Peers != n.Peers || d.UplinkBitsPerSec != n.UplinkBitsPerSec || d.Latency != n.Latency || d.Jitter != n.Jitter {
		t.Errorf("scenario default network %+v differs from netsim's %+v", d, n)
	}
}
