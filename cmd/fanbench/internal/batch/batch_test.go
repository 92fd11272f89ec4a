package batch

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/exit"
	"github.com/fanbench/fanbench/harness/result"
)

// TestOutcomes checks which runs a batch calls unexpected: a crash or a
// timeout always, an oom or an error unless the scenario expects it; a run
// that finished where an oom was expected is a note, once per case; a
// cancelled run is neither.
func TestOutcomes(t *testing.T) {
	rec := func(strategy string, rep int, st, want result.Status) *result.Record {
		return &result.Record{Scenario: "s", Strategy: strategy, Limiter: "aimd", Rep: rep, Status: st, Expected: want, Error: "line 1\nline 2\nline 3\nline 4"}
	}
	unexpected, notes := Outcomes([]*result.Record{
		rec("a", 1, result.OK, ""),
		rec("a", 2, result.Crash, ""),
		rec("b", 1, result.OOM, result.OOM),
		rec("b", 2, result.OK, result.OOM),
		rec("b", 3, result.OK, result.OOM),
		rec("c", 1, result.Timeout, result.OOM),
		rec("d", 1, result.Failed, ""),
		rec("e", 1, result.Cancelled, ""),
	})
	wantU := []string{
		"s/a-2 (aimd): crash, expected to finish: line 1\nline 2\nline 3\n[... 1 more lines in the record ...]",
		"s/c-1 (aimd): timeout, expected ok or oom: line 1\nline 2\nline 3\n[... 1 more lines in the record ...]",
		"s/d-1 (aimd): error, expected to finish: line 1\nline 2\nline 3\n[... 1 more lines in the record ...]",
	}
	if !slices.Equal(unexpected, wantU) {
		t.Errorf("unexpected:\n%s\nwant\n%s", strings.Join(unexpected, "\n"), strings.Join(wantU, "\n"))
	}
	if want := []string{"s/b (aimd) finished where oom was expected (2 run(s))"}; !slices.Equal(notes, want) {
		t.Errorf("notes %q, want %q", notes, want)
	}
}

// TestBenchstatHint checks the benchstat command a batch suggests: the
// strategies in the README's order, or the bare file for one strategy.
func TestBenchstatHint(t *testing.T) {
	recs := []*result.Record{
		{Scenario: "s", Strategy: "streamed", Limiter: "aimd", Status: result.OK},
		{Scenario: "s", Strategy: "copy-per-peer", Limiter: "aimd", Status: result.OK},
	}
	if got, want := BenchstatHint(recs, "r.bench"), "benchstat -col '/mode@(copy-per-peer streamed)' r.bench"; got != want {
		t.Errorf("BenchstatHint = %q, want %q", got, want)
	}
	if got, want := BenchstatHint(recs[:1], "r.bench"), "benchstat r.bench"; got != want {
		t.Errorf("BenchstatHint of one strategy = %q, want %q", got, want)
	}
}

// TestVerdict checks the exit a batch's outcome calls for: a run that
// ended unexpectedly before a broken budget, each printed.
func TestVerdict(t *testing.T) {
	br := result.Breach{Text: "budget x: broken"}
	var w strings.Builder
	for _, tc := range []struct {
		b    result.Batch
		code int
	}{
		{result.Batch{}, 0},
		{result.Batch{Breaches: []result.Breach{br}}, 3},
		{result.Batch{Breaches: []result.Breach{br}, Unexpected: []string{"s/a-1: crash"}}, 1},
	} {
		w.Reset()
		err := Verdict(&w, tc.b)
		code := 0
		var e *exit.Error
		if errors.As(err, &e) {
			code = e.Code
		} else if err != nil {
			code = -1
		}
		if code != tc.code || len(tc.b.Breaches) > 0 && !strings.Contains(w.String(), "budget x: broken") {
			t.Errorf("%+v: %v (code %d), printed %q", tc.b, err, code, w.String())
		}
	}
}
