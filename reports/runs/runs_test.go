package runs

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/fanbench/fanbench/harness/result"
)

func rec(scen, strat, lim string, rep int, st result.Status, peak int64) *result.Record {
	r := &result.Record{Scenario: scen, Strategy: strat, Limiter: lim, Rep: rep, Status: st}
	r.Live.Peak = peak
	return r
}

func TestGroups(t *testing.T) {
	prof := rec("a", "streamed", "none", 0, result.OK, 1)
	prof.Profile = true
	recs := []*result.Record{
		rec("b", "copy-per-peer", "none", 0, result.OK, 1),
		rec("a", "zeta", "fixed:16", 0, result.OK, 1),
		rec("a", "streamed", "fixed:16", 1, result.OOM, 1),
		rec("a", "streamed", "fixed:16", 0, result.OK, 1),
		rec("a", "copy-per-peer", "fixed:16", 0, result.OK, 1),
		rec("a", "alpha", "fixed:8", 0, result.OK, 1),
		rec("a", "streamed", "none", 0, result.OK, 1),
		rec("a", "streamed", "none", 2, result.Cancelled, 0), // measured nothing
		rec("c", "streamed", "none", 1, result.Cancelled, 0),
		prof,
		nil,
	}
	var got []string
	for _, g := range Groups(recs) {
		var reps []string
		for _, r := range g.Runs {
			if r.Profile {
				t.Errorf("%s/%s/%s: profile run not skipped", g.Scenario, g.Strategy, g.Limiter)
			}
			reps = append(reps, fmt.Sprint(r.Rep))
		}
		got = append(got, fmt.Sprintf("%s/%s/%s runs=%s ok=%d",
			g.Scenario, g.Limiter, g.Strategy, strings.Join(reps, ","), len(g.OK)))
	}
	want := []string{
		"a/none/streamed runs=0 ok=1",
		"a/fixed:8/alpha runs=0 ok=1",
		"a/fixed:16/copy-per-peer runs=0 ok=1",
		"a/fixed:16/streamed runs=0,1 ok=1",
		"a/fixed:16/zeta runs=0 ok=1",
		"b/none/copy-per-peer runs=0 ok=1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Groups:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestStatOf(t *testing.T) {
	peak := func(r *result.Record) float64 { return float64(r.Live.Peak) }
	for _, tc := range []struct {
		name  string
		peaks []int64
		want  Stat
	}{
		{"empty", nil, Stat{}},
		{"one", []int64{7}, Stat{N: 1, Med: 7, Min: 7, Max: 7}},
		// CV by hand: mean 14/3, squared deviations sum 32.667, /2, sqrt
		// 4.0415, over the mean: 86.60 %.
		{"odd", []int64{9, 1, 4}, Stat{N: 3, Med: 4, Min: 1, Max: 9, CV: 86.6025}},
		// mean 3.75, squared deviations 28.75, /3, sqrt 3.0957: 82.55 %.
		{"even", []int64{8, 1, 4, 2}, Stat{N: 4, Med: 3, Min: 1, Max: 8, CV: 82.5519}},
	} {
		var rs []*result.Record
		for _, p := range tc.peaks {
			rs = append(rs, rec("s", "x", "none", 0, result.OK, p))
		}
		got := StatOf(rs, peak)
		if math.Abs(got.CV-tc.want.CV) < 1e-4 {
			got.CV = tc.want.CV
		}
		if got != tc.want {
			t.Errorf("%s: StatOf = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestStatuses(t *testing.T) {
	for _, tc := range []struct {
		statuses []result.Status
		want     string
	}{
		{nil, ""},
		{[]result.Status{result.OOM, result.OK, result.OK}, "2 ok, 1 oom"},
		{[]result.Status{"weird", result.Crash, result.Failed, result.Timeout, result.OK}, "1 ok, 1 error, 1 timeout, 1 crash, 1 weird"},
	} {
		var rs []*result.Record
		for _, s := range tc.statuses {
			rs = append(rs, rec("s", "x", "none", 0, s, 0))
		}
		if got := Statuses(rs); got != tc.want {
			t.Errorf("Statuses(%v) = %q, want %q", tc.statuses, got, tc.want)
		}
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		b    int64
		want string
	}{
		{0, "0.0 MiB"},
		{3 << 19, "1.5 MiB"},
		{4 << 30, "4 GiB"},
		{(4 << 30) + (1 << 20), "4097.0 MiB"},
	} {
		if got := FormatBytes(tc.b); got != tc.want {
			t.Errorf("FormatBytes(%d) = %q, want %q", tc.b, got, tc.want)
		}
	}
}

// TestLimiterCap checks the caps read from limiter names, through the
// limiter grammar: a cap for fixed and warm, none for aimd and budgets.
func TestLimiterCap(t *testing.T) {
	for _, tc := range []struct {
		l   string
		cap float64
		ok  bool
	}{
		{"fixed:16", 16, true}, {"warm:64", 64, true}, {"8", 8, true},
		{"aimd", 0, false}, {"budget", 0, false}, {"budget:64MiB@fixed:64", 0, false}, {"fixed:x", 0, false},
	} {
		if c, ok := LimiterCap(tc.l); c != tc.cap || ok != tc.ok {
			t.Errorf("LimiterCap(%q) = %v, %v; want %v, %v", tc.l, c, ok, tc.cap, tc.ok)
		}
	}
}
