package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/exit"
	"github.com/fanbench/fanbench/cmd/fanbench/internal/progress"
	"github.com/fanbench/fanbench/cmd/fanbench/internal/revcompare"
	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/reports/compare"
)

// TestShardErrors checks that bad shard input is refused before any run,
// with exit 2 and a message naming the flag or variable, on every command
// that shards.
func TestShardErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"run", "-shard", "0/3", "smoke"}, nil, `-shard "0/3": shards count from 1 (1/3 to 3/3)`},
		{[]string{"run", "-shard", "4/3", "smoke"}, nil, `-shard "4/3": shard 4 is beyond the count 3`},
		{[]string{"run", "-shard", "a/b", "smoke"}, nil, `-shard "a/b" is not i/n`},
		{[]string{"run", "-shard", "2", "smoke"}, nil, `-shard "2" is an index without a count`},
		{[]string{"run", "smoke"}, map[string]string{"JOB_COMPLETION_INDEX": "1"}, "JOB_COMPLETION_INDEX=1 (a Kubernetes Indexed Job) gives an index without a count"},
		{[]string{"run", "-shards", "2", "smoke"}, map[string]string{"JOB_COMPLETION_INDEX": "2"}, "JOB_COMPLETION_INDEX=2 is beyond the 2 shards of -shards"},
		{[]string{"run", "smoke"}, map[string]string{"TEST_SHARD_INDEX": "0"}, "TEST_SHARD_INDEX=0 gives an index without a count: TEST_TOTAL_SHARDS is not set"},
		{[]string{"fit", "-memlimit", "1GiB", "-shard", "0/2"}, nil, `-shard "0/2": shards count from 1`},
		{[]string{"compare", "-base", "HEAD", "-shard", "3/2"}, nil, `-shard "3/2": shard 3 is beyond the count 2`},
		{[]string{"compare", "-shard", "1/2", "a", "b"}, nil, "compare: -o and -shard apply only with -base"}, // -o: the test appends it,
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			for _, k := range []string{"JOB_COMPLETION_INDEX", "FANBENCH_SHARDS", "TEST_SHARD_INDEX", "TEST_TOTAL_SHARDS"} {
				t.Setenv(k, tc.env[k])
			}
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), &stdout, &stderr, append(tc.args, "-o", t.TempDir()))
			if err == nil || exitCode(err) != exit.Usage {
				t.Fatalf("err %v (exit %d), want exit 2", err, exitCode(err))
			}
			if msg := err.Error() + stderr.String(); !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not say %q", msg, tc.want)
			}
		})
	}
}

// benchLines returns the result lines of DIR/results.bench, each its name
// and exact figures, sorted.
func benchLines(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "results.bench"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		keep := []string{f[0]}
		for i := 2; i+1 < len(f); i += 2 {
			if slices.Contains([]string{"peak-live-B", "client-resident-B", "model-peak-B", "sim-ns/op"}, f[i+1]) {
				keep = append(keep, f[i]+" "+f[i+1])
			}
		}
		out = append(out, strings.Join(keep, " "))
	}
	sort.Strings(out)
	return out
}

// configLines returns the file configuration lines of DIR/results.bench.
func configLines(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "results.bench"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if k, _, ok := strings.Cut(line, ": "); ok && !strings.HasPrefix(line, "#") && !strings.Contains(k, " ") {
			out = append(out, line)
		}
	}
	return out
}

// TestShardMerge runs a small batch whole and as three shards, and checks
// that merge gives the same result lines and configuration as the whole
// run, that every shard wrote the same configuration, that the merged
// directory reads back as one batch, and that merging two of the three
// exits 2 naming the case missing.
func TestShardMerge(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 16 child processes")
	}
	dir := t.TempDir()
	base := []string{"run", "-size", "3000", "-modes", "copy-per-peer,streamed", "-limiter", "fixed:1,fixed:4", "-count", "2", "-profile=false", "-cache=false"}
	runIn := func(out string, extra ...string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), &stdout, &stderr, append(append(slices.Clone(base), extra...), "-o", filepath.Join(dir, out))); err != nil {
			t.Fatalf("%s: %v\n%s", out, err, stderr.String())
		}
	}
	runIn("whole")
	for i, s := range []string{"1/3", "2/3", "3/3"} {
		runIn("shard"+string(rune('1'+i)), "-shard", s)
	}
	whole := benchLines(t, filepath.Join(dir, "whole"))
	if len(whole) != 8 {
		t.Fatalf("%d result lines in the whole run, want 8", len(whole))
	}
	for _, s := range []string{"shard1", "shard2", "shard3"} {
		if got, want := configLines(t, filepath.Join(dir, s)), configLines(t, filepath.Join(dir, "whole")); !slices.Equal(got, want) {
			t.Errorf("%s's configuration %q, the whole run's %q", s, got, want)
		}
	}
	var stdout, stderr bytes.Buffer
	merged := filepath.Join(dir, "merged")
	args := []string{"merge", "-o", merged, filepath.Join(dir, "shard3"), filepath.Join(dir, "shard1"), filepath.Join(dir, "shard2")}
	if err := run(context.Background(), &stdout, &stderr, args); err != nil {
		t.Fatalf("merge: %v\n%s", err, stderr.String())
	}
	if got := benchLines(t, merged); !slices.Equal(got, whole) {
		t.Errorf("merged lines:\n%s\nwhole:\n%s", strings.Join(got, "\n"), strings.Join(whole, "\n"))
	}
	if got, want := configLines(t, merged), configLines(t, filepath.Join(dir, "whole")); !slices.Equal(got, want) {
		t.Errorf("merged configuration %q, want %q", got, want)
	}
	res, err := result.LoadDir(merged)
	if err != nil || res.Batch.FromRuns || len(res.Records) != 8 || res.Batch.Shard != nil {
		t.Fatalf("LoadDir(merged) = %+v, %v", res, err)
	}
	// The records run in the whole batch's order.
	w, err := result.LoadDir(filepath.Join(dir, "whole"))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res.Records {
		if r.Batch != res.Batch.ID || progress.RunName(r) != progress.RunName(w.Records[i]) {
			t.Errorf("record %d: %s of batch %s, want %s of %s", i, progress.RunName(r), r.Batch, progress.RunName(w.Records[i]), res.Batch.ID)
		}
	}
	for _, f := range []string{"report.html", "summary.md", "batch.json"} {
		if _, err := os.Stat(filepath.Join(merged, f)); err != nil {
			t.Error(err)
		}
	}
	stderr.Reset()
	err = run(context.Background(), &stdout, &stderr, []string{"merge", "-o", filepath.Join(dir, "merged2"), filepath.Join(dir, "shard1"), filepath.Join(dir, "shard2")})
	if exitCode(err) != exit.Usage || !strings.Contains(err.Error(), "(shard 3/3 not given)") {
		t.Errorf("merging 2 of 3: %v (exit %d)", err, exitCode(err))
	}
}

// TestMergeErrors checks the parts merge refuses, with exit 2: shards of
// different scenarios or versions, a shard given twice, a directory that is
// not a shard, an interrupted shard, -o among the shards.
func TestMergeErrors(t *testing.T) {
	dir := t.TempDir()
	part := func(name string, edit func(*result.Batch)) string {
		t.Helper()
		b := result.Batch{ID: result.NewBatchID(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)), Started: time.Now(), Shard: &result.Shard{
			Index: 1, Count: 2, Kind: "run", Plan: "p1", Scenarios: []string{"smoke"}, Version: "v1 abc",
			Units: []string{"smoke/streamed/fixed:8", "smoke/copy-per-peer/fixed:8"}, Mine: []string{"smoke/streamed/fixed:8"}, Done: []string{"smoke/streamed/fixed:8"},
		}}
		if edit != nil {
			edit(&b)
		}
		d := filepath.Join(dir, name)
		if err := result.WriteResults(d, &result.Results{Batch: b}); err != nil {
			t.Fatal(err)
		}
		return d
	}
	second := func(b *result.Batch) {
		b.Shard.Index, b.Shard.Mine, b.Shard.Done = 2, []string{"smoke/copy-per-peer/fixed:8"}, []string{"smoke/copy-per-peer/fixed:8"}
	}
	one, two := part("one", nil), part("two", second)
	other := part("other-scenario", func(b *result.Batch) { second(b); b.Shard.Scenarios = []string{"seed-20mb"}; b.Shard.Plan = "p2" })
	newer := part("other-version", func(b *result.Batch) { second(b); b.Shard.Version = "v1 def" })
	whole := part("whole", func(b *result.Batch) { b.Shard = nil })
	stopped := part("stopped", func(b *result.Batch) { second(b); b.Interrupted, b.Planned, b.Finished = "SIGINT", 2, 1 })
	for _, tc := range []struct {
		name string
		dirs []string
		want string
	}{
		{"different scenarios", []string{one, other}, `the shards disagree on the scenarios: shard 1/2 (` + one + `): "smoke"; shard 2/2 (` + other + `): "seed-20mb"`},
		{"different versions", []string{one, newer}, `the shards disagree on the fanbench version: shard 1/2 (` + one + `): "v1 abc"; shard 2/2 (` + newer + `): "v1 def"`},
		{"a shard twice", []string{one, one}, "shard 1/2 given twice"},
		{"not a shard", []string{one, whole}, "is not a shard"},
		{"interrupted", []string{one, stopped}, "shard 2/2 (" + stopped + ") was interrupted after 1 of 2 runs (SIGINT): run it again"},
		{"missing", []string{two}, "1 of 2 units missing (shard 1/2 not given): smoke/streamed/fixed:8"},
		{"into a shard", []string{one, two, "-o", two}, "-o " + two + " is one of the shards"},
		{"none", nil, "give the shards' results directories"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"merge", "-o", filepath.Join(dir, "out-"+strings.ReplaceAll(tc.name, " ", "-"))}, tc.dirs...)
			err := run(context.Background(), &stdout, &stderr, args)
			if exitCode(err) != exit.Usage || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v (exit %d), want exit 2 saying %q", err, exitCode(err), tc.want)
			}
		})
	}
	// The two halves do join.
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), &stdout, &stderr, []string{"merge", "-o", filepath.Join(dir, "joined"), one, two}); err != nil {
		t.Errorf("merge of both halves: %v\n%s", err, stderr.String())
	}
}

// TestMergeCompare joins two shards of a comparison (made by hand: each
// side's part and compare.json) and checks the joined sides, the verdict
// of the whole (the head's exact peak-live-B grew 20 % in shard 2's case:
// exit 1) and summary.md; and that shards comparing different commits
// are refused.
func TestMergeCompare(t *testing.T) {
	dir := t.TempDir()
	units := []string{"smoke/copy-per-peer/fixed:8", "smoke/streamed/fixed:8"}
	info := revcompare.Info{Base: "main (abc)", Head: "the working tree at def, clean", Options: compareOptionsForTest()}
	shard := func(name string, index int, info revcompare.Info) string {
		t.Helper()
		d := filepath.Join(dir, name)
		for _, side := range []string{"base", "head"} {
			b := result.Batch{ID: result.NewBatchID(time.Now()), Started: time.Now(), Planned: 1, Finished: 1, Shard: &result.Shard{
				Index: index, Count: 2, Kind: "compare-" + side, Plan: "p", Scenarios: []string{"smoke"}, Version: "v, base abc, head def",
				Units: units, Mine: units[index-1 : index], Done: units[index-1 : index], Config: []string{"goos: linux", "gomaxprocs: 2"}}}
			strategy := strings.Split(units[index-1], "/")[1]
			peak := int64(10) << 20
			if side == "head" && index == 2 {
				peak = 12 << 20
			}
			r := &result.Record{Version: result.Version, Scenario: "smoke", Strategy: strategy, Limiter: "fixed:8", Rep: 1, Status: result.OK, Batch: b.ID,
				Env: result.Env{GOMAXPROCS: 2}, Live: result.Live{Peak: peak}, Upload: result.Upload{Wall: 1e9, Sim: 2e9}}
			if err := result.WriteResults(filepath.Join(d, side), &result.Results{Batch: b, Records: []*result.Record{r}}); err != nil {
				t.Fatal(err)
			}
		}
		if err := revcompare.WriteInfo(d, &info); err != nil {
			t.Fatal(err)
		}
		return d
	}
	one, two := shard("one", 1, info), shard("two", 2, info)
	var stdout, stderr bytes.Buffer
	out := filepath.Join(dir, "merged")
	err := run(context.Background(), &stdout, &stderr, []string{"merge", "-o", out, one, two})
	if exitCode(err) != exit.Fail || !strings.Contains(stdout.String(), "mode=streamed") {
		t.Fatalf("merge: %v (exit %d), want 1 (streamed regressed)\n%s\n%s", err, exitCode(err), stdout.String(), stderr.String())
	}
	for _, side := range []string{"base", "head"} {
		res, err := result.LoadDir(filepath.Join(out, side))
		if err != nil || len(res.Records) != 2 {
			t.Errorf("%s: %v, %v", side, res, err)
		}
	}
	md, err := os.ReadFile(filepath.Join(out, "summary.md"))
	if err != nil || !strings.Contains(string(md), "main (abc)") {
		t.Errorf("summary.md: %v\n%s", err, md)
	}
	if !strings.Contains(stdout.String(), "merged 2 shards of a comparison") {
		t.Errorf("output:\n%s", stdout.String())
	}
	other := info
	other.Base = "main (999)"
	three := shard("three", 2, other)
	err = run(context.Background(), &stdout, &stderr, []string{"merge", "-o", filepath.Join(dir, "merged2"), one, three})
	if exitCode(err) != exit.Usage || !strings.Contains(err.Error(), "the shards compare different things") {
		t.Errorf("shards of two comparisons: %v (exit %d)", err, exitCode(err))
	}
}

// compareOptionsForTest are compare's defaults gating on peak-live-B.
func compareOptionsForTest() compare.Options {
	o := compare.DefaultOptions
	o.Metrics = []string{"peak-live-B"}
	return o
}
