package main

import (
	"bytes"
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
)

// examples returns the fanbench command lines of a usage text's Examples:
// block, each as the words after "fanbench": a line's commands joined with
// && each, the part before a pipe, without a redirection or a # comment.
func examples(t *testing.T, usage string) [][]string {
	t.Helper()
	_, block, ok := strings.Cut(usage, "\nExamples:\n")
	if !ok {
		return nil
	}
	block, _, _ = strings.Cut(block, "\n\n")
	var out [][]string
	for _, line := range strings.Split(block, "\n") {
		for _, cmd := range strings.Split(line, "&&") {
			cmd, _, _ = strings.Cut(cmd, "|")
			cmd, _, _ = strings.Cut(cmd, ">")
			words, err := shellWords(cmd)
			if err != nil {
				t.Fatalf("example %q: %v", line, err)
			}
			if len(words) == 0 {
				continue
			}
			if words[0] != "fanbench" {
				t.Errorf("example %q does not run fanbench", line)
				continue
			}
			out = append(out, words[1:])
		}
	}
	return out
}

// TestUsageExamples runs every example in every command's usage text (as
// x/perf's cmd/benchstat/doc_test.go runs benchstat's documented examples),
// from the module's root, as docs/sweep.yaml and the built-in scenarios are
// named: each must parse, name scenarios, files and flags fanbench
// accepts, and plan its runs, in parse-only mode (nothing runs, nothing is
// read from or written to its results directories or the spill cache);
// the commands that only print (scenarios, clients) run for real and must
// print something. Every command documents at least one example.
func TestUsageExamples(t *testing.T) {
	t.Chdir("../..")
	ctx := context.WithValue(context.Background(), parseOnlyKey{}, true)
	for _, name := range slices.Sorted(maps.Keys(commands)) {
		var stdout, stderr bytes.Buffer
		if err := run(ctx, &stdout, &stderr, []string{name, "-h"}); exitCode(err) != 0 {
			t.Fatalf("%s -h: %v", name, err)
		}
		exs := examples(t, stdout.String())
		if len(exs) == 0 {
			t.Errorf("fanbench %s -h shows no example", name)
		}
		for _, args := range exs {
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				for _, k := range []string{"JOB_COMPLETION_INDEX", "FANBENCH_SHARDS", "TEST_SHARD_INDEX", "TEST_TOTAL_SHARDS", "FANBENCH_CACHE_MAX"} {
					t.Setenv(k, "")
				}
				var stdout, stderr bytes.Buffer
				if err := run(ctx, &stdout, &stderr, args); err != nil {
					t.Fatalf("fanbench %s: %v (exit %d)\n%s", strings.Join(args, " "), err, exitCode(err), stderr.String())
				}
				if (args[0] == "scenarios" || args[0] == "clients") && stdout.Len() == 0 {
					t.Errorf("fanbench %s printed nothing", strings.Join(args, " "))
				}
			})
		}
	}
}

// TestUsageExamplesFail checks that the test can fail: an example that
// fanbench refuses is refused, and a block's lines are all found.
func TestUsageExamplesFail(t *testing.T) {
	exs := examples(t, "usage\n\nExamples:\n  fanbench run -count 0 smoke | tee x   # a comment\n  fanbench run -o a x && fanbench report a\n\nFlags:\n")
	if want := [][]string{{"run", "-count", "0", "smoke"}, {"run", "-o", "a", "x"}, {"report", "a"}}; !slices.EqualFunc(exs, want, slices.Equal) {
		t.Fatalf("examples = %q, want %q", exs, want)
	}
	ctx := context.WithValue(context.Background(), parseOnlyKey{}, true)
	var out bytes.Buffer
	if err := run(ctx, &out, &out, exs[0]); err == nil || !strings.Contains(err.Error(), "-count: must be ≥ 1") {
		t.Errorf("run %q = %v, want the -count error", exs[0], err)
	}
}
