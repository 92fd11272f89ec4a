package fit

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// threshold is a fake run: steps up to max fit, the rest are killed; it
// records the steps it ran.
type threshold struct {
	max   int
	steps []int
	fail  int // a step whose run crashes; 0 none
}

func (f *threshold) probe(_ context.Context, step int) (Outcome, error) {
	f.steps = append(f.steps, step)
	if step == f.fail {
		return Outcome{}, errors.New("crashed")
	}
	if step <= f.max {
		return Outcome{Fits: true, Status: "ok", PeakLive: int64(step) << 20}, nil
	}
	return Outcome{Status: "oom"}, nil
}

func TestSearch(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		max, proposal, bound int
		steps                []int
	}{
		{"the proposal is the answer", 11, 11, 64, []int{11, 12}},
		{"one below", 10, 11, 64, []int{11, 10}},
		{"one above", 12, 11, 64, []int{11, 12, 13}},
		{"two above", 13, 11, 64, []int{11, 12, 13, 14}},
		{"far above", 30, 11, 64, []int{11, 12, 13, 14, 16, 20, 28, 44, 36, 32, 30, 31}},
		{"far below", 2, 11, 64, []int{11, 10, 9, 8, 6, 2, 4, 3}},
		{"nothing fits", 0, 3, 64, []int{3, 2, 1}},
		{"nothing fits, proposal 0", 0, 0, 64, []int{1}},
		{"everything fits", 64, 60, 64, []int{60, 61, 62, 63, 64}},
		{"everything fits at the bound", 64, 64, 64, []int{64}},
		{"proposal beyond the bound", 5, 99, 9, []int{9, 8, 7, 6, 4, 5}},
		{"an axis of one step that fits", 1, 1, 1, []int{1}},
		{"an axis of one step that is killed", 0, 1, 1, []int{1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &threshold{max: tc.max}
			a, err := Search(context.Background(), f.probe, Fixed(tc.proposal), tc.bound)
			if err != nil {
				t.Fatal(err)
			}
			if a.Max != tc.max || a.Bound != tc.bound {
				t.Errorf("Max %d of %d, want %d of %d", a.Max, a.Bound, tc.max, tc.bound)
			}
			if !slices.Equal(f.steps, tc.steps) {
				t.Errorf("ran %v, want %v", f.steps, tc.steps)
			}
			// The answer completes and the next step is killed, both run.
			if at, ok := a.At(a.Max); a.Max > 0 && (!ok || !at.Fits || at.Step != a.Max) {
				t.Errorf("the answer %d: run %v %+v", a.Max, ok, at)
			}
			if next, ok := a.At(a.Max + 1); a.Max < a.Bound && (!ok || next.Fits) {
				t.Errorf("the next step %d: run %v %+v", a.Max+1, ok, next)
			}
			if len(a.Runs) != len(f.steps) {
				t.Errorf("%d runs kept, %d ran", len(a.Runs), len(f.steps))
			}
		})
	}
}

// TestSearchError checks that a run the search cannot judge stops it.
func TestSearchError(t *testing.T) {
	f := &threshold{max: 20, fail: 13}
	a, err := Search(context.Background(), f.probe, Fixed(11), 64)
	if err == nil || err.Error() != "crashed" {
		t.Fatalf("err %v, want crashed", err)
	}
	if !slices.Equal(f.steps, []int{11, 12, 13}) || len(a.Runs) != 2 {
		t.Errorf("ran %v, kept %d runs", f.steps, len(a.Runs))
	}
	if _, err := Search(context.Background(), f.probe, Fixed(1), 0); err == nil {
		t.Error("an empty axis: no error")
	}
}

// TestProposer checks the model's proposals: the first from the
// predictions alone, the second scaled by the first run's resident/live
// ratio; and a search that uses them, where the client's resident memory
// is 80 % of its live bytes, as untouched pages of encode buffers make it.
func TestProposer(t *testing.T) {
	const mib = 1 << 20
	live := func(k int) int64 { return int64(100+70*k) * mib }
	p := Proposer{Limit: 1536 * mib}
	for k := 1; k <= 64; k++ {
		p.Predicted = append(p.Predicted, live(k))
	}
	if got := p.Propose(nil); got != 20 { // 1500 MiB < 1536 MiB ≤ 1570 MiB
		t.Errorf("first proposal %d, want 20", got)
	}
	// A run at 20 held 1200 MiB resident of 1500 MiB live: 0.8.
	if got := p.Propose([]Outcome{{PeakLive: 1500 * mib, Resident: 1200 * mib}}); got != 25 { // 0.8 × 1850 = 1480 < 1536 ≤ 0.8 × 1920
		t.Errorf("second proposal %d, want 25", got)
	}
	var ran []int
	probe := func(_ context.Context, k int) (Outcome, error) {
		ran = append(ran, k)
		res := live(k) * 4 / 5
		return Outcome{Fits: res < p.Limit, PeakLive: live(k), Resident: min(res, p.Limit)}, nil
	}
	a, err := Search(context.Background(), probe, p.Propose, 64)
	if err != nil || a.Max != 25 || !slices.Equal(ran, []int{20, 25, 26}) {
		t.Errorf("search: max %d, ran %v, %v; want 25 in runs [20 25 26]", a.Max, ran, err)
	}
	// A baseline counts against the limit and is no part of the ratio.
	p.Baseline = 300 * mib
	if got := p.Propose(nil); got != 16 { // 1220 + 300 < 1536 ≤ 1290 + 300
		t.Errorf("first proposal with a baseline %d, want 16", got)
	}
}
