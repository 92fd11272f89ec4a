package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/exit"
	"github.com/fanbench/fanbench/harness/result"
)

// inGitCheckout reports whether the tests run inside a git checkout with a
// commit, as the -base form needs.
func inGitCheckout() bool {
	return exec.Command("git", "rev-parse", "--verify", "--quiet", "HEAD").Run() == nil
}

func TestCompareRevErrors(t *testing.T) {
	cases := []struct {
		args []string
		git  bool // needs a git checkout
		want string
	}{
		{[]string{"-base", "no-such-rev-4f2a"}, true, `-base: "no-such-rev-4f2a" is not a commit`},
		{[]string{"-base", "HEAD", "-head", "no-such-head-9c1e"}, true, `-head: "no-such-head-9c1e" is not a commit`},
		{[]string{"-base", "HEAD~100000"}, true, `"HEAD~100000" is not a commit`},
		{[]string{"-base", "--upload-pack=x"}, true, `"--upload-pack=x" is not a revision`},
		{[]string{"-base", ""}, false, "-base: empty revision"},
		{[]string{"-base", "HEAD", "-count", "0"}, false, "-count: must be ≥ 1"},
		{[]string{"-base", "HEAD", "-modes", "zero-copy"}, false, `-modes: unknown strategy "zero-copy"`},
		{[]string{"-base", "HEAD", "no-such-scenario"}, false, `unknown scenario "no-such-scenario"`},
		{[]string{"-base", "HEAD", "-alpha", "2"}, false, "alpha 2 is not in (0, 1)"},
		{[]string{"-count", "6", "old.bench", "new.bench"}, false, "-count applies only with -base"},
		{[]string{"-head", "HEAD", "old.bench", "new.bench"}, false, "-head applies only with -base"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			if tc.git && !inGitCheckout() {
				t.Skip("not in a git checkout")
			}
			var stdout, stderr bytes.Buffer
			args := append([]string{"compare"}, tc.args...)
			if tc.args[0] == "-base" {
				args = append([]string{"compare", "-o", t.TempDir()}, tc.args...)
			}
			err := run(context.Background(), &stdout, &stderr, args)
			if err == nil {
				t.Fatal("no error")
			}
			if got := exitCode(err); got != 2 {
				t.Errorf("exit code %d, want 2 (err %v)", got, err)
			}
			if msg := err.Error() + stderr.String(); !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not say %q", msg, tc.want)
			}
			if strings.Contains(stderr.String(), "building") {
				t.Errorf("built something before refusing:\n%s", stderr.String())
			}
		})
	}
}

// TestCompareBase builds HEAD and the working tree of this repository and
// compares one streamed run of smoke on each, plus a profiling run each:
// about 20 s with a warm build cache, twice that with a cold one.
func TestCompareBase(t *testing.T) {
	if testing.Short() {
		t.Skip("builds fanbench twice")
	}
	if !inGitCheckout() {
		t.Skip("not in a git checkout")
	}
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), &stdout, &stderr, []string{"compare", "-base", "HEAD", "-count", "1", "-modes", "streamed", "-cache=false", "-o", out, "smoke"})
	code := 0
	if err != nil {
		code = exitCode(err)
	}
	// One run a side: the U test cannot judge anything, which is no pass.
	if code != exit.NotJudged {
		t.Fatalf("exit %d, want %d: %v\nstdout:\n%s\nstderr:\n%s", code, exit.NotJudged, err, stdout.String(), stderr.String())
	}
	for _, want := range []string{"base: HEAD = ", "head: the working tree", "Upload/scenario=smoke/mode=streamed/limiter=fixed8", "NOT JUDGED"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}
	for _, want := range []string{"[1/4] base smoke/streamed-1 fixed:8: ok", "[2/4] head smoke/streamed-1 fixed:8: ok",
		"[3/4] base smoke/streamed-profile fixed:8: ok", "[4/4] head smoke/streamed-profile fixed:8: ok"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	// The summary names the largest site change (or that none changed).
	if md, err := os.ReadFile(filepath.Join(out, "summary.md")); err != nil || !strings.Contains(string(md), "base: ") || !strings.Contains(string(md), "streamed") ||
		!strings.Contains(string(md), "site") || !strings.Contains(string(md), "against the base") {
		t.Errorf("summary.md with the comparison: %v\n%s", err, md)
	}
	// Each side kept its peak profile: fanbench pprof sets head's against
	// base's (on main before the fix, compare -base kept no profiles).
	var top, perr bytes.Buffer
	if err := cmdPprof(context.Background(), &top, &perr, []string{out, "-top", "-mode", "streamed"}); err != nil ||
		!strings.Contains(perr.String(), filepath.Join(out, "base", "profiles")) || !strings.Contains(top.String(), "flat%") {
		t.Errorf("pprof of the comparison: %v\n%s\n%s", err, perr.String(), top.String())
	}
	for _, s := range []string{"base", "head"} {
		b, err := os.ReadFile(filepath.Join(out, s, "results.bench"))
		if err != nil || !strings.Contains(string(b), "BenchmarkUpload/scenario=smoke/mode=streamed") {
			t.Errorf("%s/results.bench: %v\n%s", s, err, b)
		}
		res, err := result.LoadDir(filepath.Join(out, s))
		if err != nil || len(res.Records) != 2 || res.Batch.FromRuns || res.Records[0].Batch != res.Batch.ID || res.Batch.Commit == "" {
			t.Errorf("%s/results.json: %v, %+v", s, err, res)
		}
	}
	// The worktree is gone.
	if wts, err := exec.Command("git", "worktree", "list").Output(); err != nil || strings.Contains(string(wts), "fanbench-compare-") {
		t.Errorf("worktree left behind: %v\n%s", err, wts)
	}
}
