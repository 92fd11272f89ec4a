package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/runner"
)

func TestMain(m *testing.M) {
	runner.MaybeChild() // the runs re-execute this test binary
	// A race-built binary sleeps 1 s as it exits (the race runtime's
	// atexit_sleep_ms), and every run here is one: the sleep checks
	// nothing, so the children skip it.
	if os.Getenv("GORACE") == "" {
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
	if os.Getenv(asFanbench) != "" {
		// The binary plays fanbench itself: tests that send it signals.
		os.Unsetenv(asFanbench)
		main()
		os.Exit(0)
	}
	code := func() int {
		if raceEnabled {
			// The runs' children are fanbench built without -race: the
			// race detector multiplies their CPU by about ten, and the
			// uploader's races are the harness packages' own tests'.
			// -trimpath as compare -base builds, so the build cache serves
			// both.
			dir, err := os.MkdirTemp("", "fanbench-test-")
			if err != nil {
				panic(err)
			}
			defer os.RemoveAll(dir)
			childProgram = filepath.Join(dir, "fanbench")
			cmd := exec.Command("go", "build", "-trimpath", "-o", childProgram, ".")
			if out, err := cmd.CombinedOutput(); err != nil {
				fmt.Fprintf(os.Stderr, "building the children's fanbench: %v\n%s", err, out)
				return 1
			}
		}
		return m.Run()
	}()
	os.Exit(code)
}

// asFanbench makes this test binary run fanbench's main with its
// arguments.
const asFanbench = "FANBENCH_TEST_AS_MAIN"

func TestRunErrors(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string // in the error or on stderr
	}{
		{nil, 2, "no command"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"run", "-size", "2"}, 2, "-size: must be ≥ 3 bytes"},
		{[]string{"run", "-modes", "zero-copy"}, 2, `-modes: unknown strategy "zero-copy"`},
		{[]string{"run", "-limiter", "fixed:0"}, 2, `-limiter: "fixed:0": the cap must be a whole number ≥ 1`},
		{[]string{"run", "-limiter", "budget:67108864"}, 2, `-limiter: "budget:67108864": write the budget as 64MiB`},
		{[]string{"run", "-strategies", "zero-copy"}, 2, `-strategies: unknown strategy "zero-copy"`},
		{[]string{"run", "-payment", "free"}, 2, `-payment: unknown payment mode "free"`},
		{[]string{"run", "-count", "0"}, 2, `-count: must be ≥ 1`},
		{[]string{"run", "-scale", "100"}, 2, "flag provided but not defined: -scale"},
		{[]string{"run", "-allocator", "jemalloc", "smoke"}, 2, `-allocator: unknown allocator "jemalloc" (want one of glibc, mimalloc, go)`},
		{[]string{"run", "-client", "tomorrow", "smoke"}, 2, `-client: unknown client "tomorrow" (known: seed, apr12, apr15, apr28, newest; fanbench clients lists them)`},
		{[]string{"clients", "seed"}, 2, `clients: unexpected argument "seed"`},
		{[]string{"run", "no-such-scenario"}, 2, `unknown scenario "no-such-scenario"`},
		{[]string{"run", "-memlimit", "NaN"}, 2, `-memlimit: "NaN" is not a size in bytes`},
		{[]string{"run", "-memlimit", "Inf"}, 2, `-memlimit: "Inf" is not a size in bytes`},
		{[]string{"run", "-memlimit", "99999999999GiB"}, 2, `-memlimit: "99999999999GiB" is too large`},
		{[]string{"run", "-memlimit", "0"}, 2, `-memlimit: must be > 0`},
		// -size takes the units of scenario files, through the same parser.
		{[]string{"run", "-size", "20XB"}, 2, `-size: "20XB" is not a size in bytes (want a number and an optional unit: B, KiB, MiB`},
		{[]string{"run", "-size", "2B"}, 2, "-size: must be ≥ 3 bytes"},
		// Sizes whose arithmetic would overflow are refused before any run:
		// on main before the fix, the child died of a fatal out-of-memory.
		{[]string{"run", "-size", "9223372036854775000"}, 2, "source.size: must be at most 1TiB (got 9223372036854775000 bytes)"},
		{[]string{"run", "-size", "2TiB"}, 2, "source.size: must be at most 1TiB"},
		{[]string{"run", "-count", "99999999999"}, 2, "count: must be at most 10000"},
		{[]string{"run", "-frobnicate"}, 2, "flag provided but not defined: -frobnicate"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), &stdout, &stderr, tc.args)
			if err == nil {
				t.Fatal("no error")
			}
			if got := exitCode(err); got != tc.code {
				t.Errorf("exit code %d, want %d (err %v)", got, tc.code, err)
			}
			if msg := err.Error() + stderr.String(); !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not say %q", msg, tc.want)
			}
		})
	}
}

func TestRunSmall(t *testing.T) {
	var stdout, stderr bytes.Buffer
	dir := t.TempDir()
	args := []string{"run", "-size", "3000", "-modes", "copy-per-peer,streamed", "-limiter", "fixed:4", "-cache=false", "-o", dir}
	if err := run(context.Background(), &stdout, &stderr, args); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	out := stdout.String()
	// The benchstat hint names the order, copy-per-peer (before PR #82) as
	// the base: on main before the fix, -col /mode took whichever ran first.
	for _, want := range []string{"copy-per-peer", "streamed", "3/3", "[3]", "results.json", "results.bench", "report.html", "summary.md",
		"(benchstat -col '/mode@(copy-per-peer streamed)' " + filepath.Join(dir, "results.bench") + ")"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(stderr.String(), "[4/4]") {
		t.Errorf("no progress on stderr:\n%s", stderr.String())
	}
	// seed-20mb's budget of 256 MiB for streamed was written for 20 MiB.
	if md, err := os.ReadFile(filepath.Join(dir, "summary.md")); err != nil || !strings.Contains(string(md), "256.0 MiB dropped") || strings.Contains(string(md), "budget(s) broken") {
		t.Errorf("summary.md does not note the dropped budget: %v\n%s", err, md)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "results.bench")); err != nil || !strings.Contains(string(b), "BenchmarkUpload/scenario=") {
		t.Errorf("results.bench: %v\n%s", err, b)
	}
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil || strings.Count(string(page), "<svg") < 3 {
		t.Errorf("report.html: %v, %d charts", err, strings.Count(string(page), "<svg"))
	}
	var again bytes.Buffer
	if err := run(context.Background(), &again, &stderr, []string{"report", dir}); err != nil || !strings.Contains(again.String(), "summary.md") {
		t.Errorf("fanbench report: %v\n%s", err, again.String())
	}
	// One measured run and one profiling run per strategy.
	recs, err := filepath.Glob(filepath.Join(dir, "runs", "*", "*.json"))
	if err != nil || len(recs) != 4 {
		t.Fatalf("records on disk: %v, %v", recs, err)
	}
	for _, p := range recs {
		r, err := result.Read(p)
		if err != nil || r.Status != result.OK || r.Live.Peak == 0 || r.Profile != (r.PeakProfile != "") {
			t.Errorf("%s: %+v, %v", p, r, err)
		}
	}
}

// benchFile writes a benchfmt file of 6 runs of one benchmark whose
// peak-live-B values are base×(1+i/1000).
func benchFile(t *testing.T, base float64) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("Unit peak-live-B better=lower\n\ngoos: linux\n")
	for i := range 6 {
		fmt.Fprintf(&b, "BenchmarkUpload/scenario=seed-20mb/mode=copy-per-peer/limiter=aimd 1 %.0f peak-live-B\n", base*(1+float64(i)/1000))
	}
	p := filepath.Join(t.TempDir(), "results.bench")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCompareExitCodes(t *testing.T) {
	same, also := benchFile(t, 480e6), benchFile(t, 480e6)
	worse := benchFile(t, 576e6) // +20 %
	// Both cases in old; in new, one of them no longer finishes (oom).
	both, gone := filepath.Join(t.TempDir(), "both.bench"), filepath.Join(t.TempDir(), "gone.bench")
	var b, g strings.Builder
	b.WriteString("Unit peak-live-B better=lower\n\n")
	g.WriteString("Unit peak-live-B better=lower\n\n")
	for i := range 6 {
		line := fmt.Sprintf("BenchmarkUpload/scenario=other/mode=streamed/limiter=aimd 1 %d peak-live-B\n", 5000+i)
		b.WriteString(line)
		g.WriteString(line)
		fmt.Fprintf(&b, "BenchmarkUpload/scenario=seed-20mb/mode=copy-per-peer/limiter=aimd 1 %d peak-live-B\n", 480000+i)
		fmt.Fprintf(&g, "# warning: seed-20mb/copy-per-peer-aimd-%d: oom: killed\n", i+1)
	}
	os.WriteFile(both, []byte(b.String()), 0o644)
	os.WriteFile(gone, []byte(g.String()), 0o644)
	corrupt := filepath.Join(t.TempDir(), "corrupt.bench")
	os.WriteFile(corrupt, []byte("BenchmarkUpload 1 5 peak-live-B 7\n"), 0o644)
	write := func(name, content string) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// The case: on main before the fix compare grew without bound.
	old6 := write("old.bench", strings.Repeat("BenchmarkUpload/x-2 1 100 peak-live-B\n", 6))
	nan := write("nan.bench", "BenchmarkUpload/x-2 1 NaN peak-live-B\n")
	inf := write("inf.bench", "BenchmarkUpload/x-2 1 100 peak-live-B\nBenchmarkUpload/x-2 1 +Inf peak-live-B\n")
	one := write("one.bench", "BenchmarkUpload/x-2 1 500 peak-live-B\n")
	old2 := write("old2.bench", strings.Repeat("BenchmarkUpload/x-2 1 100 peak-live-B\n", 2))
	cases := []struct {
		name     string
		old, new string
		code     int
		want     string
		flags    []string // before OLD and NEW
	}{
		{"same commit", same, also, 0, "", nil},
		{"20% regression", same, worse, 1, "peak-live-B", nil},
		{"case gone from new", both, gone, 1, "FAIL: no finished run in new", nil},
		{"corrupt file", same, corrupt, 2, "corrupt.bench:1", nil},
		{"missing file", same, "/nonexistent/results.bench", 2, "nonexistent", nil},
		{"NaN", old6, nan, 2, nan + ":1: Upload/x-2: peak-live-B is NaN, not a finite number", nil},
		{"+Inf", old6, inf, 2, inf + ":2: Upload/x-2: peak-live-B is +Inf", nil},
		{"6 against 1, five times worse: not judged", old6, one, 4, "NOT JUDGED", nil},
		{"2 against 2: not judged", old2, old2, 4, "could not be judged", nil},
		// A typo gates nothing: on main before the fix, "ok", exit 0.
		{"-metrics bogus-B", same, also, 2, `gating unit "bogus-B" is in neither`, []string{"-metrics", "bogus-B"}},
		{"-metrics peak-live", same, also, 2, "did you mean peak-live-B?", []string{"-metrics", "peak-live"}},
		{"-tolerance bogus-B=0.1", same, also, 2, `tolerance unit "bogus-B" is in neither`, []string{"-tolerance", "bogus-B=0.1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), &stdout, &stderr, append(append([]string{"compare"}, tc.flags...), tc.old, tc.new))
			code := 0
			if err != nil {
				code = exitCode(err)
			}
			if code != tc.code {
				t.Fatalf("exit %d, want %d (err %v)\n%s", code, tc.code, err, stdout.String())
			}
			if msg := stdout.String() + fmt.Sprint(err); !strings.Contains(msg, tc.want) {
				t.Errorf("output does not say %q:\n%s", tc.want, msg)
			}
		})
	}
}

// TestBudgetBreach lowers a budget below what the run measures: run exits
// 3 with one line naming the scenario, strategy, metric, value, limit and
// the peak profile.
func TestBudgetBreach(t *testing.T) {
	spec := `name: tight
description: "smoke with a budget below what it needs"
source: {size: 3MiB}
strategies: [streamed]
limiters: ["fixed:8"]
budgets:
  - strategy: streamed
    metric: peak-live-B
    max: 1MiB
`
	path := filepath.Join(t.TempDir(), "tight.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	out := t.TempDir()
	err := run(context.Background(), &stdout, &stderr, []string{"run", "-cache=false", path, "-o", out}) // flags after the name too
	if code := exitCode(err); code != 3 {
		t.Fatalf("exit %d, want 3 (err %v)\n%s", code, err, stderr.String())
	}
	line := ""
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.HasPrefix(l, "budget ") {
			line = l
		}
	}
	for _, want := range []string{"tight.yaml:7:", "tight/streamed (fixed:8)", "peak-live-B = ", "limit 1048576", "streamed-fixed_8-profile.peak.pb.gz"} {
		if !strings.Contains(line, want) {
			t.Errorf("breach line %q lacks %q", line, want)
		}
	}
	if md, err := os.ReadFile(filepath.Join(out, "summary.md")); err != nil || !strings.Contains(string(md), "1 budget(s) broken") {
		t.Errorf("summary.md does not report the breach: %v\n%s", err, md)
	}
	// fanbench report writes the summary again with the same verdict.
	os.Remove(filepath.Join(out, "summary.md"))
	if err := run(context.Background(), &stdout, &stderr, []string{"report", out}); err != nil {
		t.Fatal(err)
	}
	if md, err := os.ReadFile(filepath.Join(out, "summary.md")); err != nil || !strings.Contains(string(md), "1 budget(s) broken") {
		t.Errorf("fanbench report lost the breach: %v\n%s", err, md)
	}
	if page, err := os.ReadFile(filepath.Join(out, "report.html")); err != nil || !strings.Contains(string(page), "Budgets broken") {
		t.Errorf("report.html does not show the breach: %v", err)
	}
}

func TestScenariosList(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), &stdout, &stderr, []string{"scenarios"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"seed-20mb", "vm4g-1gb", "smoke", "merkle-4gb"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("list lacks %s", want)
		}
	}
}

// TestRunOutcomes checks that run fails when a run ends in a way its
// scenario does not expect, even without budgets, and passes an expected
// OOM. A memory limit of 1 MiB kills every child at its first RSS sample.
func TestRunOutcomes(t *testing.T) {
	const head = `name: outcomes
description: "every run killed at once, or timed out"
source: {size: 3MiB}
limiters: ["fixed:8"]
`
	cases := []struct {
		name string
		spec string
		args []string
		code int
		want string // on stderr or in the error
	}{
		// On main before the fix: 0 results, exit 0.
		{"every run timed out", head + "strategies: [streamed]\n", []string{"-timeout", "1ms"}, 1,
			"outcomes/streamed-1 (fixed:8): timeout, expected to finish"},
		{"expected oom", head + "strategies: [copy-per-peer, streamed]\nmemory_limit: 1MiB\nexpect:\n  - {strategy: \"*\", outcome: oom}\n", nil, 0, ""},
		{"unexpected oom", head + "strategies: [copy-per-peer, streamed]\nmemory_limit: 1MiB\nexpect:\n  - {strategy: copy-per-peer, outcome: oom}\n", nil, 1,
			"1 run(s) ended in a way their scenario does not expect:\noutcomes/streamed-1 (fixed:8): oom, expected to finish"},
		{"expected oom, limit from the flag", head + "strategies: [streamed]\nmemory_limit: 1GiB\nexpect:\n  - {strategy: streamed, outcome: oom}\n", []string{"-memlimit", "1MiB"}, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "outcomes.yaml")
			if err := os.WriteFile(path, []byte(tc.spec), 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			args := append([]string{"run", "-profile=false", "-cache=false", "-o", t.TempDir()}, tc.args...)
			err := run(context.Background(), &stdout, &stderr, append(args, path))
			code := 0
			if err != nil {
				code = exitCode(err)
			}
			if code != tc.code {
				t.Fatalf("exit %d, want %d (err %v)\n%s", code, tc.code, err, stderr.String())
			}
			if msg := fmt.Sprint(err) + stderr.String(); !strings.Contains(msg, tc.want) {
				t.Errorf("output does not say %q:\n%s", tc.want, msg)
			}
		})
	}
}
