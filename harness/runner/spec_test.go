package runner

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/fanbench/fanbench/harness/netsim"
	"github.com/fanbench/fanbench/harness/upload/strategy"
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
		if want := len(s.Variants()) * len(s.Limiters) * len(s.Strategies); len(cases) != want {
			t.Errorf("%s: %d cases, want %d", s.Name, len(cases), want)
		}
	}
}

// TestNamesAgree checks that the scenario format's fixed names are the
// harness's own.
func TestNamesAgree(t *testing.T) {
	if got, want := scenarios.Strategies(), strategy.Names(); !slices.Equal(got, want) {
		t.Errorf("scenarios name the strategies %q, the registry %q", got, want)
	}
	d, n := scenarios.DefaultNetwork, netsim.DefaultConfig
	if d.Peers != n.Peers || d.UplinkBitsPerSec != n.UplinkBitsPerSec || d.Latency != n.Latency || d.Jitter != n.Jitter {
		t.Errorf("scenario default network %+v differs from netsim's %+v", d, n)
	}
}

// TestCasesOfSweep checks the expansion of a sweep: every size (in
// ascending order, each its own scenario name) with every limiter and
// strategy, in that nesting.
func TestCasesOfSweep(t *testing.T) {
	s, err := scenarios.Parse("sweep.yaml", []byte(`name: sweep
description: d
source: {size: [3MiB, 1MiB]}
strategies: [streamed, shared-buffer]
caps: [8, 16]
`))
	if err != nil {
		t.Fatal(err)
	}
	cases, err := CasesOf(s, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cases {
		got = append(got, fmt.Sprintf("%s %d %s %s", c.Name, c.Source.Size, c.Limiter, c.Strategy))
	}
	want := []string{
		"sweep-size-1048576 1048576 fixed:8 streamed", "sweep-size-1048576 1048576 fixed:8 shared-buffer",
		"sweep-size-1048576 1048576 fixed:16 streamed", "sweep-size-1048576 1048576 fixed:16 shared-buffer",
		"sweep-size-3145728 3145728 fixed:8 streamed", "sweep-size-3145728 3145728 fixed:8 shared-buffer",
		"sweep-size-3145728 3145728 fixed:16 streamed", "sweep-size-3145728 3145728 fixed:16 shared-buffer",
	}
	if !slices.Equal(got, want) {
		t.Errorf("cases:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestParseLimiterBudget checks the byte budget's forms: the cap they give
// with full chunks in flight, and their errors.
func TestParseLimiterBudget(t *testing.T) {
	for _, tc := range []struct {
		l   string
		cap int
	}{
		{"budget", 8},                     // min(AIMD's cold 8, 64 MiB / 4,190,208 = 16)
		{"budget:64MiB@fixed:64", 16},     // the upstream budget at the AIMD's ceiling
		{"budget:71233535B@fixed:64", 16}, // 17 × 4,190,208 − 1
		{"budget:69564KiB@fixed:64", 17},
		{"budget:1MiB@fixed:64", 1}, // never below 1
		{"budget:1GiB@warm:32", 32},
		{"budget:16MiB", 4}, // 16 MiB / 4,190,208 = 4.004, under the AIMD's cold 8
	} {
		mk, err := ParseLimiter(tc.l)
		if err != nil {
			t.Errorf("ParseLimiter(%q) = %v", tc.l, err)
			continue
		}
		if got := mk().Cap(); got != tc.cap {
			t.Errorf("ParseLimiter(%q).Cap() = %d, want %d", tc.l, got, tc.cap)
		}
	}
	for _, tc := range []struct{ l, want string }{
		{"budget:0", `"budget:0": the byte budget must be > 0`},
		{"budget:x", `"budget:x": the byte budget: "x" is not a size in bytes`},
		{"budget:67108864@fixed:64", `"budget:67108864@fixed:64": write the budget as 64MiB`}, // one spelling per policy (limiter.Parse)
		{"budget:64MiB@budget", `"budget:64MiB@budget": a budget's inner policy is aimd, warm:N or fixed:N, not another budget`},
		{"budget:64MiB@fixed:0", `"budget:64MiB@fixed:0": the inner policy: "fixed:0": the cap must be a whole number ≥ 1`},
		{"budgets", `unknown limiter "budgets"`},
	} {
		if _, err := ParseLimiter(tc.l); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("ParseLimiter(%q) = %v, want %q", tc.l, err, tc.want)
		}
	}
}
