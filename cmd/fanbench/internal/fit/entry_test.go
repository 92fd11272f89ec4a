package fit

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"reflect"
	"testing"

	"github.com/fanbench/fanbench/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fixture returns the answers of a fake search: strategies whose resident
// memory grows by perCap MiB per cap, from base MiB, under a 200 MiB limit
// over an axis of 9 caps; the model predicts live bytes 20 % above.
func fixture(t *testing.T) []Entry {
	t.Helper()
	var es []Entry
	for _, s := range []struct {
		strategy     string
		base, perCap int64
	}{{"copy-per-peer", 40, 70}, {"shared-buffer", 40, 50}, {"encode-once", 30, 40}, {"streamed", 20, 0}} {
		const limit, bound = 200 << 20, 9
		resident := func(k int) int64 { return (s.base + s.perCap*int64(k)) << 20 }
		live := func(k int) int64 { return resident(k) * 6 / 5 }
		probe := func(lim func(int) string) Probe {
			return func(_ context.Context, k int) (Outcome, error) {
				o := Outcome{Setting: lim(k), Fits: resident(k) < limit, Resident: min(resident(k), limit), PeakLive: live(k), Total: 9}
				if o.Fits {
					o.Status, o.ModelPeak, o.Stored = "ok", live(k), 9
				} else {
					o.Status = "oom"
				}
				return o, nil
			}
		}
		e := Entry{Strategy: s.strategy, Scenario: "seed-20mb", Size: 20 << 20, MemLimit: limit, Allocator: "glibc", BudgetInner: "fixed:64"}
		for k := 1; k <= bound; k++ {
			e.Predicted = append(e.Predicted, live(k))
			if live(k) < limit {
				e.ProposedCap = k
			}
		}
		caps, err := Search(context.Background(), probe(func(k int) string { return fmt.Sprintf("fixed:%d", k) }), Proposer{Predicted: e.Predicted, Limit: limit}.Propose, bound)
		if err != nil {
			t.Fatal(err)
		}
		budget := func(k int) int64 { return int64(k+1)*4_190_208 - 1 }
		var budgets *Answer
		if caps.Max < bound {
			b, err := Search(context.Background(), probe(func(k int) string { return "budget" }), Fixed(caps.Max), bound)
			if err != nil {
				t.Fatal(err)
			}
			budgets = &b
		}
		e.Answer(caps, budgets, budget)
		e.Setting = Setting(&e)
		es = append(es, e)
	}
	return es
}

// TestAnswers checks each strategy's answers against the fake's threshold,
// the settings to paste, and that fit.json reads back the same.
func TestAnswers(t *testing.T) {
	es := fixture(t)
	for i, want := range []struct {
		max     int
		budget  int64 // -1: not needed
		setting string
	}{
		{2, 3*4_190_208 - 1, "ant --store-concurrency 2; or STORE_INFLIGHT_BYTE_BUDGET = 12_570_623 (12.0 MiB)"},
		{3, 4*4_190_208 - 1, "ant --store-concurrency 3; or STORE_INFLIGHT_BYTE_BUDGET = 16_760_831 (16.0 MiB)"},
		{4, 5*4_190_208 - 1, "ant --store-concurrency 4; or STORE_INFLIGHT_BYTE_BUDGET = 20_951_039 (20.0 MiB)"},
		{9, -1, "none needed: every store cap up to 9 completes"},
	} {
		e := es[i]
		if e.MaxFixedCap != want.max || e.Setting != want.setting {
			t.Errorf("%s: max cap %d, setting %q; want %d, %q", e.Strategy, e.MaxFixedCap, e.Setting, want.max, want.setting)
		}
		switch {
		case want.budget < 0 && e.MaxByteBudget != nil:
			t.Errorf("%s: a budget %d where none is needed", e.Strategy, *e.MaxByteBudget)
		case want.budget >= 0 && (e.MaxByteBudget == nil || *e.MaxByteBudget != want.budget):
			t.Errorf("%s: budget %v, want %d", e.Strategy, e.MaxByteBudget, want.budget)
		}
		if e.MaxFixedCap < e.CapBound && (e.Next == nil || e.Next.Fits || e.Next.Step != e.MaxFixedCap+1) {
			t.Errorf("%s: next %+v", e.Strategy, e.Next)
		}
		if e.Resident == 0 || e.PeakLive == 0 || e.ModelPeak != e.PeakLive {
			t.Errorf("%s: figures at the answer %d %d %d", e.Strategy, e.Resident, e.PeakLive, e.ModelPeak)
		}
	}
	dir := t.TempDir()
	if err := WriteFile(dir, es); err != nil {
		t.Fatal(err)
	}
	back, err := ReadFile(dir)
	if err != nil || !reflect.DeepEqual(back, es) {
		t.Errorf("ReadFile = %v, %v", back, err)
	}
}

// TestSettingEdges checks the settings where there is nothing to set, and
// the cap ant reads as unpinned.
func TestSettingEdges(t *testing.T) {
	zero := int64(0)
	for _, tc := range []struct {
		e    Entry
		want string
	}{
		{Entry{MaxFixedCap: 0, CapBound: 64, MaxByteBudget: &zero}, "none: even one store at a time is killed at this limit"},
		{Entry{MaxFixedCap: 64, CapBound: 64}, "none needed: every store cap up to 64 completes"},
		{Entry{MaxFixedCap: 8, CapBound: 64}, "ant --store-concurrency 7 (8 is read as not pinned)"},
		{Entry{MaxFixedCap: 16, CapBound: 64, MaxByteBudget: ptr(int64(71_233_535))}, "ant --store-concurrency 16; or STORE_INFLIGHT_BYTE_BUDGET = 71_233_535 (67.9 MiB)"},
	} {
		if got := Setting(&tc.e); got != tc.want {
			t.Errorf("Setting(%+v) = %q, want %q", tc.e, got, tc.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// TestGolden checks the table and the chart against testdata (go test
// -update rewrites them).
func TestGolden(t *testing.T) {
	es := fixture(t)
	var text, svg bytes.Buffer
	if err := WriteText(&text, es); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/fit.txt", text.Bytes(), *update)
	if err := WriteChart(&svg, es); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/fit.svg", svg.Bytes(), *update)
	if err := WriteChart(&svg, nil); err == nil {
		t.Error("a chart of nothing: no error")
	}
}
