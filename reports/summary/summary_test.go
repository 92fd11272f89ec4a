package summary

import (
	"bytes"
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fanbench/fanbench/harness/result"

	"github.com/fanbench/fanbench/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const mb = 1 << 20

func rec(scen, strat, lim string, rep int, st result.Status, peak int64, limit int64) *result.Record {
	r := &result.Record{Version: result.Version, Scenario: scen, Strategy: strat, Limiter: lim, Rep: rep,
		Env: result.Env{MemoryLimit: limit}, Status: st, Stored: 9, Total: 9,
		Live: result.Live{Peak: peak}, Runtime: result.Runtime{PeakHeap: peak + 30*mb}, OS: result.OS{PeakRSS: peak + 40*mb}}
	if st == result.OK {
		r.ModelPeak = peak - peak/1000*int64(rep%2)
	} else {
		r.Stored = 5
	}
	return r
}

// fixture: "seed" at 4 GiB where three of four strategies OOM (streamed
// twice OK, copy-per-peer once OK once OOM), a profiling run that must not
// count, and an unlimited sweep "sweep" over fixed:8 and fixed:16.
func fixture() []*result.Record {
	const gib4 = 4 << 30
	prof := rec("seed", "streamed", "aimd", 3, result.OK, 999*mb, gib4)
	prof.Profile = true
	return []*result.Record{
		rec("seed", "copy-per-peer", "aimd", 1, result.OK, 460*mb, gib4),
		rec("seed", "copy-per-peer", "aimd", 2, result.OOM, 3900*mb, gib4),
		rec("seed", "shared-buffer", "aimd", 1, result.OOM, 3000*mb, gib4),
		rec("seed", "encode-once", "aimd", 1, result.OOM, 2000*mb, gib4),
		rec("seed", "streamed", "aimd", 2, result.OK, 22*mb, gib4),
		rec("seed", "streamed", "aimd", 1, result.OK, 20*mb, gib4),
		prof,
		rec("sweep", "streamed", "fixed:16", 1, result.OK, 40*mb, 0),
		rec("sweep", "streamed", "fixed:8", 1, result.OK, 20*mb, 0),
		rec("sweep", "copy-per-peer", "fixed:16", 1, result.OK, 900*mb, 0),
		rec("sweep", "copy-per-peer", "fixed:8", 1, result.Timeout, 0, 0),
	}
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"plain", Options{}},
		{"comparison", Options{Title: "PR #82 | seed", Comparison: "peak-live-B  460Mi ± 0%  21Mi ± 0%  -95.4% (p=0.000 n=10)\n```\n",
			Base: baseFixture(), Batch: result.Batch{ID: "20261201T100000.000000000Z-1a2b3c4d", Commit: "c03aece59925-dirty"}}},
		{"interrupted", Options{Batch: result.Batch{ID: "20261201T100000.000000000Z-1a2b3c4d", Commit: "c03aece59925", Planned: 20, Finished: 11,
			Interrupted: "SIGINT", Budgets: true, Unexpected: []string{"seed/shared-buffer-1 (aimd): oom, expected to finish: killed"},
			Notes: []string{"budget x.yaml:3:5: streamed peak-live-B ≤ 256.0 MiB dropped"}, Baselines: map[string]string{"sweep": "streamed"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, fixture(), tt.opts); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", tt.name+".md.golden"), b.Bytes(), *update)
		})
	}
}

// baseFixture is fixture's seed as a base commit ran it: copy-per-peer's
// encode site 100 MiB lower at the peak, streamed's chunks 1 MiB higher.
func baseFixture() []*result.Record {
	var out []*result.Record
	for _, r := range fixture() {
		if r.Scenario != "seed" {
			continue
		}
		c := *r
		c.Live.AtPeak = map[string]int64{"encode": 0, "chunk": 20 * mb}
		out = append(out, &c)
	}
	return out
}

// TestVerdict checks the headline: each strategy against the baseline
// (copy-per-peer, or the scenario's), PR #82's fix first, with its change.
func TestVerdict(t *testing.T) {
	recs := fixture()
	recs = append(recs, rec("seed", "shared-buffer", "aimd", 2, result.OK, 380*mb, 4<<30))
	for _, r := range recs {
		if r.Scenario == "seed" && r.Status == result.OOM && r.Strategy != "shared-buffer" {
			r.Expected = result.OOM
		}
	}
	var b bytes.Buffer
	if err := Write(&b, recs, Options{Batch: result.Batch{Baselines: map[string]string{"sweep": "streamed"}}}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"**seed**: peak live against copy-per-peer's 460.0 MiB: shared-buffer (PR #82) 380.0 MiB (−17.4 %), encode-once 1 oom, streamed 21.0 MiB (−95.4 %); 3 of 4 strategies OOM at 4 GiB (copy-per-peer, shared-buffer, encode-once).",
		"**sweep**: peak live at fixed:16 against streamed's 40.0 MiB: copy-per-peer 900.0 MiB (+2150.0 %); 1 of 2 strategies had failed runs (copy-per-peer).",
		"| seed | shared-buffer | aimd | 1 of 2 | 1 ok, 1 oom | 380.0 MiB | −17.4 % |",
		"| seed | copy-per-peer | aimd | 1 of 2 | 1 ok, 1 oom | 460.0 MiB | baseline |",
		"| sweep | copy-per-peer | fixed:8 | 0 of 1 | 1 timeout | — | — |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing verdict %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "999.0") {
		t.Error("the profiling run counted")
	}
}

func TestBudgetLines(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{Batch: result.Batch{Budgets: true}}, "Every budget met."},
		{Options{Batch: result.Batch{Budgets: true, Interrupted: "SIGTERM"}}, "Every budget met by the finished runs."},
		{Options{Batch: result.Batch{Budgets: true, Breaches: []result.Breach{{Budget: "x.yaml:7:5", Scenario: "s", Strategy: "m", Limiter: "aimd", Metric: "peak-live-B", Value: 5, Max: 4, Profile: "p|q"}}}}, "- budget x.yaml:7:5: s/m (aimd) peak-live-B = 5, limit 4; p\\|q"},
		{Options{Batch: result.Batch{Budgets: true, Breaches: []result.Breach{{Text: "an older fanbench's line"}}}}, "- an older fanbench's line"},
		{Options{Batch: result.Batch{FromRuns: true, Finished: 3}}, "**The batch did not finish** (it wrote no results.json; killed?): the figures below cover the 3 runs it recorded in runs/."},
	} {
		var b strings.Builder
		if err := Write(&b, nil, tc.opts); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), tc.want) {
			t.Errorf("summary lacks %q:\n%s", tc.want, b.String())
		}
	}
}

// TestExpectedOOM checks that OOMs the scenario expects are said to be.
func TestExpectedOOM(t *testing.T) {
	recs := fixture()
	for _, r := range recs {
		if r.Status == result.OOM {
			r.Expected = result.OOM
		}
	}
	var b bytes.Buffer
	if err := Write(&b, recs, Options{}); err != nil {
		t.Fatal(err)
	}
	if want := "3 of 4 strategies OOM at 4 GiB (copy-per-peer, shared-buffer, encode-once), as the scenario expects."; !strings.Contains(b.String(), want) {
		t.Errorf("summary lacks %q:\n%s", want, b.String())
	}
}

func TestSiteChange(t *testing.T) {
	head := fixture()
	for _, r := range head {
		r.Live.AtPeak = map[string]int64{"encode": 100 * mb, "chunk": 21 * mb}
	}
	got := siteChange(baseFixture(), head)
	if want := "Largest site change against the base: **encode +100.0 MiB** at the peak (seed/copy-per-peer, aimd: 0.0 MiB → 100.0 MiB)."; got != want {
		t.Errorf("siteChange =\n%s\nwant\n%s", got, want)
	}
	if got := siteChange(baseFixture(), baseFixture()); got != "No site's live bytes at the peak changed against the base." {
		t.Errorf("siteChange(same) = %s", got)
	}
}
