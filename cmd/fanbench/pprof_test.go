package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/pick"
	"github.com/fanbench/fanbench/harness/result"
)

// pprofResults runs copy-per-peer and shared-buffer on a 3 MB source at
// fixed:4, through the real runner, into a results directory: a measured
// run and a profiling run of each.
func pprofResults(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	args := []string{"run", "-size", "3000000", "-modes", "copy-per-peer,shared-buffer", "-limiter", "fixed:4", "-cache=false", "-o", dir}
	if err := run(context.Background(), &stdout, &stderr, args); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	return dir
}

// firstFlat returns the first line of pprof's top table.
func firstFlat(t *testing.T, top string) string {
	t.Helper()
	lines := strings.Split(top, "\n")
	for i, l := range lines {
		if strings.Contains(l, "flat%") && strings.Contains(l, "cum%") && i+1 < len(lines) {
			return lines[i+1]
		}
	}
	t.Fatalf("no top table in:\n%s", top)
	return ""
}

func TestPprof(t *testing.T) {
	dir := pprofResults(t)
	ctx := context.Background()

	t.Run("top diff", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		// DIR first, flags after, as the issue writes it.
		err := cmdPprof(ctx, &stdout, &stderr, []string{dir, "-top", "-mode", "copy-per-peer", "-base", "shared-buffer"})
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr.String())
		}
		first := firstFlat(t, stdout.String())
		if !strings.HasSuffix(first, "site.copy") {
			t.Errorf("first flat line %q is not the per-peer copy:\n%s", first, stdout.String())
		}
		if m := regexp.MustCompile(`^\s*(\S+)`).FindStringSubmatch(first); m == nil || strings.HasPrefix(m[1], "-") {
			t.Errorf("the per-peer copy's difference is not positive: %q", first)
		}
		for _, want := range []string{"copy-per-peer-fixed_4-profile.peak.pb.gz", "minus the peak profile of", "shared-buffer-fixed_4-profile.peak.pb.gz"} {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
			}
		}
		if strings.Contains(stderr.String(), "Generating report") {
			t.Errorf("pprof's file message reached stderr:\n%s", stderr.String())
		}
	})

	t.Run("top alone", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		// The only scenario and limiter are chosen; -mode defaults to copy-per-peer.
		if err := cmdPprof(ctx, &stdout, &stderr, []string{"-top", dir}); err != nil {
			t.Fatalf("%v\n%s", err, stderr.String())
		}
		if !strings.Contains(stdout.String(), "site.copy") || !strings.Contains(stdout.String(), "Type: inuse_space") {
			t.Errorf("top of copy-per-peer's peak profile:\n%s", stdout.String())
		}
	})

	t.Run("web", func(t *testing.T) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stderr := &syncBuffer{}
		done := make(chan error, 1)
		go func() {
			done <- cmdPprof(ctx, io.Discard, stderr, []string{dir, "-base", "shared-buffer", "-browser=false"})
		}()
		re := regexp.MustCompile(`Serving web UI on (http://127\.0\.0\.1:\d+)`)
		var url string
		for deadline := time.Now().Add(10 * time.Second); url == ""; {
			if m := re.FindStringSubmatch(stderr.String()); m != nil {
				url = m[1]
				break
			}
			select {
			case err := <-done:
				t.Fatalf("returned before serving: %v\n%s", err, stderr.String())
			case <-time.After(20 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				t.Fatalf("no URL announced:\n%s", stderr.String())
			}
		}
		resp, err := http.Get(url + "/top") // redirected to /ui/top
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "site.copy") {
			t.Errorf("GET %s/top: %s\n%.500s", url, resp.Status, body)
		}
		// A request naming another host (DNS rebinding) is refused.
		req, _ := http.NewRequest("GET", url+"/ui/top", nil)
		req.Host = "attacker.example:80"
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("foreign Host header: %v, %v", resp, err)
		} else {
			resp.Body.Close()
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("after interrupt: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("server did not stop")
		}
	})

	// Commit against commit: a comparison directory whose base holds, in
	// copy-per-peer's place, the shared-buffer peak profile (as if the base
	// commit had PR #82's fix and the head lost it). Head's peak against
	// base's puts the per-peer copy, the site that grew, on top.
	cmpDir := t.TempDir()
	copyDir(t, dir, filepath.Join(cmpDir, "head"))
	copyDir(t, dir, filepath.Join(cmpDir, "base"))
	shared, _ := filepath.Glob(filepath.Join(cmpDir, "base", "profiles", "*", "shared-buffer-*-profile.peak.pb.gz"))
	copies, _ := filepath.Glob(filepath.Join(cmpDir, "base", "profiles", "*", "copy-per-peer-*-profile.peak.pb.gz"))
	if len(shared) != 1 || len(copies) != 1 {
		t.Fatalf("profiles: %v, %v", shared, copies)
	}
	if b, err := os.ReadFile(shared[0]); err != nil || os.WriteFile(copies[0], b, 0o644) != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{cmpDir, "-top", "-mode", "copy-per-peer"},
		{filepath.Join(cmpDir, "head"), "-base-dir", filepath.Join(cmpDir, "base"), "-top"},
	} {
		t.Run("commit against commit "+filepath.Base(args[0]), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if err := cmdPprof(ctx, &stdout, &stderr, args); err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			if first := firstFlat(t, stdout.String()); !strings.HasSuffix(first, "site.copy") {
				t.Errorf("first flat line %q is not the per-peer copy:\n%s", first, stdout.String())
			}
			if !strings.Contains(stderr.String(), "minus the peak profile of") || !strings.Contains(stderr.String(), filepath.Join(cmpDir, "base")) {
				t.Errorf("stderr does not name the base's profile:\n%s", stderr.String())
			}
		})
	}

	// A second scenario's profiling run of copy-per-peer, under another
	// limiter, makes the scenario ambiguous; within it, the limiter too.
	ambiguous := t.TempDir()
	recs, err := pick.Records(dir, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var extra []*result.Record
	for _, r := range recs {
		if r.Profile && r.Strategy == "copy-per-peer" {
			for _, sc := range []struct{ scenario, limiter string }{{r.Scenario, "aimd"}, {"other", "aimd"}} {
				c := *r
				c.Scenario, c.Limiter = sc.scenario, sc.limiter
				extra = append(extra, &c)
			}
		}
	}
	writeJSONRecords(t, ambiguous, append(recs, extra...))
	copyDir(t, filepath.Join(dir, "profiles"), filepath.Join(ambiguous, "profiles"))
	noProfiles := t.TempDir()
	var measured []*result.Record
	for _, r := range recs {
		if !r.Profile {
			measured = append(measured, r)
		}
	}
	writeJSONRecords(t, noProfiles, measured)
	scen := recs[0].Scenario

	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no records", []string{t.TempDir(), "-top"}, "holds no run records"},
		{"missing dir", []string{filepath.Join(t.TempDir(), "nope"), "-top"}, "no such file or directory"},
		{"no profiling run", []string{noProfiles, "-top"}, "no profiling run"},
		{"unknown mode", []string{dir, "-top", "-mode", "zero-copy"}, `-mode: unknown strategy "zero-copy"`},
		{"mode not run", []string{dir, "-top", "-mode", "streamed"}, "-strategy: no profiling run of streamed in " + scen + "; strategies there: copy-per-peer, shared-buffer"},
		{"base not run", []string{dir, "-top", "-base", "encode-once"}, "-base: no profiling run of encode-once in " + scen + " (fixed:4); strategies there: copy-per-peer, shared-buffer"},
		{"base is mode", []string{dir, "-top", "-base", "copy-per-peer"}, "-base: copy-per-peer is -strategy itself"},
		{"unknown limiter", []string{dir, "-top", "-limiter", "fixed:64"}, `-limiter: no profiling run of ` + scen + `/copy-per-peer with "fixed:64"; limiters there: fixed:4`},
		{"ambiguous scenario", []string{ambiguous, "-top"}, "several scenarios; choose one with -scenario: other, " + scen},
		{"unknown scenario", []string{ambiguous, "-top", "-scenario", "smoke"}, `-scenario: no profiling run of "smoke"`},
		{"ambiguous limiter", []string{ambiguous, "-top", "-scenario", scen}, scen + "/copy-per-peer ran several limiters; choose one with -limiter: aimd, fixed:4"},
		{"base under another limiter", []string{ambiguous, "-top", "-scenario", scen, "-limiter", "aimd", "-base", "shared-buffer"}, "-base: no profiling run of shared-buffer in " + scen + " (aimd); strategies there: copy-per-peer"},
		{"two dirs", []string{dir, dir, "-top"}, "one results directory expected"},
		{"http not loopback", []string{dir, "-http", "0.0.0.0:0"}, `-http: "0.0.0.0" is not a loopback host`},
		{"http public name", []string{dir, "-http", "example.com:8080"}, `-http: "example.com" is not a loopback host`},
		{"http with top", []string{dir, "-top", "-http", "127.0.0.1:0"}, "-top prints the text view and serves nothing"},
		{"base and base-dir", []string{dir, "-top", "-base", "shared-buffer", "-base-dir", dir}, "-base and -base-dir"},
		{"base-dir without the case", []string{dir, "-top", "-mode", "shared-buffer", "-base-dir", noProfiles}, "-base-dir: no profiling run of " + scen + "/shared-buffer (fixed:4) in " + noProfiles + "; profiling runs there: none"},
		{"base-dir missing", []string{dir, "-top", "-base-dir", filepath.Join(t.TempDir(), "nope")}, "-base-dir: results directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := cmdPprof(ctx, &stdout, &stderr, tc.args)
			if err == nil {
				t.Fatalf("no error; stdout:\n%s", stdout.String())
			}
			if code := exitCode(err); code != 2 {
				t.Errorf("exit code %d, want 2 (%v)", code, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			if stdout.Len() > 0 {
				t.Errorf("stdout on error:\n%s", stdout.String())
			}
		})
	}

	// The ambiguity resolved, the copied record's profile opens.
	t.Run("limiter chosen", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		if err := cmdPprof(ctx, &stdout, &stderr, []string{ambiguous, "-top", "-scenario", scen, "-limiter", "aimd"}); err != nil {
			t.Fatalf("%v\n%s", err, stderr.String())
		}
	})
}

func writeJSONRecords(t *testing.T, dir string, recs []*result.Record) {
	t.Helper()
	if err := result.WriteResults(dir, &result.Results{Batch: result.Batch{ID: recs[0].Batch}, Records: recs}); err != nil {
		t.Fatal(err)
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
