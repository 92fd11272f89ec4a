package limiter

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/fanbench/fanbench/internal/quantity"
)

// Forms are the ways a store-concurrency policy is named, in scenario
// files, flags and records: N stands for a cap ≥ 1 in operations, SIZE for
// a byte count as quantity.FormatBytes writes it (64MiB), INNER for one of
// the first three forms.
//
//	aimd               the AIMD limiter, cold start at 8 (ant-client adaptive.rs)
//	warm:N             the AIMD limiter warm-started from a saved cap N
//	fixed:N            a fixed cap N
//	budget             the AIMD limiter under the 64 MiB in-flight byte budget
//	budget:SIZE        the AIMD limiter under a budget of SIZE bytes (20MiB, 71233535B)
//	budget:SIZE@INNER  the policy INNER (warm:N, fixed:N) under that budget
var Forms = []string{"aimd", "warm:N", "fixed:N", "budget", "budget:SIZE", "budget:SIZE@INNER"}

// Kinds are the names of the policies, the part of a Form before its colon.
var Kinds = []string{"aimd", "warm", "fixed", "budget"}

// Name is a policy as Forms name it, parsed: one of Kinds with its cap, or
// a byte budget with the policy it holds down.
type Name struct {
	// Kind is one of Kinds.
	Kind string
	// Cap is the cap of warm and fixed, in operations (≥ 1); 0 otherwise.
	Cap int
	// Budget is the in-flight byte budget of budget:SIZE, in bytes (> 0);
	// 0 for a bare budget, which holds StoreInflightByteBudget, and for the
	// other kinds.
	Budget int64
	// Inner is the policy a budget holds down; nil means aimd.
	Inner *Name
}

// UnknownError is the error of Parse for a name of no kind it knows; Kind
// is the part before the colon, for a caller that suggests the nearest of
// Kinds.
type UnknownError struct{ Name, Kind string }

func (e *UnknownError) Error() string {
	return fmt.Sprintf("unknown limiter %q (want %s or %s)", e.Name, strings.Join(Forms[:len(Forms)-1], ", "), Forms[len(Forms)-1])
}

// Parse reads a policy named in one of Forms, written canonically: N in
// decimal without a sign or leading zeros, SIZE as quantity.FormatBytes
// writes it, no inner aimd spelled out, so that equal policies are equal
// strings (Name.String gives s back). Its errors quote s and say how to
// write it.
func Parse(s string) (Name, error) {
	kind, arg, hasArg := strings.Cut(s, ":")
	switch kind {
	case "aimd":
		if hasArg {
			return Name{}, fmt.Errorf("%q: aimd takes no cap (write aimd)", s)
		}
		return Name{Kind: kind}, nil
	case "budget":
		if !hasArg {
			return Name{Kind: kind}, nil
		}
		size, inner, hasInner := strings.Cut(arg, "@")
		n, err := quantity.ParseBytes(size)
		switch {
		case err != nil:
			return Name{}, fmt.Errorf("%q: the byte budget: %v", s, err)
		case n == 0:
			return Name{}, fmt.Errorf("%q: the byte budget must be > 0", s)
		case quantity.FormatBytes(n) != size:
			return Name{}, fmt.Errorf("%q: write the budget as %s (budget:%s), so that equal policies are equal names", s, quantity.FormatBytes(n), quantity.FormatBytes(n))
		case !hasInner:
			return Name{Kind: kind, Budget: n}, nil
		case inner == "aimd":
			return Name{}, fmt.Errorf("%q: aimd is the inner policy by default (write budget:%s)", s, size)
		case strings.HasPrefix(inner, "budget"):
			return Name{}, fmt.Errorf("%q: a budget's inner policy is aimd, warm:N or fixed:N, not another budget", s)
		}
		in, err := Parse(inner)
		if err != nil {
			return Name{}, fmt.Errorf("%q: the inner policy: %w", s, err)
		}
		return Name{Kind: kind, Budget: n, Inner: &in}, nil
	case "warm", "fixed":
		if !hasArg {
			return Name{}, fmt.Errorf("%q needs a cap: %s:N with N ≥ 1 (e.g. %s:64)", s, kind, kind)
		}
		n, err := strconv.Atoi(arg)
		if err != nil || n < 1 || strconv.Itoa(n) != arg {
			return Name{}, fmt.Errorf("%q: the cap must be a whole number ≥ 1 without leading zeros (e.g. %s:64)", s, kind)
		}
		return Name{Kind: kind, Cap: n}, nil
	}
	return Name{}, &UnknownError{Name: s, Kind: kind}
}

// String writes n as Parse reads it.
func (n Name) String() string {
	switch n.Kind {
	case "warm", "fixed":
		return n.Kind + ":" + strconv.Itoa(n.Cap)
	case "budget":
		if n.Budget == 0 {
			return "budget"
		}
		inner := ""
		if n.Inner != nil {
			inner = n.Inner.String()
		}
		return BudgetName(n.Budget, inner)
	}
	return n.Kind
}

// BudgetName returns the name of the policy inner (a name Parse reads:
// aimd, warm:N or fixed:N; "" for aimd) under an in-flight byte budget of
// budget bytes: "budget:64MiB", "budget:71233535B@fixed:64".
func BudgetName(budget int64, inner string) string {
	s := "budget:" + quantity.FormatBytes(budget)
	if inner != "" && inner != "aimd" {
		s += "@" + inner
	}
	return s
}

// New returns a new policy as n names it: its AIMD limiters configured by
// aimd, a byte budget counting maxChunk bytes for each chunk in flight
// (ByteBudget.MaxChunk).
func (n Name) New(aimd Config, maxChunk int64) Policy {
	switch n.Kind {
	case "warm":
		return WarmStart(aimd, n.Cap)
	case "fixed":
		return Fixed(n.Cap)
	case "budget":
		var inner Policy
		if n.Inner == nil {
			inner = NewAIMD(aimd)
		} else {
			inner = n.Inner.New(aimd, maxChunk)
		}
		return ByteBudget{Inner: inner, Budget: n.inflight(), MaxChunk: maxChunk}
	}
	return NewAIMD(aimd)
}

// BudgetOf returns the in-flight byte budget, in bytes, of the policy named
// s: 64 MiB for budget, SIZE for budget:SIZE[@INNER]; ok false for a policy
// without one or a name Parse does not read.
func BudgetOf(s string) (budget int64, ok bool) {
	n, err := Parse(s)
	if err != nil || n.Kind != "budget" {
		return 0, false
	}
	return n.inflight(), true
}

// inflight is a budget's byte budget, in bytes: Budget, or
// StoreInflightByteBudget for a bare budget.
func (n Name) inflight() int64 {
	if n.Budget == 0 {
		return StoreInflightByteBudget
	}
	return n.Budget
}
