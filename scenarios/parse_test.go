package scenarios

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// head is a valid start for test files: lines 1–3, so a case's own lines
// start at line 4.
const head = "name: x\ndescription: d\nsource: {size: 3MiB}\n"

func TestParseDefaults(t *testing.T) {
	s, err := Parse("x.yaml", []byte(head))
	if err != nil {
		t.Fatal(err)
	}
	want := &Spec{
		Name:        "x",
		Description: "d",
		Source:      Source{Size: 3 << 20, Seed: DefaultSeed},
		Payment:     "auto",
		Strategies:  []string{"copy-per-peer", "shared-buffer", "encode-once", "streamed"},
		Limiters:    []string{"aimd"},
		Transport:   true,
		Network: Network{
			Peers:            200,
			UplinkBitsPerSec: 100e6,
			Latency:          20 * time.Millisecond,
			Jitter:           10 * time.Millisecond,
		},
		Count:   1,
		Timeout: 10 * time.Minute,
		File:    "x.yaml",
	}
	if !specEqual(s, want) {
		t.Errorf("Parse(minimal) =\n%+v\nwant\n%+v", *s, *want)
	}
	// The defaults are copies: changing them in one spec leaves the next
	// alone.
	s.Strategies[0], s.Limiters[0] = "changed", "changed"
	if Strategies()[0] != "copy-per-peer" || DefaultLimiters[0] != "aimd" {
		t.Fatalf("Parse shares the default lists with its result")
	}
}

func TestParseFull(t *testing.T) {
	// The example of the package documentation, comments and all.
	const in = `name: seed-20mb                       # required
description: "PR #82, with a quote \" and ü"
source: {size: 20MiB, seed: 7, compressibility: 0.25}
payment: merkle
strategies: [copy-per-peer, streamed]
baseline: streamed
limiters: [aimd, "warm:64", fixed:16, budget]
transport: false
network:
  peers: 32
  uplink: 2.5Gbit
  latency: 0
  jitter: 1m30s
  faults: {dead: 0.1, fail: 1, timeout: 1e-3, already_exists: 0}
memory_limit: 4GiB
client: newest
allocator: mimalloc
count: 3
timeout: 1h
budgets:
  - strategy: copy-per-peer
    metric: peak-live-B
    max: 300MiB
  - {strategy: "*", metric: peak-live-B, max_model_ratio: 1.01}
  - strategy: streamed
    metric: ns/op
    max: 1.5s
  - strategy: "*"
    metric: alloc-B
    max: 4190208
expect:
  - {strategy: copy-per-peer, outcome: oom}
  - strategy: streamed
    limiter: fixed:16
    outcome: error
`
	s, err := Parse("full.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := &Spec{
		Name:        "seed-20mb",
		Description: `PR #82, with a quote " and ü`,
		Source:      Source{Size: 20 << 20, Seed: 7, Compressibility: 0.25},
		Payment:     "merkle",
		Strategies:  []string{"copy-per-peer", "streamed"},
		Baseline:    "streamed",
		Limiters:    []string{"aimd", "warm:64", "fixed:16", "budget"},
		Transport:   false,
		Network: Network{
			Peers:            32,
			UplinkBitsPerSec: 2.5e9,
			Latency:          0,
			Jitter:           90 * time.Second,
			Faults:           Faults{Dead: 0.1, Fail: 1, Timeout: 0.001},
		},
		MemoryLimit: 4 << 30,
		Clients:     []string{"newest"},
		Allocator:   "mimalloc",
		Count:       3,
		Timeout:     time.Hour,
		Budgets: []Budget{
			{Strategy: "copy-per-peer", Metric: "peak-live-B", Max: 300 << 20},
			{Strategy: "*", Metric: "peak-live-B", MaxModelRatio: 1.01},
			{Strategy: "streamed", Metric: "ns/op", Max: 1.5e9},
			{Strategy: "*", Metric: "alloc-B", Max: 4190208},
		},
		Expect: []Expectation{
			{Strategy: "copy-per-peer", Outcome: "oom"},
			{Strategy: "streamed", Limiter: "fixed:16", Outcome: "error"},
		},
		File: "full.yaml",
	}
	if !specEqual(s, want) {
		t.Errorf("Parse =\n%+v\nwant\n%+v", *s, *want)
	}
	wantPos := []Position{{"full.yaml", 21, 5}, {"full.yaml", 24, 5}, {"full.yaml", 25, 5}, {"full.yaml", 28, 5}}
	for i, b := range s.Budgets {
		if b.Pos != wantPos[i] {
			t.Errorf("budget %d at %v, want %v", i, b.Pos, wantPos[i])
		}
	}
	if p := s.Expect[1].Pos; p != (Position{"full.yaml", 33, 5}) {
		t.Errorf("expect[1] at %v, want full.yaml:33:5", p)
	}
	for _, c := range []struct{ strategy, limiter, want string }{
		{"copy-per-peer", "aimd", "oom"}, {"copy-per-peer", "fixed:16", "oom"},
		{"streamed", "fixed:16", "error"}, {"streamed", "aimd", ""}, {"encode-once", "aimd", ""},
	} {
		if got := s.Expected(c.strategy, c.limiter); got != c.want {
			t.Errorf("Expected(%s, %s) = %q, want %q", c.strategy, c.limiter, got, c.want)
		}
	}
}

func TestParseUnits(t *testing.T) {
	check := func(line string, get func(*Spec) any, want any) {
		t.Helper()
		s, err := Parse("x.yaml", []byte(head+line))
		if err != nil {
			t.Errorf("%q: %v", line, err)
			return
		}
		if got := get(s); got != want {
			t.Errorf("%q: got %v, want %v", line, got, want)
		}
	}
	memory := func(s *Spec) any { return s.MemoryLimit }
	check("memory_limit: 4190208\n", memory, int64(4190208))
	check("memory_limit: 4190208B\n", memory, int64(4190208))
	check("memory_limit: 1.5GiB\n", memory, int64(3<<29))
	check("memory_limit: 300MB\n", memory, int64(300e6))
	check("memory_limit: 20 MiB\n", memory, int64(20<<20))
	check("memory_limit: '20MiB'\n", memory, int64(20<<20))
	check("memory_limit: 2kB\n", memory, int64(2000))
	check("memory_limit: 1TiB\n", memory, int64(1<<40))
	check("memory_limit: 1TB\n", memory, int64(1e12))
	uplink := func(s *Spec) any { return s.Network.UplinkBitsPerSec }
	check("network: {uplink: 1bit}\n", uplink, 1.0)
	check("network: {uplink: 64kbit}\n", uplink, 64e3)
	check("network: {uplink: 2.5 Gbit}\n", uplink, 2.5e9)
	latency := func(s *Spec) any { return s.Network.Latency }
	check("network: {latency: 0}\n", latency, time.Duration(0))
	check("network: {latency: 1h2m3.5s}\n", latency, time.Hour+2*time.Minute+3500*time.Millisecond)
	s, err := Parse("x.yaml", []byte("name: x\ndescription: d\nsource: {size: 3, seed: 18446744073709551615}\n"))
	if err != nil || s.Source.Seed != 1<<64-1 {
		t.Errorf("largest seed: %v, %v", s, err)
	}
	s, err = Parse("x.yaml", []byte("name: x\ndescription: >-\n  folded\n  into one line\nsource: {size: 3}\n"))
	if err != nil || s.Description != "folded into one line" {
		t.Errorf("folded description: %v, %v", s, err)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		// want is the start of the error text: file:line:col: field: msg.
		want string
	}{
		// The file as a whole.
		{"empty", "", "x.yaml:1:1: empty scenario"},
		{"comments only", "# nothing\n\n", "x.yaml:1:1: empty scenario"},
		{"null document", "~\n", "x.yaml:1:1: empty scenario"},
		{"top-level list", "- name: x\n", "x.yaml:1:1: the top level must be a mapping of fields (name: …, description: …, source: …), not a list"},
		{"top-level string", "seed-20mb\n", `x.yaml:1:1: the top level must be a mapping of fields (name: …, description: …, source: …), not "seed-20mb"`},
		{"second document", head + "---\nname: y\n", "x.yaml:5:5: a second YAML document"},
		{"syntax: unclosed list", head + "strategies: [streamed\n", "x.yaml:4:13: YAML syntax: sequence end token ']' not found"},
		{"syntax: tab indent", head + "network:\n\tpeers: 40\n", "x.yaml:5:"},
		{"syntax: bad nesting", head + "payment: auto: x\n", "x.yaml:4:10: YAML syntax: mapping value is not allowed in this context"},
		{"too long", head + strings.Repeat("# padding\n", MaxFileSize/10), "x.yaml:6553:3: file too long: a scenario file is at most 64 KiB"},
		// Refused before the YAML parser sees them: on main before the fix,
		// 64 KiB of [ took 19-34 s and 6.4 GB.
		// Sizes whose arithmetic would overflow are refused up front.
		{"size near 2^63", "name: x\ndescription: d\nsource: {size: 9223372036854775000}\n", "x.yaml:3:10: source.size: must be at most 1TiB (got 9223372036854775000 bytes)"},
		{"size 1TiB + 1", "name: x\ndescription: d\nsource: {size: 1099511627777}\n", "x.yaml:3:10: source.size: must be at most 1TiB"},
		{"count too high", head + "count: 9223372036854775807\n", "x.yaml:4:1: count: must be at most 10000"},
		{"peers too many", head + "network: {peers: 100000000}\n", "x.yaml:4:11: network.peers: must be at most 10000"},
		{"64 KiB of [", "limiters: " + strings.Repeat("[", 65000), "x.yaml:1:26: nested more than 16 levels deep"},
		{"64 KiB of {a: ", "source: " + strings.Repeat("{a: ", 16000), "x.yaml:1:69: nested more than 16 levels deep"},
		{"deep block mappings", deepBlock(17), "x.yaml:17:17: nested more than 16 levels deep"},
		{"deep block lists", "limiters:\n" + strings.Repeat("- ", 20) + "aimd\n", "x.yaml:2:31: nested more than 16 levels deep"},
		{"too many items", head + "limiters: [" + strings.Repeat("aimd, ", 2100) + "aimd]\n", "x.yaml:4:12262: more than 2048 keys, items and collections"},

		// Keys.
		{"unknown key", head + "network:\n  bandwidth: 5Mbit\n", "x.yaml:5:3: network.bandwidth: unknown field (known: peers, uplink, latency, jitter, faults)"},
		{"unknown key suggestion", head + "strategy: [streamed]\n", "x.yaml:4:1: strategy: unknown field (known: name, description, source, payment, strategies, baseline, limiters, caps, byte_budgets, transport, network, memory_limit, client, uploader, allocator, count, timeout, budgets, expect); did you mean strategies?"},
		{"unknown nested key", head + "network:\n  faults: {dead: 0, lost: 0.1}\n", "x.yaml:5:21: network.faults.lost: unknown field (known: dead, fail, timeout, already_exists)"},
		{"unknown budget key", head + "budgets:\n  - strategy: '*'\n    metric: peak-live-B\n    min: 1\n", "x.yaml:7:5: budgets[0].min: unknown field (known: strategy, metric, max, max_model_ratio)"},
		{"number as key", head + "5: x\n", "x.yaml:4:1: 5: unknown field"},
		{"duplicate key", head + "count: 1\ncount: 2\n", "x.yaml:5:1: count: duplicate key (first set at line 4)"},
		{"duplicate nested key", head + "network:\n  peers: 40\n  peers: 50\n", "x.yaml:6:3: network.peers: duplicate key (first set at line 5)"},
		{"merge key", head + "network:\n  <<: {peers: 40}\n", "x.yaml:5:3: network: YAML merge keys (<<) are not supported"},
		{"anchor", head + "count: &c 1\n", "x.yaml:4:1: count: YAML anchors (&c) are not supported"},
		{"alias", "name: &n x\ndescription: *n\n", "x.yaml:1:1: name: YAML anchors (&n) are not supported"},
		{"tag", head + "count: !!int 1\n", "x.yaml:4:1: count: YAML tags (!!int) are not supported"},
		{"null value", head + "network:\n", "x.yaml:4:1: network: has no value"},

		// Required fields.
		{"no name", "description: d\nsource: {size: 3}\n", "x.yaml:1:1: name: missing (required)"},
		{"no description", "name: x\nsource: {size: 3}\n", "x.yaml:1:1: description: missing (required)"},
		{"no source", "name: x\ndescription: d\n", "x.yaml:1:1: source: missing (required)"},
		{"no size", "name: x\ndescription: d\nsource:\n  seed: 2\n", "x.yaml:3:1: source.size: missing (required: the file size, e.g. 20MiB)"},
		{"empty name", "name: ''\ndescription: d\nsource: {size: 3}\n", "x.yaml:1:1: name: missing (required)"},
		{"bad name", "name: Seed_20\ndescription: d\nsource: {size: 3}\n", `x.yaml:1:1: name: "Seed_20" is not a valid name`},
		{"two-line description", "name: x\ndescription: |\n  one\n  two\nsource: {size: 3}\n", "x.yaml:2:1: description: must be one line"},
		{"tab in description", "name: x\ndescription: \"a\\tb\"\nsource: {size: 3}\n", "x.yaml:2:1: description: must not contain control characters"},
		{"blank description", "name: x\ndescription: ' '\nsource: {size: 3}\n", "x.yaml:2:1: description: missing (required"},

		// Wrong types.
		{"quoted count", head + "count: \"1\"\n", `x.yaml:4:1: count: want a whole number, got "1"`},
		{"float count", head + "count: 1.5\n", "x.yaml:4:1: count: want a whole number, got the number 1.5"},
		{"huge count", head + "count: 99999999999999999999\n", "x.yaml:4:1: count: 99999999999999999999 is out of range"},
		{"yes for bool", head + "transport: yes\n", `x.yaml:4:1: transport: want true or false, got "yes"`},
		{"list for mapping", head + "network: [1]\n", "x.yaml:4:1: network: want a mapping of peers, uplink, latency, jitter, faults, got a list"},
		{"string for list", head + "strategies: streamed\n", `x.yaml:4:1: strategies: want a list, got "streamed"`},
		{"number in string list", head + "strategies: [streamed, 5]\n", "x.yaml:4:24: strategies[1]: want a string, got the integer 5"},
		{"mapping for string", head + "payment: {mode: auto}\n", "x.yaml:4:1: payment: want a string, got a mapping"},
		{"string for number", head + "network: {faults: {fail: many}}\n", `x.yaml:4:20: network.faults.fail: want a number, got "many"`},
		{"quoted number", head + "network: {faults: {fail: '1'}}\n", `x.yaml:4:20: network.faults.fail: want a number, got "1"`},
		{"infinite share", head + "network: {faults: {fail: .inf}}\n", "x.yaml:4:20: network.faults.fail: must be a finite number (got .inf)"},
		{"removed key", head + "network: {scale: 100}\n", "x.yaml:4:11: network.scale: removed: time is virtual now (a discrete-event clock), so there is nothing to scale; delete the key"},
		{"unknown allocator", head + "allocator: jemalloc\n", `x.yaml:4:1: allocator: unknown allocator "jemalloc" (want glibc, mimalloc or go)`},
		{"unknown client", head + "client: tomorrow\n", `x.yaml:4:1: client: unknown client "tomorrow" (want seed, apr12, apr15, apr28 or newest; fanbench clients lists them)`},
		{"unknown client in a list", head + "client: [seed, tomorrow]\n", `x.yaml:4:16: client[1]: unknown client "tomorrow" (want seed, apr12, apr15, apr28 or newest; fanbench clients lists them)`},
		{"client twice", head + "client: [seed, seed]\n", `x.yaml:4:16: client[1]: "seed" is listed twice (also client[0])`},
		{"no client", head + "client: []\n", `x.yaml:4:1: client: lists nothing (omit the key for the default)`},
		{"nan share", head + "network:\n  faults: {fail: .nan}\n", "x.yaml:5:12: network.faults.fail: must be a finite number (got .nan)"},
		{"negative seed", "name: x\ndescription: d\nsource: {size: 3, seed: -1}\n", "x.yaml:3:19: source.seed: must be ≥ 0 (got -1)"},
		{"huge seed", "name: x\ndescription: d\nsource: {size: 3, seed: 99999999999999999999}\n", "x.yaml:3:19: source.seed: 99999999999999999999 is out of range (at most 18446744073709551615)"},
		{"string seed", "name: x\ndescription: d\nsource: {size: 3, seed: one}\n", `x.yaml:3:19: source.seed: want a whole number ≥ 0, got "one"`},
		{"decimal duration", head + "network: {latency: 1.5}\n", "x.yaml:4:11: network.latency: 1.5 needs a unit (e.g. 20ms, 10m)"},
		{"mapping for bandwidth", head + "network:\n  uplink: {mbit: 5}\n", "x.yaml:5:3: network.uplink: want a bandwidth such as 100Mbit, got a mapping"},
		{"list budget", head + "budgets: {strategy: '*'}\n", "x.yaml:4:1: budgets: want a list, got a mapping"},

		// Units.
		{"size without a known unit", "name: x\ndescription: d\nsource: {size: 20Mb}\n", `x.yaml:3:10: source.size: "20Mb" is not a size in bytes (want a number and an optional unit: B, KiB, MiB, GiB, TiB, kB, MB, GB or TB; e.g. 20MiB)`},
		{"negative size", "name: x\ndescription: d\nsource: {size: -5MiB}\n", `x.yaml:3:10: source.size: "-5MiB" is not a size in bytes`},
		{"negative integer size", "name: x\ndescription: d\nsource: {size: -5}\n", "x.yaml:3:10: source.size: -5 is not a size in bytes"},
		{"fractional bytes", head + "memory_limit: 1.5B\n", `x.yaml:4:1: memory_limit: "1.5B" is not a whole number of bytes`},
		{"size overflow", head + "memory_limit: 9000000TiB\n", `x.yaml:4:1: memory_limit: "9000000TiB" is too large`},
		{"float size", "name: x\ndescription: d\nsource: {size: 1.5}\n", "x.yaml:3:10: source.size: want a size in bytes such as 20MiB, got the number 1.5"},
		{"negative bandwidth", head + "network:\n  uplink: -5Mbit\n", `x.yaml:5:3: network.uplink: "-5Mbit" is not a positive bandwidth`},
		{"bandwidth without unit", head + "network:\n  uplink: 100\n", "x.yaml:5:3: network.uplink: 100 needs a unit: bit, kbit, Mbit or Gbit"},
		{"bandwidth in bytes", head + "network:\n  uplink: 100MB\n", `x.yaml:5:3: network.uplink: "100MB" is not a positive bandwidth`},
		{"bandwidth lowercase", head + "network:\n  uplink: 100mbit\n", `x.yaml:5:3: network.uplink: "100mbit" is not a positive bandwidth`},
		{"duration without unit", head + "network:\n  latency: 20\n", "x.yaml:5:3: network.latency: 20 needs a unit (e.g. 20ms, 10m)"},
		{"duration in words", head + "timeout: 5 minutes\n", `x.yaml:4:1: timeout: "5 minutes" is not a duration`},

		// Out of range.
		{"zero size", "name: x\ndescription: d\nsource: {size: 0}\n", "x.yaml:3:10: source.size: must be at least 3 bytes, self-encryption's minimum (got 0)"},
		{"size 2", "name: x\ndescription: d\nsource: {size: 2B}\n", "x.yaml:3:10: source.size: must be at least 3 bytes"},
		{"compressibility 1", "name: x\ndescription: d\nsource: {size: 3, compressibility: 1}\n", "x.yaml:3:19: source.compressibility: must be in [0, 1) (got 1)"},
		{"negative compressibility", "name: x\ndescription: d\nsource:\n  size: 3\n  compressibility: -0.1\n", "x.yaml:5:3: source.compressibility: must be in [0, 1) (got -0.1)"},
		{"few peers", head + "network:\n  peers: 31\n", "x.yaml:5:3: network.peers: must be at least 32, the merkle candidate pool (got 31)"},
		{"zero uplink", head + "network:\n  uplink: 0Mbit\n", "x.yaml:5:3: network.uplink: must be a finite bandwidth > 0 (got 0bit)"},
		{"negative latency", head + "network:\n  latency: -5ms\n", "x.yaml:5:3: network.latency: must be ≥ 0 (got -5ms)"},
		{"negative jitter", head + "network:\n  jitter: -1s\n", "x.yaml:5:3: network.jitter: must be ≥ 0 (got -1s)"},
		{"share above 1", head + "network:\n  faults:\n    fail: 1.5\n", "x.yaml:6:5: network.faults.fail: must be a share in [0, 1] (got 1.5)"},
		{"negative share", head + "network:\n  faults:\n    already_exists: -0.5\n", "x.yaml:6:5: network.faults.already_exists: must be a share in [0, 1] (got -0.5)"},
		{"zero memory limit", head + "memory_limit: 0\n", "x.yaml:4:1: memory_limit: must be > 0 (remove the key for no limit)"},
		{"zero count", head + "count: 0\n", "x.yaml:4:1: count: must be at least 1 (got 0)"},
		{"zero timeout", head + "timeout: 0s\n", "x.yaml:4:1: timeout: must be > 0 (got 0s)"},
		{"negative timeout", head + "timeout: -1m\n", "x.yaml:4:1: timeout: must be > 0 (got -1m0s)"},

		// Names.
		{"unknown payment", head + "payment: merkel\n", `x.yaml:4:1: payment: unknown payment mode "merkel" (want auto, single or merkle)`},
		{"unknown strategy", head + "strategies: [copy-per-peer, streamd]\n", `x.yaml:4:29: strategies[1]: unknown strategy "streamd" (want copy-per-peer, shared-buffer, encode-once or streamed); did you mean streamed?`},
		{"duplicate strategy", head + "strategies:\n  - streamed\n  - encode-once\n  - streamed\n", `x.yaml:7:5: strategies[2]: "streamed" is listed twice (also strategies[0])`},
		{"no strategies", head + "strategies: []\n", "x.yaml:4:1: strategies: lists no strategy"},
		{"fixed:0", head + "limiters: [aimd, fixed:0]\n", `x.yaml:4:18: limiters[1]: "fixed:0": the cap must be a whole number ≥ 1`},
		{"fixed:-1", head + "limiters: [fixed:-1]\n", `x.yaml:4:12: limiters[0]: "fixed:-1": the cap must be a whole number ≥ 1`},
		{"fixed:08", head + "limiters: [fixed:08]\n", `x.yaml:4:12: limiters[0]: "fixed:08": the cap must be a whole number ≥ 1 without leading zeros`},
		{"warm without cap", head + "limiters: [warm]\n", `x.yaml:4:12: limiters[0]: "warm" needs a cap: warm:N with N ≥ 1 (e.g. warm:64)`},
		{"aimd with cap", head + "limiters: [aimd:8]\n", `x.yaml:4:12: limiters[0]: "aimd:8": aimd takes no cap`},
		{"unknown limiter", head + "limiters: [fixd:8]\n", `x.yaml:4:12: limiters[0]: unknown limiter "fixd:8" (want aimd, warm:N, fixed:N, budget, budget:SIZE or budget:SIZE@INNER); did you mean fixed?`},
		{"duplicate limiter", head + "limiters: [fixed:8, aimd, fixed:8]\n", `x.yaml:4:27: limiters[2]: "fixed:8" is listed twice (also limiters[0])`},
		{"no limiters", head + "limiters: []\n", "x.yaml:4:1: limiters: lists no limiter"},
		{"budget bytes spelled otherwise", head + "limiters: [budget:67108864]\n", `x.yaml:4:12: limiters[0]: "budget:67108864": write the budget as 64MiB (budget:64MiB)`},
		{"budget of nothing", head + "limiters: [budget:0]\n", `x.yaml:4:12: limiters[0]: "budget:0": the byte budget must be > 0`},
		{"budget not bytes", head + "limiters: [budget:lots]\n", `x.yaml:4:12: limiters[0]: "budget:lots": the byte budget: "lots" is not a size in bytes`},
		{"budget in a budget", head + "limiters: [budget:64MiB@budget]\n", `x.yaml:4:12: limiters[0]: "budget:64MiB@budget": a budget's inner policy is aimd, warm:N or fixed:N, not another budget`},
		{"budget over aimd spelled out", head + "limiters: [budget:64MiB@aimd]\n", `x.yaml:4:12: limiters[0]: "budget:64MiB@aimd": aimd is the inner policy by default (write budget:64MiB)`},
		{"budget over a bad cap", head + "limiters: [budget:64MiB@fixed:0]\n", `x.yaml:4:12: limiters[0]: "budget:64MiB@fixed:0": the inner policy: "fixed:0": the cap must be`},

		// Sweeps.
		{"cap of 0", head + "caps: [8, 0]\n", "x.yaml:4:11: caps[1]: a cap must be ≥ 1 (got 0)"},
		{"cap not a number", head + "caps: [eight]\n", `x.yaml:4:8: caps[0]: want a whole number, got "eight"`},
		{"no caps", head + "caps: []\n", "x.yaml:4:1: caps: lists no cap (omit the key)"},
		{"cap twice", head + "limiters: [fixed:8]\ncaps: [16, 8]\n", `x.yaml:5:12: limiters[2]: "fixed:8" is listed twice (also limiters[0])`},
		{"byte budget of 0", head + "byte_budgets: [0]\n", "x.yaml:4:16: byte_budgets[0]: must be > 0"},
		{"byte budget without unit", head + "byte_budgets: [64XB]\n", `x.yaml:4:16: byte_budgets[0]: "64XB" is not a size in bytes`},
		{"no byte budgets", head + "byte_budgets: []\n", "x.yaml:4:1: byte_budgets: lists no budget (omit the key)"},
		{"size twice", "name: x\ndescription: d\nsource: {size: [1MiB, 3MiB, 1048576]}\n", "x.yaml:3:29: source.size[2]: 1MiB is listed twice (also source.size[0])"},
		{"size in a list too small", "name: x\ndescription: d\nsource: {size: [1MiB, 2]}\n", "x.yaml:3:23: source.size[1]: must be at least 3 bytes"},
		{"no sizes", "name: x\ndescription: d\nsource: {size: []}\n", "x.yaml:3:10: source.size: lists no size"},

		// Budgets.
		{"budget with both limits", head + "budgets:\n  - strategy: '*'\n    metric: peak-live-B\n    max: 1GiB\n    max_model_ratio: 1.1\n",
			"x.yaml:8:5: budgets[0].max_model_ratio: set either max or max_model_ratio, not both"},
		{"budget with no limit", head + "budgets:\n  - strategy: '*'\n    metric: peak-live-B\n    max: 1GiB\n  - strategy: streamed\n    metric: peak-RSS-B\n",
			"x.yaml:8:5: budgets[1]: needs a limit: max or max_model_ratio"},
		{"model ratio on RSS", head + "budgets:\n  - {strategy: '*', metric: peak-RSS-B, max_model_ratio: 1.5}\n",
			"x.yaml:5:41: budgets[0].max_model_ratio: applies only to peak-live-B, the figure the model predicts (metric is peak-RSS-B)"},
		{"unknown metric", head + "budgets:\n  - strategy: '*'\n    metric: peak-live\n    max_model_ratio: 1.5\n",
			`x.yaml:6:5: budgets[0].metric: unknown metric "peak-live" (want ns/op, peak-live-B, client-resident-B, peak-heap-B, peak-RSS-B or alloc-B); did you mean peak-live-B?`},
		{"unknown metric with max", head + "budgets:\n  - strategy: '*'\n    max: 1GiB\n    metric: peak-mem-B\n",
			`x.yaml:7:5: budgets[0].metric: unknown metric "peak-mem-B"`},
		{"no metric", head + "budgets:\n  - strategy: '*'\n    max: 1GiB\n",
			"x.yaml:5:5: budgets[0].metric: missing (required"},
		{"no strategy", head + "budgets:\n  - metric: peak-live-B\n    max: 1GiB\n",
			`x.yaml:5:5: budgets[0].strategy: missing (required: a strategy or "*")`},
		{"budget strategy not run", head + "strategies: [streamed]\nbudgets:\n  - {strategy: encode-once, metric: alloc-B, max: 1GiB}\n",
			`x.yaml:6:6: budgets[0].strategy: "encode-once" is not among this scenario's strategies (streamed)`},
		{"budget strategy unknown", head + "budgets:\n  - {strategy: shared, metric: alloc-B, max: 1GiB}\n",
			`x.yaml:5:6: budgets[0].strategy: unknown strategy "shared" (want "*" or copy-per-peer, shared-buffer, encode-once or streamed); did you mean shared-buffer?`},
		{"zero max", head + "budgets:\n  - {strategy: '*', metric: alloc-B, max: 0}\n", "x.yaml:5:38: budgets[0].max: must be > 0 (got 0)"},
		{"zero ratio", head + "budgets:\n  - {strategy: '*', metric: peak-live-B, max_model_ratio: 0}\n", "x.yaml:5:42: budgets[0].max_model_ratio: must be > 0 (got 0)"},
		{"bytes for ns/op", head + "budgets:\n  - strategy: '*'\n    metric: ns/op\n    max: 300MiB\n", `x.yaml:7:5: budgets[0].max: "300MiB" is not a duration`},
		{"duration for bytes", head + "budgets:\n  - strategy: '*'\n    metric: peak-heap-B\n    max: 10s\n", `x.yaml:7:5: budgets[0].max: "10s" is not a size in bytes`},
		{"repeated budget", head + "budgets:\n  - {strategy: '*', metric: alloc-B, max: 1GiB}\n  - {strategy: '*', metric: alloc-B, max: 2GiB}\n",
			"x.yaml:6:5: budgets[1]: repeats budgets[0] (* alloc-B)"},
		{"budget item not a mapping", head + "budgets:\n  - peak-live-B\n", `x.yaml:5:5: budgets[0]: want a mapping of strategy, metric, max, max_model_ratio, got "peak-live-B"`},

		// Expected outcomes.
		{"baseline not run", head + "strategies: [streamed, encode-once]\nbaseline: copy-per-peer\n",
			`x.yaml:5:1: baseline: "copy-per-peer" is not among this scenario's strategies (streamed, encode-once)`},
		{"expect timeout", head + "memory_limit: 4GiB\nexpect:\n  - {strategy: streamed, outcome: timeout}\n",
			`x.yaml:6:26: expect[0].outcome: "timeout" is not an outcome a scenario can expect (want oom or error`},
		{"expect oom without a limit", head + "expect:\n  - {strategy: streamed, outcome: oom}\n",
			"x.yaml:5:26: expect[0].outcome: oom needs a memory_limit"},
		{"expect no outcome", head + "expect:\n  - {strategy: streamed}\n", "x.yaml:5:5: expect[0].outcome: missing (required: oom or error)"},
		{"expect strategy not run", head + "strategies: [streamed]\nexpect:\n  - {strategy: encode-once, outcome: error}\n",
			`x.yaml:6:6: expect[0].strategy: "encode-once" is not among this scenario's strategies (streamed)`},
		{"expect limiter not run", head + "expect:\n  - {strategy: streamed, limiter: fixed:8, outcome: error}\n",
			`x.yaml:5:26: expect[0].limiter: "fixed:8" is not among this scenario's limiters (aimd); omit the key for any`},
		{"expect repeated", head + "expect:\n  - {strategy: streamed, outcome: error}\n  - {strategy: streamed, outcome: error}\n",
			"x.yaml:6:5: expect[1]: repeats expect[0] (streamed any limiter)"},
		{"expect unknown key", head + "expect:\n  - {strategy: streamed, status: error}\n",
			"x.yaml:5:26: expect[0].status: unknown field (known: strategy, limiter, outcome)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse("x.yaml", []byte(tc.in))
			if err == nil {
				t.Fatalf("Parse = %+v, want error %q", s, tc.want)
			}
			if s != nil {
				t.Errorf("Parse returned a spec with its error")
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %q is not an *Error", err, err)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error\n  %s\nwant it to start with\n  %s", err, tc.want)
			}
		})
	}
}

func TestErrorFields(t *testing.T) {
	_, err := Parse("scenarios/x.yaml", []byte(head+"network:\n  peers: 40\n  uplink: -5Mbit\n"))
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want an *Error", err)
	}
	want := Position{File: "scenarios/x.yaml", Line: 6, Col: 3}
	if e.Pos != want || e.Field != "network.uplink" || !strings.HasPrefix(e.Msg, `"-5Mbit" is not a positive bandwidth`) {
		t.Errorf("got %#v, want Pos %v, Field network.uplink", e, want)
	}
}

func TestPositionString(t *testing.T) {
	for _, tc := range []struct {
		p    Position
		want string
	}{
		{Position{"a.yaml", 7, 3}, "a.yaml:7:3"},
		{Position{"a.yaml", 7, 0}, "a.yaml:7"},
		{Position{"a.yaml", 0, 0}, "a.yaml"},
		{Position{"", 7, 3}, "7:3"},
		{Position{}, ""},
	} {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.p, got, tc.want)
		}
	}
	e := &Error{Pos: Position{"a.yaml", 0, 0}, Msg: "m"}
	if got := e.Error(); got != "a.yaml: m" {
		t.Errorf("Error() = %q", got)
	}
}

func TestSpecPos(t *testing.T) {
	const in = "# a comment\n" + head + "network:\n  peers: 40\n  faults: {dead: 0.5}\nstrategies:\n  - streamed\n  - encode-once\n"
	s, err := Parse("p.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		field string
		want  Position
	}{
		{"", Position{"p.yaml", 2, 1}},
		{"name", Position{"p.yaml", 2, 1}},
		{"source", Position{"p.yaml", 4, 1}},
		{"source.size", Position{"p.yaml", 4, 10}},
		{"source.seed", Position{"p.yaml", 4, 1}}, // default: where source was set
		{"network.peers", Position{"p.yaml", 6, 3}},
		{"network.faults.dead", Position{"p.yaml", 7, 12}},
		{"network.faults.fail", Position{"p.yaml", 7, 3}},
		{"network.uplink", Position{"p.yaml", 5, 1}},
		{"strategies[1]", Position{"p.yaml", 10, 5}},
		{"count", Position{"p.yaml", 2, 1}}, // default: the spec's start
		{"budgets[3].max", Position{"p.yaml", 2, 1}},
	} {
		if got := s.Pos(tc.field); got != tc.want {
			t.Errorf("Pos(%q) = %v, want %v", tc.field, got, tc.want)
		}
	}

	// A Spec built by hand has no positions, only its file.
	hand := &Spec{File: "flags"}
	if got := hand.Pos("network.peers"); got != (Position{File: "flags"}) {
		t.Errorf("Pos on a hand-built spec = %v", got)
	}
}

func TestValidateAfterChange(t *testing.T) {
	s, err := Parse("v.yaml", []byte(head+"count: 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	s.Count = 0
	if err := s.Validate(); err == nil || err.Error() != "v.yaml:4:1: count: must be at least 1 (got 0)" {
		t.Errorf("Validate = %v", err)
	}
	s.Count = 1
	s.Strategies = []string{"streamed"}
	s.Budgets = []Budget{{Strategy: "encode-once", Metric: "alloc-B", Max: 1}}
	if err := s.Validate(); err == nil || !strings.HasPrefix(err.Error(), `v.yaml:1:1: budgets[0].strategy: "encode-once" is not among`) {
		t.Errorf("Validate = %v", err)
	}
	hand := &Spec{File: "flags", Name: "x", Description: "d", Source: Source{Size: 3}, Payment: "auto",
		Strategies: Strategies(), Limiters: DefaultLimiters, Network: DefaultNetwork, Count: 1, Timeout: time.Second}
	if err := hand.Validate(); err != nil {
		t.Errorf("Validate(valid hand-built spec) = %v", err)
	}
	hand.Network.Peers = 0
	if err := hand.Validate(); err == nil || !strings.HasPrefix(err.Error(), "flags: network.peers: must be at least 32") {
		t.Errorf("Validate = %v", err)
	}
}

// TestLists checks that the defaults are valid and that every limiter form
// passes with a cap.
func TestLists(t *testing.T) {
	for _, l := range Limiters {
		l = strings.NewReplacer("N", "8", "SIZE", "64MiB", "INNER", "fixed:64").Replace(l)
		if err := checkLimiter(l); err != nil {
			t.Errorf("Limiters form %q: %v", l, err)
		}
	}
	for _, l := range DefaultLimiters {
		if err := checkLimiter(l); err != nil {
			t.Errorf("DefaultLimiters: %v", err)
		}
	}
	if !slices.Contains(Payments, DefaultPayment) || !slices.Contains(Metrics, ModelMetric) {
		t.Errorf("DefaultPayment or ModelMetric is not in its list")
	}
	for _, m := range Metrics {
		if m != "ns/op" && !strings.HasSuffix(m, "-B") {
			t.Errorf("metric %q is neither ns/op nor in bytes; budgetMax cannot read its unit", m)
		}
	}
}

// deepBlock returns n block mappings, each nested in the one before.
func deepBlock(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%sa:\n", strings.Repeat(" ", i))
	}
	return b.String()
}

// specEqual compares two specs, ignoring File and positions.
func specEqual(a, b *Spec) bool {
	return reflect.DeepEqual(stripped(a), stripped(b))
}

func stripped(s *Spec) Spec {
	c := *s
	c.File, c.pos = "", nil
	c.Budgets = slices.Clone(c.Budgets)
	for i := range c.Budgets {
		c.Budgets[i].Pos = Position{}
	}
	if len(c.Budgets) == 0 {
		c.Budgets = nil
	}
	c.Expect = slices.Clone(c.Expect)
	for i := range c.Expect {
		c.Expect[i].Pos = Position{}
	}
	if len(c.Expect) == 0 {
		c.Expect = nil
	}
	return c
}
