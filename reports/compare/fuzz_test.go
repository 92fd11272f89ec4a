package compare

import (
	"math"
	"strings"
	"testing"
	"time"
)

// FuzzCompare checks that Compare, reading two files of outside input, never
// panics or hangs (go-moremath's U test loops forever on NaN, so a NaN must
// never reach it), that what it accepts holds finite samples only, and that
// the report renders. The corpus starts from NaN, infinities and files of 4
// and more samples a side.
//
// CI runs it briefly: make fuzz.
func FuzzCompare(f *testing.F) {
	six := strings.Repeat("BenchmarkUpload/x-2 1 100 peak-live-B\n", 6)
	four := "Unit peak-live-B better=lower\nBenchmarkUpload/x-2 1 100 peak-live-B\nBenchmarkUpload/x-2 1 101 peak-live-B\nBenchmarkUpload/x-2 1 102 peak-live-B\nBenchmarkUpload/x-2 1 103 peak-live-B\n"
	for _, c := range [][2]string{
		{six, "BenchmarkUpload/x-2 1 NaN peak-live-B\n"},
		{six, "BenchmarkUpload/x-2 1 +Inf peak-live-B\nBenchmarkUpload/x-2 1 -Inf peak-live-B\n"},
		{four, strings.ReplaceAll(four, " 10", " 12")},
		{four, four},
		{gen{n: 6}.String(), gen{n: 6, live: 1.2}.String()},
		{gen{n: 4, commit: "a"}.String(), gen{n: 5, commit: "b", model: 1.1}.String()},
		{"Unit peak-live-B assume=exact\n" + six, "Unit peak-live-B assume=exact\n" + strings.ReplaceAll(six, "100", "1e308")},
		{six, "BenchmarkUpload/x-2 1 100 peak-live-B 5 sec/op\n"},
	} {
		f.Add([]byte(c[0]), []byte(c[1]))
	}
	f.Fuzz(func(t *testing.T, old, new []byte) {
		done := make(chan struct{})
		var r *Report
		var err error
		go func() {
			defer close(done)
			r, err = Compare(strings.NewReader(string(old)), strings.NewReader(string(new)), "old.bench", "new.bench", Options{})
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("Compare hung on\nold:\n%q\nnew:\n%q", old, new)
		}
		if err != nil {
			return
		}
		for _, m := range r.Metrics {
			for _, v := range append(m.Old.Values, m.New.Values...) {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("%s %s: sample %v passed through", m.Benchmark, m.Unit, v)
				}
			}
			if m.Gating && m.Verdict == Unjudged && r.Outcome() == Pass {
				t.Fatalf("%s %s unjudged, yet the outcome is a pass", m.Benchmark, m.Unit)
			}
		}
		var b strings.Builder
		if err := r.WriteText(&b); err != nil {
			t.Fatal(err)
		}
	})
}
