package budget

import (
	"slices"
	"strings"
	"testing"

	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/scenarios"
)

// spec is a scenario with one budget of each kind, and one on every
// strategy.
const spec = `name: b
description: budgets of each kind
source: {size: 3MiB}
strategies: [copy-per-peer, shared-buffer, streamed]
limiters: ["fixed:8"]
budgets:
  - {strategy: streamed, metric: peak-live-B, max: 4MiB}
  - {strategy: shared-buffer, metric: peak-live-B, max_model_ratio: 1.01}
  - {strategy: "*", metric: client-resident-B, max: 10MiB}
  - {strategy: copy-per-peer, metric: ns/op, max: 1s}
`

// rec is a finished measured run of strategy at cap 8.
func rec(strategy string, rep int, live, model, resident, wall int64) *result.Record {
	return &result.Record{Scenario: "b", Strategy: strategy, Limiter: "fixed:8", Rep: rep, Status: result.OK,
		Live: result.Live{Peak: live}, ModelPeak: model, Memory: result.Memory{PeakResident: resident}, Upload: result.Upload{Wall: wall}}
}

// TestCheck judges each budget on the medians of the runs that finished:
// what breaks, with what figures, and what holds.
func TestCheck(t *testing.T) {
	s, err := scenarios.Parse("b.yaml", []byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	const mib = 1 << 20
	oom := rec("copy-per-peer", 2, 0, 0, 0, 0)
	oom.Status = result.OOM
	for _, tc := range []struct {
		name string
		recs []*result.Record
		want []string
	}{
		{"all within", []*result.Record{
			rec("streamed", 1, 4*mib, 4*mib, 9*mib, 1e8), rec("streamed", 2, 3*mib, 3*mib, 9*mib, 1e8),
			rec("shared-buffer", 1, 20*mib, 20*mib, 9*mib, 1e8), rec("copy-per-peer", 1, 30*mib, 30*mib, 9*mib, 1e9),
		}, nil},
		{"medians over the finished runs", []*result.Record{
			// streamed: median of 3, 5 and 6 MiB is 5 MiB > 4 MiB.
			rec("streamed", 1, 3*mib, 0, 1, 1), rec("streamed", 2, 5*mib, 0, 1, 1), rec("streamed", 3, 6*mib, 0, 1, 1),
			// shared-buffer: 21/20 = 1.05 × the model.
			rec("shared-buffer", 1, 21*mib, 20*mib, 1, 1),
			// copy-per-peer: one run over 1 s and over 10 MiB resident; the
			// other killed, and not counted.
			rec("copy-per-peer", 1, 1, 0, 11*mib, 2e9), oom,
			{Scenario: "b", Strategy: "streamed", Limiter: "fixed:8", Profile: true, Status: result.OK, PeakProfile: "profiles/b/streamed-fixed_8-profile.peak.pb.gz"},
		}, []string{
			"budget b.yaml:7:5: b/streamed (fixed:8) peak-live-B = 5242880, limit 4194304; dir/profiles/b/streamed-fixed_8-profile.peak.pb.gz",
			"budget b.yaml:8:5: b/shared-buffer (fixed:8) peak-live-B = 22020096, 1.0500 × the model's 20971520, limit 1.0100 ×; no peak profile",
			"budget b.yaml:9:5: b/copy-per-peer (fixed:8) client-resident-B = 11534336, limit 10485760; no peak profile",
			"budget b.yaml:10:5: b/copy-per-peer (fixed:8) ns/op = 2000000000, limit 1000000000; no peak profile",
		}},
		{"no run finished, no model", []*result.Record{oom, rec("shared-buffer", 1, 21*mib, 0, 1, 1)}, []string{
			"budget b.yaml:8:5: b/shared-buffer (fixed:8) peak-live-B: no model prediction for this run; no peak profile",
			"budget b.yaml:9:5: b/copy-per-peer (fixed:8) client-resident-B: no run finished (1 oom); no peak profile",
			"budget b.yaml:10:5: b/copy-per-peer (fixed:8) ns/op: no run finished (1 oom); no peak profile",
		}},
	} {
		var got []string
		for _, b := range Check(s, tc.recs, "dir") {
			got = append(got, b.String())
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: breaches\n%s\nwant\n%s", tc.name, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
		}
	}
}

// TestDropAbsolute checks that a built-in's absolute budgets are dropped,
// with a note, when a flag changes the settings they were written for, and
// that budgets relative to the model stay. On main before the fix,
// seed-20mb's streamed budget of 256 MiB broke at -size 1073741824.
func TestDropAbsolute(t *testing.T) {
	seed, err := scenarios.Builtin("seed-20mb")
	if err != nil {
		t.Fatal(err)
	}
	smoke, err := scenarios.Builtin("smoke")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		spec  *scenarios.Spec
		flags []string
		kept  int
		note  string
	}{
		{seed, nil, 1, ""},
		{seed, []string{"count", "strategies", "seed", "memlimit"}, 1, ""},
		{seed, []string{"size"}, 0, "budget builtin:seed-20mb.yaml:13:5: streamed peak-live-B ≤ 256.0 MiB dropped: it was written for the scenario's own settings, and -size changed them"},
		{seed, []string{"transport", "payment", "limiter"}, 0, "and -limiter, -payment, -transport changed them"},
		{smoke, []string{"size", "limiter"}, 1, ""}, // max_model_ratio follows the model
	} {
		kept, notes := DropAbsolute(c.spec.Budgets, c.flags)
		if len(kept) != c.kept || (c.note == "") != (len(notes) == 0) || c.note != "" && !strings.Contains(notes[0], c.note) {
			t.Errorf("%s with %v: kept %d, notes %q; want %d, %q", c.spec.Name, c.flags, len(kept), notes, c.kept, c.note)
		}
	}
}

// TestKeep checks that the budgets of strategies no longer run go, and
// those of every strategy stay.
func TestKeep(t *testing.T) {
	s, err := scenarios.Parse("b.yaml", []byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range Keep(s.Budgets, []string{"streamed"}) {
		got = append(got, b.Strategy+" "+b.Metric)
	}
	if want := []string{"streamed peak-live-B", "* client-resident-B"}; !slices.Equal(got, want) {
		t.Errorf("Keep = %q, want %q", got, want)
	}
}
