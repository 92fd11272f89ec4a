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
		{"comparison", Options{Title: "PR #82 | seed", Comparison: "peak-live-B  460Mi ± 0%  21Mi ± 0%  -95.4% (p=0.000 n=10)\n```\n"}},
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

func TestVerdict(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, fixture(), Options{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"**seed**: copy-per-peer peaks at 460.0 MiB, 21.9× streamed (21.0 MiB); 3 of 4 strategies OOM at 4 GiB (copy-per-peer, shared-buffer, encode-once).",
		"**sweep**: copy-per-peer peaks at 900.0 MiB (fixed:16), 22.5× streamed (40.0 MiB, fixed:16); 1 of 2 strategies had failed runs (copy-per-peer).",
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
		{Options{Budgets: true}, "Every budget met."},
		{Options{Budgets: true, Breaches: []string{"budget x.yaml:7:5: s/m (aimd) peak-live-B = 5, limit 4; p|q"}}, "- budget x.yaml:7:5: s/m (aimd) peak-live-B = 5, limit 4; p\\|q"},
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
