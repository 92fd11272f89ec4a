package main

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/pick"
	"github.com/fanbench/fanbench/cmd/fanbench/internal/progress"
	"github.com/fanbench/fanbench/harness/result"
)

// TestInterrupt runs fanbench (this test binary as main) on smoke, sends it
// SIGINT or SIGTERM once a few runs have finished, and checks what it
// leaves: exit 128 + the signal; results.json, results.bench, report.html
// and summary.md over the finished runs, each saying "interrupted after N
// of M runs"; no run recorded as a timeout. On main before the fix, SIGINT
// recorded the run in flight as a timeout and exited 1, and SIGTERM left no
// results.json, report or summary.
func TestInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("runs fanbench until it is interrupted")
	}
	for _, c := range []struct {
		sig  syscall.Signal
		code int
		name string
	}{{syscall.SIGINT, 130, "SIGINT"}, {syscall.SIGTERM, 143, "SIGTERM"}} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(os.Args[0], "run", "-count", "20", "-modes", "streamed", "-profile=false", "-cache=false", "-o", dir, "smoke")
			cmd.Env = append(os.Environ(), asFanbench+"=1")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Wait for three records: two runs surely finished (a child
			// writes its record just before it exits, so the third may yet
			// be cancelled). The outcome checked below does not depend on
			// when the signal lands.
			for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
				if n, _ := filepath.Glob(filepath.Join(dir, "runs", "*", "*.json")); len(n) >= 3 {
					break
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("no three runs within a minute:\n%s", stderr.String())
				}
			}
			cmd.Process.Signal(c.sig)
			err := cmd.Wait()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != c.code {
				t.Fatalf("exit %v, want %d\n%s", err, c.code, stderr.String())
			}
			res, err := result.LoadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			b := res.Batch
			if b.FromRuns || b.Interrupted != c.name || b.Planned != 20 || b.Finished < 2 || b.Finished >= 20 {
				t.Errorf("batch %+v", b)
			}
			ok := 0
			for _, r := range res.Records {
				switch r.Status {
				case result.OK:
					ok++
				case result.Cancelled:
				default:
					t.Errorf("%s: status %s (%s)", progress.RunName(r), r.Status, r.Error)
				}
				if r.Batch != b.ID {
					t.Errorf("%s: batch %q, want %q", progress.RunName(r), r.Batch, b.ID)
				}
			}
			if ok != b.Finished {
				t.Errorf("%d ok records, %d finished", ok, b.Finished)
			}
			line := b.InterruptedLine()
			for _, f := range []string{"results.bench", "report.html", "summary.md"} {
				if data, err := os.ReadFile(filepath.Join(dir, f)); err != nil || !bytes.Contains(bytes.ToLower(data), []byte(strings.ToLower(line))) {
					t.Errorf("%s does not say %q: %v", f, line, err)
				}
			}
			if !strings.Contains(stderr.String(), "fanbench: "+line) {
				t.Errorf("the terminal was not told %q:\n%s", line, stderr.String())
			}
		})
	}
}

// TestResultsDirTaken checks that a second batch into a results directory
// that a batch holds is refused at once, exit 2, naming it; and that an -o
// that cannot be written is refused before any run. On main before the
// fix, the second batch ran and its results.json replaced the first's, and
// an unwritable -o was found after every run had been done.
func TestResultsDirTaken(t *testing.T) {
	dir := t.TempDir()
	lock, err := result.LockDir(dir, "first")
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock()
	file := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(file, nil, 0o644)
	for _, c := range []struct {
		name, out, want string
	}{
		{"in use", dir, "results directory " + dir + " is in use by another batch (pid "},
		{"a file", file, "results directory " + file},
		{"under a file", filepath.Join(file, "sub"), "not a directory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), &stdout, &stderr, []string{"run", "-profile=false", "-cache=false", "-modes", "streamed", "-o", c.out, "smoke"})
			if code := exitCode(err); code != 2 || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("exit %d, %v; want 2 saying %q", code, err, c.want)
			}
			if strings.Contains(stderr.String(), "[1/") {
				t.Errorf("a run started:\n%s", stderr.String())
			}
		})
	}
}

// TestBatches runs two batches into one directory: the second moves the
// first's files to previous/, every record carries its batch's ID and the
// code's commit, and when the second dies before writing results.json,
// fanbench report and pprof read its runs, not the first's results.json.
func TestBatches(t *testing.T) {
	dir := t.TempDir()
	runOnce := func(modes string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), &stdout, &stderr, []string{"run", "-size", "3000", "-limiter", "fixed:4", "-cache=false", "-modes", modes, "-o", dir}); err != nil {
			t.Fatalf("%v\n%s", err, stderr.String())
		}
	}
	runOnce("copy-per-peer")
	first, err := result.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	runOnce("streamed")
	second, err := result.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !(first.Batch.ID < second.Batch.ID) {
		t.Errorf("batch IDs %q, %q do not sort by time", first.Batch.ID, second.Batch.ID)
	}
	for _, r := range second.Records {
		if r.Strategy != "streamed" || r.Batch != second.Batch.ID || r.Commit != second.Batch.Commit {
			t.Errorf("second batch holds %s of batch %q, code %q", progress.RunName(r), r.Batch, r.Commit)
		}
	}
	if second.Batch.Commit == "" && inGitCheckout() {
		t.Error("no commit of the code under test, in a git checkout")
	}
	// The first batch's profiles went with it.
	if m, _ := filepath.Glob(filepath.Join(dir, "profiles", "*", "copy-per-peer-*")); len(m) > 0 {
		t.Errorf("the first batch's profiles are still beside the second's: %v", m)
	}
	if prev, err := result.LoadDir(filepath.Join(dir, result.PreviousDir)); err != nil || prev.Batch.ID != first.Batch.ID {
		t.Errorf("previous/: %v, %+v", err, prev)
	}
	for _, f := range []string{"report.html", "summary.md"} {
		if b, err := os.ReadFile(filepath.Join(dir, f)); err != nil || !bytes.Contains(b, []byte(second.Batch.Commit)) || !bytes.Contains(b, []byte(second.Batch.ID)) {
			t.Errorf("%s does not name the batch and the commit: %v", f, err)
		}
	}

	// A third batch killed before results.json: its runs win over the
	// second's results.json.
	third := *second.Records[0]
	third.Batch, third.Rep = result.NewBatchID(time.Now()), 7
	if err := result.Write(filepath.Join(dir, "runs", third.Scenario, "streamed-fixed_4-7.json"), &third); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), &stdout, &stderr, []string{"report", dir}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "batch "+third.Batch+" wrote no results.json") {
		t.Errorf("report did not say it reads runs/:\n%s", stderr.String())
	}
	if md, _ := os.ReadFile(filepath.Join(dir, "summary.md")); !bytes.Contains(md, []byte("The batch did not finish")) || !bytes.Contains(md, []byte(third.Batch)) {
		t.Errorf("summary.md is not the third batch's:\n%s", md)
	}
	recs, err := pick.Records(dir, &stderr)
	if err != nil || len(recs) != 1 || recs[0].Rep != 7 {
		t.Errorf("pprof's records: %v, %d", err, len(recs))
	}
}

// TestHelp checks Go's convention: -h prints the usage on stdout and exits
// 0. On main before the fix, it went to stderr with exit 2.
func TestHelp(t *testing.T) {
	for _, cmd := range slices.Sorted(maps.Keys(commands)) {
		t.Run(cmd, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), &stdout, &stderr, []string{cmd, "-h"})
			if code := exitCode(err); err != nil && code != 0 {
				t.Errorf("exit %d (%v)", code, err)
			}
			if !strings.HasPrefix(stdout.String(), "usage: fanbench "+cmd) || stderr.Len() != 0 {
				t.Errorf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
			}
		})
	}
}
