package revcompare

import (
	"fmt"
	"strings"
	"testing"

	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/runner"
	"github.com/fanbench/fanbench/harness/upload/strategy"
)

func TestInterleave(t *testing.T) {
	var jobs []runner.Job
	for rep := 1; rep <= 4; rep++ {
		for _, s := range []strategy.Strategy{strategy.CopyPerPeer, strategy.Streamed} {
			jobs = append(jobs, runner.Job{Case: runner.Case{Name: "smoke", Strategy: s, Limiter: "fixed:8"}, Rep: rep})
		}
	}
	steps := interleave(jobs)
	var got []string
	for _, st := range steps {
		got = append(got, fmt.Sprintf("%s %s", st.side, st.job.Name()))
	}
	want := []string{
		"base smoke/copy-per-peer-1", "head smoke/copy-per-peer-1", "base smoke/streamed-1", "head smoke/streamed-1",
		"head smoke/copy-per-peer-2", "base smoke/copy-per-peer-2", "head smoke/streamed-2", "base smoke/streamed-2",
		"base smoke/copy-per-peer-3", "head smoke/copy-per-peer-3", "base smoke/streamed-3", "head smoke/streamed-3",
		"head smoke/copy-per-peer-4", "base smoke/copy-per-peer-4", "head smoke/streamed-4", "base smoke/streamed-4",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("order:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Each case runs first on each side equally often over an even count.
	first := map[string]int{}
	for i := 0; i < len(steps); i += 2 {
		first[fmt.Sprintf("%s %s", steps[i].side, steps[i].job.Case.Strategy)]++
	}
	for k, n := range first {
		if n != 2 {
			t.Errorf("%s first %d times, want 2 (%v)", k, n, first)
		}
	}
}

func TestJobUnreadable(t *testing.T) {
	job := runner.Job{Case: runner.Case{Name: "smoke", Strategy: strategy.Streamed, Limiter: "fixed:8"}, Rep: 2}
	ok := func() *result.Record {
		return &result.Record{Status: result.OK, Scenario: "smoke", Strategy: "streamed", Limiter: "fixed:8", Rep: 2}
	}
	crash := func(msg string) *result.Record {
		r := ok()
		r.Status, r.Error = result.Crash, msg
		return r
	}
	other := ok()
	other.Strategy = "copy-per-peer"
	cases := []struct {
		name string
		rec  *result.Record
		want string // "" for a readable job
	}{
		{"ok", ok(), ""},
		{"panic", crash("smoke/streamed-2: child exit status 2; stderr:\npanic: boom"), ""},
		{"decode", crash("smoke/streamed-2: child exit status 1; stderr:\nfanbench child: read job /tmp/fanbench-job-1.json: json: cannot unmarshal string into Go struct field Job.case.strategy of type strategy.Strategy"),
			"fanbench child: read job /tmp/fanbench-job-1.json: json: cannot unmarshal"},
		{"no MaybeChild", crash("smoke/streamed-2: child exited 0 without a readable record (does the program call runner.MaybeChild first?): open x: no such file"), "without a record"},
		{"usage", crash("smoke/streamed-2: child exit status 2; stderr:\nusage: fanbench <command> [flags]"), "printed its usage"},
		{"another case", other, "given smoke/streamed fixed:8 rep 2, it ran smoke/copy-per-peer fixed:8 rep 2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := jobUnreadable(tc.rec, &job)
			if (got == "") != (tc.want == "") || !strings.Contains(got, tc.want) {
				t.Errorf("jobUnreadable = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestUnfinished(t *testing.T) {
	rec := func(strategy string, st result.Status) *result.Record {
		return &result.Record{Scenario: "vm4g", Strategy: strategy, Limiter: "warm:64", Status: st}
	}
	check := func(name string, recs [2][]*result.Record, wantWorse bool, wantCrashes int, wantLines ...string) {
		t.Helper()
		lines, worse, crashes := unfinished(recs)
		if worse != wantWorse || crashes != wantCrashes || strings.Join(lines, "\n") != strings.Join(wantLines, "\n") {
			t.Errorf("%s: got %v, %d crashes, lines\n%s\nwant %v, %d, lines\n%s", name, worse, crashes,
				strings.Join(lines, "\n"), wantWorse, wantCrashes, strings.Join(wantLines, "\n"))
		}
	}
	check("all ok", [2][]*result.Record{{rec("streamed", result.OK)}, {rec("streamed", result.OK)}}, false, 0)
	check("head ooms",
		[2][]*result.Record{
			{rec("streamed", result.OK), rec("streamed", result.OK)},
			{rec("streamed", result.OOM), rec("streamed", result.OK)},
		}, true, 0,
		"FAIL: runs that did not finish in vm4g/streamed warm:64: base 0 of 2, head 1 of 2 (oom)")
	check("both oom alike, base crashes",
		[2][]*result.Record{
			{rec("copy-per-peer", result.OOM), rec("streamed", result.Crash)},
			{rec("copy-per-peer", result.OOM), rec("streamed", result.OK)},
		}, false, 1,
		"runs that did not finish in vm4g/copy-per-peer warm:64: base 1 of 1 (oom), head 1 of 1 (oom)",
		"runs that did not finish in vm4g/streamed warm:64: base 1 of 1 (crash), head 0 of 1")
}
