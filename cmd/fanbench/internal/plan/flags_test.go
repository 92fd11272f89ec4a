package plan

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestLoad checks the flags applied to a built-in scenario: each setting
// given overrides the scenario's, and only those given; -size and -seed
// rename it; -modes stands for -strategies; the expectations and budgets
// of strategies no longer run go.
func TestLoad(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags Flags
		check func(t *testing.T, f Flags)
	}{
		{"none", Flags{Given: map[string]bool{}}, func(t *testing.T, f Flags) {
			s, notes, err := f.Load("seed-20mb")
			if err != nil || s.Name != "seed-20mb" || s.Count != 1 || len(s.Budgets) != 1 || len(notes) != 0 {
				t.Errorf("Load = %+v, %q, %v", s, notes, err)
			}
		}},
		{"every setting", Flags{Given: map[string]bool{"size": true, "seed": true, "strategies": true, "limiter": true, "count": true, "timeout": true,
			"payment": true, "transport": true, "allocator": true, "client": true, "memlimit": true},
			Size: "3MiB", Seed: 9, Strategies: "streamed", Limiters: "fixed:4,aimd", Count: 3, Timeout: time.Minute, Payment: "single",
			Transport: false, Allocator: "mimalloc", Clients: "seed, newest", MemLimit: "1GiB"}, func(t *testing.T, f Flags) {
			s, notes, err := f.Load("seed-20mb")
			if err != nil {
				t.Fatal(err)
			}
			if s.Name != "seed-20mb-size-3145728-seed-9" || s.Source.Size != 3<<20 || s.Source.Seed != 9 || !slices.Equal(s.Strategies, []string{"streamed"}) ||
				!slices.Equal(s.Limiters, []string{"fixed:4", "aimd"}) || s.Count != 3 || s.Timeout != time.Minute || s.Payment != "single" || s.Transport ||
				s.Allocator != "mimalloc" || !slices.Equal(s.Clients, []string{"seed", "newest"}) || s.MemoryLimit != 1<<30 {
				t.Errorf("Load = %+v", s)
			}
			// seed-20mb's budget is on streamed, absolute: dropped for -size.
			if len(s.Budgets) != 0 || len(notes) != 1 || !strings.Contains(notes[0], "-size, -limiter, -payment, -transport changed them") {
				t.Errorf("budgets %+v, notes %q", s.Budgets, notes)
			}
		}},
		{"the old name", Flags{Given: map[string]bool{"modes": true}, Strategies: "copy-per-peer"}, func(t *testing.T, f Flags) {
			s, _, err := f.Load("smoke")
			if err != nil || !slices.Equal(s.Strategies, []string{"copy-per-peer"}) || len(s.Budgets) != 1 {
				t.Errorf("Load = %+v, %v", s, err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, tc.flags) })
	}
}

// TestLoadErrors checks that a bad flag value is refused naming the flag
// as given, and a scenario the flags break naming the scenario.
func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		flags Flags
		want  string
	}{
		{Flags{Given: map[string]bool{"strategies": true}, Strategies: "zero-copy"}, `-strategies: unknown strategy "zero-copy"`},
		{Flags{Given: map[string]bool{"modes": true}, Strategies: "zero-copy"}, `-modes: unknown strategy "zero-copy"`},
		{Flags{Given: map[string]bool{"limiter": true}, Limiters: "fixed:0"}, `-limiter: "fixed:0": the cap must be`},
		{Flags{Given: map[string]bool{"size": true}, Size: "2"}, "-size: must be ≥ 3 bytes"},
		{Flags{Given: map[string]bool{"size": true}, Size: "20XB"}, `-size: "20XB" is not a size in bytes`},
		{Flags{Given: map[string]bool{"memlimit": true}, MemLimit: "0"}, "-memlimit: must be > 0"},
		{Flags{Given: map[string]bool{"payment": true}, Payment: "free"}, `-payment: unknown payment mode "free"`},
		{Flags{Given: map[string]bool{"count": true}, Count: 0}, "-count: must be ≥ 1 (got 0)"},
		{Flags{Given: map[string]bool{"client": true}, Clients: ""}, `-client: unknown client ""`},
		{Flags{Given: map[string]bool{"allocator": true}, Allocator: "jemalloc"}, `-allocator: unknown allocator "jemalloc"`},
		{Flags{Given: map[string]bool{"count": true}, Count: 99999}, "smoke with the flags given: builtin:smoke.yaml:9:1: count: must be at most 10000"},
	} {
		if _, _, err := tc.flags.Load("smoke"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.flags, err, tc.want)
		}
	}
	if _, _, err := (&Flags{Given: map[string]bool{}}).Load("no-such"); err == nil || !strings.Contains(err.Error(), `unknown scenario "no-such"`) {
		t.Errorf("Load(no-such) = %v", err)
	}
}
