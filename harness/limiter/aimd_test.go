package limiter

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// fast is the latency of a healthy sample unless a step says otherwise.
const fast = 100 * time.Millisecond

// step feeds n samples whose outcomes cycle through pat (S success,
// T timeout, N network error, A application error), each with latency lat
// (fast when zero), then expects the cap to be want and, when base is not
// zero, the latency baseline to be base.
type step struct {
	n    int
	pat  string
	lat  time.Duration
	want int
	base time.Duration
}

func outcomeOf(t *testing.T, c byte) Outcome {
	t.Helper()
	switch c {
	case 'S':
		return Success
	case 'T':
		return Timeout
	case 'N':
		return NetworkError
	case 'A':
		return ApplicationError
	}
	t.Fatalf("bad pattern byte %q", c)
	return 0
}

// TestAIMDTable checks the AIMD limiter against sample sequences whose caps
// were derived by hand from the rules in doc.go; each case name or step
// comment gives the derivation. Unless a case says otherwise the
// configuration is DefaultStore: start 8, max 64, min 1, window 32, decisions
// from 8 samples, increases gated on 32 samples since the last change,
// decreases on 8.
func TestAIMDTable(t *testing.T) {
	tests := []struct {
		name  string
		cfg   func(*Config)      // changes to DefaultStore; nil for none
		start func(Config) *AIMD // nil for NewAIMD
		steps []step
	}{
		{
			name:  "7 healthy: window below 8, never evaluated, holds 8",
			steps: []step{{7, "S", 0, 8, 0}},
		},
		{
			name: "32 healthy: Increase from sample 8 on, gated until 32 samples, then slow start doubles 8→16",
			steps: []step{
				{31, "S", 0, 8, 0},    // 31 < 32 samples since start
				{1, "S", 0, 16, fast}, // 32nd: ×2; first baseline = window p95 = 100ms
			},
		},
		{
			name: "96 healthy: one doubling per 32 samples 8→16→32→64, then clamped at Max 64",
			steps: []step{
				{32, "S", 0, 16, fast},
				{32, "S", 0, 32, fast}, // EWMA of equal p95s stays 100ms
				{32, "S", 0, 64, fast},
				{64, "S", 0, 64, fast}, // ×2 = 128 clamped to 64, twice
			},
		},
		{
			name: "success rate below 0.95 halves every 8 samples down to floor 1; slow start has ended so recovery is +1",
			steps: []step{
				{7, "N", 0, 8, 0}, // window 7 < 8: not evaluated
				{1, "N", 0, 4, 0}, // 0/8 successes; 8 samples since start ≥ 8 → 8/2
				{8, "S", 0, 2, 0}, // 8N+8S: 0.5 < 0.95; 8 since last change → 2
				{8, "S", 0, 1, 0}, // 8N+16S: 0.67 → 1
				{8, "S", 0, 1, 0}, // 8N+24S: 0.75 → max(1/2, 1) = 1, a change that resets the count
				// Successes 25–30 still see ≥ 2 N in the window (Decrease, but < 8
				// since the change); 31–55 see ≤ 1 N (31/32 ≥ 0.95, Increase), but
				// fewer than 32 since the change at success 24.
				{31, "S", 0, 1, 0},
				{1, "S", 0, 2, fast},  // success 56: 32 since the change → +1, not ×2
				{32, "S", 0, 3, fast}, // +1 again
			},
		},
		{
			name: "torrent of timeouts halves once per 8 samples and holds at floor 1",
			steps: []step{
				{8, "T", 0, 4, 0},
				{8, "T", 0, 2, 0},
				{8, "T", 0, 1, 0},
				{64, "T", 0, 1, 0},
			},
		},
		{
			name: "timeouts at 16 with defaults: decrease gap of 8 samples since the last change",
			steps: []step{
				{32, "S", 0, 16, fast},
				// Timeout 1: 31/32 successes, 1/32 timeouts: healthy, Increase gated.
				// Timeouts 2–7: success ≤ 30/32 = 0.94 < 0.95 → Decrease, but only
				// 2–7 samples since the change at sample 32.
				{7, "T", 0, 16, 0},
				{1, "T", 0, 8, fast}, // 8 since the change → 16/2; baseline untouched
				{7, "T", 0, 8, 0},    // 1–7 since the change
				{1, "T", 0, 4, 0},    // 8 since the change → 8/2
			},
		},
		{
			name: "timeout rate above 0.10 decides alone when SuccessTarget is 0.80: 7S+1T is 0.875 success, 1/8 = 0.125 timeouts → 8/2",
			cfg:  func(c *Config) { c.SuccessTarget = 0.80 },
			steps: []step{
				{7, "S", 0, 8, 0},
				{1, "T", 0, 4, 0},
			},
		},
		{
			name: "same window with a network error instead of the timeout: 0.875 ≥ 0.80, no timeouts → Increase, doubled at sample 32",
			cfg:  func(c *Config) { c.SuccessTarget = 0.80 },
			steps: []step{
				{7, "S", 0, 8, 0},
				{1, "N", 0, 8, 0},   // Increase gated: 8 < 32
				{24, "S", 0, 16, 0}, // sample 32: 31S+1N, Increase applies
			},
		},
		{
			name: "timeout rate of exactly 0.10 is not above the ceiling: window 10, 9S+1T → Increase at sample 10 → 16",
			cfg: func(c *Config) {
				c.Window, c.MinWindow, c.SuccessTarget = 10, 10, 0.80
			},
			steps: []step{
				{9, "S", 0, 8, 0},
				{1, "T", 0, 16, 0},
			},
		},
		{
			name: "success rate of exactly 0.95 is not below the target: window 20, 19S+1N → Increase at sample 20 → 16",
			cfg:  func(c *Config) { c.Window, c.MinWindow = 20, 20 },
			steps: []step{
				{19, "S", 0, 8, 0},
				{1, "N", 0, 16, 0},
			},
		},
		{
			name: "latency inflation: baseline 100ms; two 250ms samples make the p95 (31st of 32) 250ms > 2×100ms → decrease 8 samples after the change",
			steps: []step{
				{32, "S", fast, 16, fast},
				// 1st slow sample: p95 is still 100ms (one outlier ignored),
				// Increase gated; 2nd–7th: Decrease, < 8 since the change.
				{7, "S", 250 * time.Millisecond, 16, fast},
				{1, "S", 250 * time.Millisecond, 8, fast}, // 16/2; Decrease leaves the baseline
			},
		},
		{
			name: "one slow outlier in 32 is ignored: p95 is the 31st of 32, 100ms ≤ 2×100ms → Increase at sample 64",
			steps: []step{
				{32, "S", fast, 16, fast},
				{1, "S", 250 * time.Millisecond, 16, 0},
				{31, "S", fast, 32, fast}, // window 33–64: one 250ms, 31 × 100ms
			},
		},
		{
			name: "no baseline before the first Increase: a 1s p95 after 100ms samples is not inflation",
			steps: []step{
				{16, "S", fast, 8, 0},
				{16, "S", time.Second, 16, time.Second}, // first baseline = window p95 = 1s
			},
		},
		{
			name: "p95 exactly 2× baseline is not inflation; baseline becomes EWMA 0.8×100+0.2×200 = 120ms; 230ms < 240ms keeps increasing",
			steps: []step{
				{32, "S", fast, 16, fast},
				{32, "S", 200 * time.Millisecond, 32, 120 * time.Millisecond},
				// Still in slow start: 32×2 = 64; baseline 0.8×120+0.2×230 = 142ms.
				{32, "S", 230 * time.Millisecond, 64, 142 * time.Millisecond},
			},
		},
		{
			name: "inflation is judged against the EWMA baseline: 250ms > 2×120ms decreases (it would not against a replaced 200ms baseline)",
			steps: []step{
				{32, "S", fast, 16, fast},
				{32, "S", 200 * time.Millisecond, 32, 120 * time.Millisecond},
				{7, "S", 250 * time.Millisecond, 32, 0}, // 1 slow: p95 200ms; 2–7: gated
				{1, "S", 250 * time.Millisecond, 16, 120 * time.Millisecond},
			},
		},
		{
			name: "application errors are neutral: 32 of them leave no relevant sample → hold 8, but they count toward the 32-sample gate",
			steps: []step{
				{32, "A", 0, 8, 0},
				{7, "S", 0, 8, 0},     // 7 relevant < 8 → Hold
				{1, "S", 0, 16, fast}, // 8 relevant, all successes; 40 samples since start ≥ 32 → ×2
			},
		},
		{
			name:  "one application error in four does not dent the success rate: 24S+8A at sample 32 → 16, as pure successes",
			steps: []step{{32, "SSSA", 0, 16, fast}},
		},
		{
			name: "application errors after a ramp never decrease the cap",
			steps: []step{
				{32, "S", 0, 16, 0},
				{64, "A", 0, 16, 0}, // successes fall below 8 relevant → Hold; never a Decrease
			},
		},
		{
			name: "fewer than 8 relevant samples hold even at 0% success: 25A+7N holds; the 33rd sample evicts an A, 8N → 8/2",
			steps: []step{
				{25, "A", 0, 8, 0},
				{7, "N", 0, 8, 0},
				{1, "N", 0, 4, 0},
			},
		},
		{
			name:  "a window with no success at all holds (upstream p95_of is None), reachable with SuccessTarget 0",
			cfg:   func(c *Config) { c.SuccessTarget = 0 },
			steps: []step{{64, "N", 0, 8, 0}},
		},
		{
			name:  "WarmStart(64) starts at 64",
			start: func(c Config) *AIMD { return WarmStart(c, 64) },
			steps: []step{{0, "", 0, 64, 0}},
		},
		{
			name:  "WarmStart(3) starts at max(3, Start 8) = 8",
			start: func(c Config) *AIMD { return WarmStart(c, 3) },
			steps: []step{{0, "", 0, 8, 0}},
		},
		{
			name:  "WarmStart(1000) is clamped to Max 64",
			start: func(c Config) *AIMD { return WarmStart(c, 1000) },
			steps: []step{{0, "", 0, 64, 0}},
		},
		{
			name:  "WarmStart(16) has left slow start: 32 healthy samples add 1, not double",
			start: func(c Config) *AIMD { return WarmStart(c, 16) },
			steps: []step{
				{31, "S", 0, 16, 0},
				{1, "S", 0, 17, fast},
			},
		},
		{
			name:  "WarmStart(64) then 8 network errors → 32",
			start: func(c Config) *AIMD { return WarmStart(c, 64) },
			steps: []step{{8, "N", 0, 32, 0}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultStore
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			start := NewAIMD
			if tt.start != nil {
				start = tt.start
			}
			a := start(cfg)
			seen := 0
			for i, st := range tt.steps {
				lat := st.lat
				if lat == 0 {
					lat = fast
				}
				for j := range st.n {
					a.Observe(Sample{Outcome: outcomeOf(t, st.pat[j%len(st.pat)]), Latency: lat})
				}
				seen += st.n
				if got := a.Cap(); got != st.want {
					t.Fatalf("step %d (after %d samples): cap = %d, want %d; changes %v", i, seen, got, st.want, a.Changes())
				}
				if st.base != 0 {
					if got, ok := a.Baseline(); !ok || got != st.base {
						t.Fatalf("step %d (after %d samples): baseline = %v (set %t), want %v", i, seen, got, ok, st.base)
					}
				}
			}
		})
	}
}

func TestAIMDChanges(t *testing.T) {
	a := NewAIMD(DefaultStore)
	for range 128 {
		a.Observe(Sample{Success, fast})
	}
	// The ramp of the sheet's example: doublings at samples 32, 64 and 96;
	// the Increase at 128 is clamped at 64 and moves nothing.
	var got []string
	for _, c := range a.Changes() {
		got = append(got, fmt.Sprintf("%d:%d→%d", c.Sample, c.From, c.To))
		if c.Reason == "" {
			t.Errorf("change %+v has no reason", c)
		}
	}
	want := []string{"32:8→16", "64:16→32", "96:32→64"}
	if !slices.Equal(got, want) {
		t.Errorf("changes = %v, want %v", got, want)
	}
}

func TestAIMDBaselineUnsetUntilIncrease(t *testing.T) {
	a := NewAIMD(DefaultStore)
	for range 64 {
		a.Observe(Sample{Timeout, fast})
	}
	if b, ok := a.Baseline(); ok {
		t.Errorf("baseline = %v after only Decreases, want none", b)
	}
	if w := WarmStart(DefaultStore, 64); func() bool { _, ok := w.Baseline(); return ok }() {
		t.Error("a warm start has a baseline, want none")
	}
}

func TestP95NearestRank(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var d []time.Duration
		for _, x := range v {
			d = append(d, time.Duration(x)*time.Millisecond)
		}
		return d
	}
	seq := func(n int) []time.Duration { // 1ms … n ms, reversed
		var d []time.Duration
		for i := n; i >= 1; i-- {
			d = append(d, time.Duration(i)*time.Millisecond)
		}
		return d
	}
	tests := []struct {
		name string
		in   []time.Duration
		want time.Duration
	}{
		{"n=1: ceil(0.95)−1 = index 0", ms(7), 7 * time.Millisecond},
		{"n=8: ceil(7.6)−1 = index 7, the largest", seq(8), 8 * time.Millisecond},
		{"n=20: ceil(19)−1 = index 18, the second largest", seq(20), 19 * time.Millisecond},
		{"n=32: ceil(30.4)−1 = index 30, the second largest", seq(32), 31 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := p95(tt.in); got != tt.want {
			t.Errorf("%s: p95 = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestAIMDString(t *testing.T) {
	if got, want := NewAIMD(DefaultStore).String(), "aimd(start=8,max=64)"; got != want {
		t.Errorf("cold String = %q, want %q", got, want)
	}
	if got, want := WarmStart(DefaultStore, 64).String(), "aimd(warm=64,max=64)"; got != want {
		t.Errorf("warm String = %q, want %q", got, want)
	}
}

func TestNewAIMDPanicsOnInvalidConfig(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewAIMD(Config{}) did not panic")
		}
	}()
	NewAIMD(Config{})
}

// TestAIMDConcurrentObserve runs Observe from many goroutines while others
// read the cap; run it with -race. All samples are identical, so the order
// in which they land does not matter and the end state is exact: 16,000
// healthy samples ramp 8→16→32→64 at samples 32, 64, 96 and stay at 64.
func TestAIMDConcurrentObserve(t *testing.T) {
	const writers, each = 16, 1000
	a := NewAIMD(DefaultStore)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 4 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if c := a.Limit(64); c < 1 || c > 64 {
					t.Errorf("Limit(64) = %d, outside [1, 64]", c)
				}
				_ = a.Changes()
				_, _ = a.Baseline()
			}
		})
	}
	for range writers {
		wg.Go(func() {
			for range each {
				a.Observe(Sample{Success, fast})
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()

	if got := a.Cap(); got != 64 {
		t.Errorf("cap = %d, want 64", got)
	}
	a.mu.Lock()
	observed := a.observed
	a.mu.Unlock()
	if observed != writers*each {
		t.Errorf("observed %d samples, want %d", observed, writers*each)
	}
	var at []int
	for _, c := range a.Changes() {
		at = append(at, c.Sample)
	}
	if want := []int{32, 64, 96}; !slices.Equal(at, want) {
		t.Errorf("changes at samples %v, want %v", at, want)
	}
}

// TestAIMDObserveDoesNotAllocate checks that Observe adds nothing to the
// heap figures fanbench measures once the cap has stopped moving.
func TestAIMDObserveDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not reliable under -race")
	}
	for _, o := range []Outcome{Success, Timeout, ApplicationError} {
		a := WarmStart(DefaultStore, 64)
		for range 256 { // reach the ceiling (Success) or the floor (Timeout)
			a.Observe(Sample{o, fast})
		}
		if n := testing.AllocsPerRun(1000, func() { a.Observe(Sample{o, fast}) }); n != 0 {
			t.Errorf("Observe(%v) allocates %v times per call, want 0", o, n)
		}
	}
}
