package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBrowserReport opens a run's report.html in headless Chromium, offline:
// the page must draw every chart, log no console error and give a
// screenshot. It is skipped where Chromium is not installed (.ci/run
// installs it).
func TestBrowserReport(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium not installed")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	args := []string{"run", "-size", "3000000", "-modes", "copy-per-peer,streamed", "-limiter", "fixed:4", "-cache=false", "-o", dir}
	if err := run(context.Background(), &stdout, &stderr, args); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	page := filepath.Join(dir, "report.html")
	src, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Count(string(src), "<svg")

	browse := func(extra ...string) (string, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		// The flags keep Chromium off the network and out of the sandbox it
		// cannot have as root in CI.
		a := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--enable-logging=stderr", "--v=0", "--user-data-dir=" + t.TempDir()}, extra...)
		cmd := exec.CommandContext(ctx, chromium, append(a, "file://"+page)...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium %v: %v\n%s", extra, err, errb.String())
		}
		return out.String(), errb.String()
	}
	dom, log := browse("--dump-dom")
	if got := strings.Count(dom, "<svg"); got != want || want < 4 {
		t.Errorf("the browser's DOM has %d charts, the file %d", got, want)
	}
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, ":CONSOLE") {
			t.Errorf("console message: %s", line)
		}
	}
	shot := filepath.Join(dir, "report.png")
	browse("--window-size=1300,2400", "--screenshot="+shot)
	if st, err := os.Stat(shot); err != nil || st.Size() < 20_000 {
		t.Fatalf("screenshot: %v (%d bytes)", err, st.Size())
	}
}
