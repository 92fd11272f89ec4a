package scenarios

import (
	"bytes"
	"slices"
	"testing"
)

const sweepYAML = `name: sweep
description: "sizes, caps and byte budgets swept"
source: {size: [3MiB, 1MiB, 2MB]}
strategies: [streamed, shared-buffer]
limiters: [aimd, "budget:64MiB@fixed:64"]
caps: [16, 8]
byte_budgets: [32MiB, 4190208]
expect:
  - {strategy: streamed, limiter: "fixed:8", outcome: error}
`

// TestSweepKeys checks that list-valued keys decode into the spec's lists:
// sizes as written, caps and byte budgets appended to the limiters as
// fixed:N and budget:SIZE in canonical form, each positioned where its item
// was written; and that Format writes them back as a file that parses to
// the same spec.
func TestSweepKeys(t *testing.T) {
	s, err := Parse("sweep.yaml", []byte(sweepYAML))
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{3 << 20, 1 << 20, 2e6}; s.Source.Size != 0 || !slices.Equal(s.Source.Sizes, want) {
		t.Errorf("sizes %d %v, want 0 %v", s.Source.Size, s.Source.Sizes, want)
	}
	wantLim := []string{"aimd", "budget:64MiB@fixed:64", "fixed:16", "fixed:8", "budget:32MiB", "budget:4092KiB"}
	if !slices.Equal(s.Limiters, wantLim) {
		t.Errorf("limiters %q, want %q", s.Limiters, wantLim)
	}
	if p := s.Pos("limiters[3]"); p != (Position{"sweep.yaml", 6, 12}) {
		t.Errorf("limiters[3] (caps[1]) at %v, want sweep.yaml:6:12", p)
	}
	text := s.Format()
	back, err := Parse("again.yaml", text)
	if err != nil {
		t.Fatalf("Parse(Format()) = %v\n%s", err, text)
	}
	if !specEqual(back, s) {
		t.Errorf("Parse(Format()) =\n%+v\nwant\n%+v", *back, *s)
	}
	if again := back.Format(); !bytes.Equal(again, text) {
		t.Errorf("Format is not stable:\n%s\n%s", text, again)
	}
}

// TestVariants checks the sweep's points: one per size, sorted by size,
// named after the scenario and the size; a scenario that sweeps nothing
// has one point with its own name; a list of one size is that size alone.
func TestVariants(t *testing.T) {
	s, err := Parse("sweep.yaml", []byte(sweepYAML))
	if err != nil {
		t.Fatal(err)
	}
	want := []Variant{{"sweep-size-1048576", 1 << 20, ""}, {"sweep-size-2000000", 2e6, ""}, {"sweep-size-3145728", 3 << 20, ""}}
	if got := s.Variants(); !slices.Equal(got, want) {
		t.Errorf("Variants = %v, want %v", got, want)
	}
	one, err := Parse("one.yaml", []byte("name: one\ndescription: d\nsource: {size: [3MiB]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := one.Variants(); !slices.Equal(got, []Variant{{"one", 3 << 20, ""}}) || one.Source.Sizes != nil {
		t.Errorf("a list of one size: Variants = %v, Sizes %v", got, one.Source.Sizes)
	}
	// Sizes × clients: a variant each, the client's name added when there
	// are several; one client names no variant.
	both, err := Parse("both.yaml", []byte("name: both\ndescription: d\nsource: {size: [2MiB, 1MiB]}\nclient: [newest, seed]\n"))
	if err != nil {
		t.Fatal(err)
	}
	wantBoth := []Variant{{"both-size-1048576-client-newest", 1 << 20, "newest"}, {"both-size-1048576-client-seed", 1 << 20, "seed"},
		{"both-size-2097152-client-newest", 2 << 20, "newest"}, {"both-size-2097152-client-seed", 2 << 20, "seed"}}
	if got := both.Variants(); !slices.Equal(got, wantBoth) {
		t.Errorf("Variants = %v, want %v", got, wantBoth)
	}
	lone, err := Parse("lone.yaml", []byte("name: lone\ndescription: d\nsource: {size: 3MiB}\nclient: apr28\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := lone.Variants(); !slices.Equal(got, []Variant{{"lone", 3 << 20, "apr28"}}) {
		t.Errorf("one client: Variants = %v", got)
	}
	// Only caps: no aimd by default beside them.
	caps, err := Parse("caps.yaml", []byte("name: caps\ndescription: d\nsource: {size: 3MiB}\ncaps: [8]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(caps.Limiters, []string{"fixed:8"}) {
		t.Errorf("caps alone: limiters %q, want [fixed:8]", caps.Limiters)
	}
	// A hand-built spec must not set both a size and sizes.
	caps.Source.Sizes = []int64{1 << 20, 2 << 20}
	if err := caps.Validate(); err == nil || err.Error() != "caps.yaml:3:10: source.size: set either one size or a list of sizes, not both (got 3145728 and 2 sizes)" {
		t.Errorf("Validate = %v", err)
	}
}

// TestBudgetLimiter checks the canonical names of byte budgets, which the
// scenario checker accepts.
func TestBudgetLimiter(t *testing.T) {
	for _, tc := range []struct {
		budget int64
		inner  string
		want   string
	}{
		{64 << 20, "", "budget:64MiB"},
		{64 << 20, "aimd", "budget:64MiB"},
		{71233535, "fixed:64", "budget:71233535B@fixed:64"},
		{300e6, "warm:64", "budget:300MB@warm:64"},
	} {
		got := BudgetLimiter(tc.budget, tc.inner)
		if got != tc.want {
			t.Errorf("BudgetLimiter(%d, %q) = %q, want %q", tc.budget, tc.inner, got, tc.want)
		}
		if err := checkLimiter(got); err != nil {
			t.Errorf("checkLimiter(%q) = %v", got, err)
		}
	}
}
