package limiter

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestParse checks every form: what it parses to, that String writes the
// name back as given, the cap a new policy starts at with full
// 4,190,208-byte chunks, and its byte budget.
func TestParse(t *testing.T) {
	const chunk = 4_190_208
	for _, tc := range []struct {
		s      string
		want   Name
		cap    int
		budget int64 // BudgetOf; 0 for none
	}{
		{"aimd", Name{Kind: "aimd"}, 8, 0},
		{"warm:64", Name{Kind: "warm", Cap: 64}, 64, 0},
		{"fixed:1", Name{Kind: "fixed", Cap: 1}, 1, 0},
		{"budget", Name{Kind: "budget"}, 8, 64 << 20}, // min(AIMD's cold 8, 64 MiB / 4,190,208 = 16)
		{"budget:64MiB@fixed:64", Name{Kind: "budget", Budget: 64 << 20, Inner: &Name{Kind: "fixed", Cap: 64}}, 16, 64 << 20},
		{"budget:71233535B@fixed:64", Name{Kind: "budget", Budget: 71233535, Inner: &Name{Kind: "fixed", Cap: 64}}, 16, 71233535}, // 17 × 4,190,208 − 1
		{"budget:69564KiB@fixed:64", Name{Kind: "budget", Budget: 71233536, Inner: &Name{Kind: "fixed", Cap: 64}}, 17, 71233536},
		{"budget:1MiB@fixed:64", Name{Kind: "budget", Budget: 1 << 20, Inner: &Name{Kind: "fixed", Cap: 64}}, 1, 1 << 20}, // never below 1
		{"budget:1GiB@warm:32", Name{Kind: "budget", Budget: 1 << 30, Inner: &Name{Kind: "warm", Cap: 32}}, 32, 1 << 30},
		{"budget:16MiB", Name{Kind: "budget", Budget: 16 << 20}, 4, 16 << 20}, // 16 MiB / 4,190,208 = 4.004, under the AIMD's cold 8
		{"budget:64MiB", Name{Kind: "budget", Budget: 64 << 20}, 8, 64 << 20},
	} {
		got, err := Parse(tc.s)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tc.s, got, err, tc.want)
			continue
		}
		if s := got.String(); s != tc.s {
			t.Errorf("Parse(%q).String() = %q", tc.s, s)
		}
		if c := got.New(DefaultStore, chunk).Cap(); c != tc.cap {
			t.Errorf("Parse(%q).New().Cap() = %d, want %d", tc.s, c, tc.cap)
		}
		if b, ok := BudgetOf(tc.s); b != tc.budget || ok != (tc.budget > 0) {
			t.Errorf("BudgetOf(%q) = %d, %v; want %d", tc.s, b, ok, tc.budget)
		}
	}
	// No budget in a name without one, or in a name that is not one.
	for _, s := range []string{"fixed:64", "aimd", "budget:x", "budget:0"} {
		if b, ok := BudgetOf(s); ok || b != 0 {
			t.Errorf("BudgetOf(%q) = %d, %v; want 0, false", s, b, ok)
		}
	}
}

// TestParseErrors checks that Parse refuses every name that is not a form
// written canonically, saying how to write it.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ s, want string }{
		{"fixed:0", `"fixed:0": the cap must be a whole number ≥ 1`},
		{"fixed:-1", `"fixed:-1": the cap must be a whole number ≥ 1`},
		{"fixed:08", `"fixed:08": the cap must be a whole number ≥ 1 without leading zeros (e.g. fixed:64)`},
		{"warm", `"warm" needs a cap: warm:N with N ≥ 1 (e.g. warm:64)`},
		{"aimd:8", `"aimd:8": aimd takes no cap (write aimd)`},
		{"fixd:8", `unknown limiter "fixd:8" (want aimd, warm:N, fixed:N, budget, budget:SIZE or budget:SIZE@INNER)`},
		{"budgets", `unknown limiter "budgets"`},
		{"", `unknown limiter ""`},
		{"budget:67108864", `"budget:67108864": write the budget as 64MiB (budget:64MiB)`},
		{"budget:0", `"budget:0": the byte budget must be > 0`},
		{"budget:x", `"budget:x": the byte budget: "x" is not a size in bytes`},
		{"budget:64MiB@budget", `"budget:64MiB@budget": a budget's inner policy is aimd, warm:N or fixed:N, not another budget`},
		{"budget:64MiB@aimd", `"budget:64MiB@aimd": aimd is the inner policy by default (write budget:64MiB)`},
		{"budget:64MiB@fixed:0", `"budget:64MiB@fixed:0": the inner policy: "fixed:0": the cap must be`},
	} {
		n, err := Parse(tc.s)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %+v, %v; want an error starting %q", tc.s, n, err, tc.want)
		}
		if b, ok := BudgetOf(tc.s); ok {
			t.Errorf("BudgetOf(%q) = %d, true; want none", tc.s, b)
		}
	}
	var u *UnknownError
	if _, err := Parse("fixd:8"); !errors.As(err, &u) || u.Kind != "fixd" {
		t.Errorf("Parse(fixd:8) = %v, want an *UnknownError of kind fixd", err)
	}
}

// TestFormsParse checks that Forms and Kinds agree with Parse: each form,
// its N and SIZE filled in, parses to its kind.
func TestFormsParse(t *testing.T) {
	fill := strings.NewReplacer("N", "8", "SIZE", "64MiB", "INNER", "fixed:8")
	var kinds []string
	for _, f := range Forms {
		n, err := Parse(fill.Replace(f))
		if err != nil {
			t.Errorf("form %s: %v", f, err)
			continue
		}
		if k, _, _ := strings.Cut(f, ":"); k != n.Kind {
			t.Errorf("form %s parses to kind %s", f, n.Kind)
		}
		if len(kinds) == 0 || kinds[len(kinds)-1] != n.Kind {
			kinds = append(kinds, n.Kind)
		}
	}
	if !reflect.DeepEqual(kinds, Kinds) {
		t.Errorf("the forms' kinds %v, Kinds %v", kinds, Kinds)
	}
	if got := BudgetName(71233535, "fixed:64"); got != "budget:71233535B@fixed:64" {
		t.Errorf("BudgetName = %q", got)
	}
	if got := BudgetName(64<<20, "aimd"); got != "budget:64MiB" {
		t.Errorf("BudgetName over aimd = %q", got)
	}
}
