package result

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLockDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "results")
	l, err := LockDir(dir, "b1")
	if err != nil {
		t.Fatal(err)
	}
	// A second batch is refused at once, naming the directory and the
	// holder (flock conflicts between two opens in one process too).
	_, err = LockDir(dir, "b2")
	var busy *BusyError
	if !errors.As(err, &busy) || busy.Dir != dir || busy.Holder != fmt.Sprintf("pid %d, batch b1", os.Getpid()) ||
		!strings.Contains(err.Error(), "results directory "+dir+" is in use by another batch") {
		t.Fatalf("second lock: %v (%+v)", err, busy)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	l, err = LockDir(dir, "b3")
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	l.Unlock()
}

func TestLockDirNotWritable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LockDir(file, "b"); err == nil || !strings.Contains(err.Error(), "results directory "+file) {
		t.Errorf("a file as the directory: %v", err)
	}
	if _, err := LockDir(filepath.Join(file, "sub"), "b"); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("a directory under a file: %v", err)
	}
	if os.Geteuid() == 0 {
		t.Skip("root writes into read-only directories")
	}
	ro := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	if _, err := LockDir(ro, "b"); err == nil || !strings.Contains(err.Error(), "not writable") {
		t.Errorf("a read-only directory: %v", err)
	}
}

func TestRetire(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("runs/smoke/streamed-fixed_8-1.json", "first")
	write("profiles/smoke/streamed-fixed_8-profile.peak.pb.gz", "first")
	write("results.json", "first")
	write("batch.json", "first")
	write("traces/smoke/streamed-fixed_8-1.trace", "first")
	write("calibration.json", "first")
	write("mine.txt", "not fanbench's")
	l, err := LockDir(dir, "b")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	moved, err := l.Retire()
	want := []string{"runs", "profiles", "batch.json", "results.json", "traces", "calibration.json"}
	if err != nil || !slices.Equal(moved, want) {
		t.Fatalf("Retire = %v, %v", moved, err)
	}
	for _, p := range want {
		if _, err := os.Stat(filepath.Join(dir, p)); !os.IsNotExist(err) {
			t.Errorf("%s still in place: %v", p, err)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "previous/runs/smoke/streamed-fixed_8-1.json")); err != nil || string(b) != "first" {
		t.Errorf("previous/runs: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "mine.txt")); err != nil {
		t.Errorf("a file that is not fanbench's was moved: %v", err)
	}
	// The next batch's leftovers replace the previous ones.
	write("summary.md", "second")
	if moved, err := l.Retire(); err != nil || !slices.Equal(moved, []string{"summary.md"}) {
		t.Fatalf("second Retire = %v, %v", moved, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "previous/runs")); !os.IsNotExist(err) {
		t.Errorf("the batch before last is still in previous/: %v", err)
	}
	if moved, err := l.Retire(); err != nil || moved != nil {
		t.Errorf("Retire of a clean directory = %v, %v", moved, err)
	}
}

// rec is a record of batch id.
func rec(id, strategy string, rep int, st Status) *Record {
	return &Record{Version: Version, Scenario: "smoke", Strategy: strategy, Limiter: "fixed:8", Rep: rep, Status: st, Batch: id, Commit: "c-" + id}
}

func TestLoadDir(t *testing.T) {
	older, newer := NewBatchID(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)), NewBatchID(time.Date(2026, 12, 1, 11, 0, 0, 0, time.UTC))
	if !(older < newer) || len(older) != len("20261201T100000.000000000Z-12345678") {
		t.Fatalf("IDs %q, %q do not sort by time", older, newer)
	}
	writeRun := func(dir string, r *Record) {
		t.Helper()
		p := filepath.Join(dir, RunsDir, r.Scenario, fmt.Sprintf("%s-%d.json", r.Strategy, r.Rep))
		if err := Write(p, r); err != nil {
			t.Fatal(err)
		}
	}
	type want struct {
		id       string
		n        int
		fromRuns bool
		finished int
		planned  int
	}
	cases := []struct {
		name  string
		setup func(dir string)
		want  want
		err   string
	}{
		{"results.json only", func(dir string) {
			WriteResults(dir, &Results{Batch: Batch{ID: older, Planned: 2, Finished: 2}, Records: []*Record{rec(older, "streamed", 1, OK), rec(older, "streamed", 2, OK)}})
		}, want{older, 2, false, 2, 2}, ""},
		{"results.json and its own runs", func(dir string) {
			writeRun(dir, rec(older, "streamed", 1, OK))
			WriteResults(dir, &Results{Batch: Batch{ID: older}, Records: []*Record{rec(older, "streamed", 1, OK)}})
		}, want{older, 1, false, 0, 0}, ""},
		// A newer batch was killed before it wrote results.json: its runs
		// are read, not the older batch's results.json (on main before the
		// fix, report and pprof read the stale results.json).
		{"newer runs than results.json", func(dir string) {
			WriteResults(dir, &Results{Batch: Batch{ID: older}, Records: []*Record{rec(older, "streamed", 1, OK)}})
			writeRun(dir, rec(newer, "streamed", 2, Cancelled))
			writeRun(dir, rec(newer, "streamed", 1, OK))
			writeRun(dir, rec(older, "copy-per-peer", 1, OK))
		}, want{newer, 2, true, 1, 0}, ""},
		// The killed batch wrote batch.json as it started: what it planned
		// is known.
		{"killed batch with its batch.json", func(dir string) {
			WriteResults(dir, &Results{Batch: Batch{ID: older}, Records: []*Record{rec(older, "streamed", 1, OK)}})
			WriteBatch(dir, &Batch{ID: newer, Planned: 20})
			writeRun(dir, rec(newer, "streamed", 1, OK))
			writeRun(dir, rec(newer, "streamed", 2, OK))
		}, want{newer, 2, true, 2, 20}, ""},
		{"no results.json", func(dir string) {
			writeRun(dir, rec(newer, "streamed", 1, OK))
		}, want{newer, 1, true, 1, 0}, ""},
		{"older fanbench: a list, no batch IDs", func(dir string) {
			os.WriteFile(filepath.Join(dir, ResultsFile), []byte(`[{"version":1,"scenario":"smoke","strategy":"streamed","status":"ok"}]`), 0o644)
			writeRun(dir, &Record{Version: Version, Scenario: "smoke", Strategy: "streamed", Status: OK})
		}, want{"", 1, false, 1, 0}, ""},
		{"empty", func(string) {}, want{}, "holds no run records"},
		{"corrupt batch.json", func(dir string) {
			os.WriteFile(filepath.Join(dir, BatchFile), []byte(`{"id":""}`), 0o644)
		}, want{}, "batch.json: no batch ID"},
		{"corrupt run", func(dir string) {
			os.MkdirAll(filepath.Join(dir, RunsDir, "smoke"), 0o755)
			os.WriteFile(filepath.Join(dir, RunsDir, "smoke", "x.json"), []byte(`{"version":1,`), 0o644)
		}, want{}, filepath.Join(RunsDir, "smoke", "x.json") + ": unexpected end of JSON input"},
		{"record of another version", func(dir string) {
			os.WriteFile(filepath.Join(dir, ResultsFile), []byte(`[{"version":9,"scenario":"s","strategy":"m"}]`), 0o644)
		}, want{}, "results.json: record 0: record version 9, this fanbench reads 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			c.setup(dir)
			res, err := LoadDir(dir)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want one saying %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := want{res.Batch.ID, len(res.Records), res.Batch.FromRuns, res.Batch.Finished, res.Batch.Planned}
			if got != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
			for _, r := range res.Records {
				if r.Batch != c.want.id {
					t.Errorf("record of batch %q in batch %q", r.Batch, c.want.id)
				}
			}
			if c.want.fromRuns && res.Batch.Commit != "c-"+c.want.id {
				t.Errorf("commit %q, want the records'", res.Batch.Commit)
			}
		})
	}
	if _, err := LoadDir(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing directory loaded")
	}
}

func TestInterruptedLine(t *testing.T) {
	b := Batch{Planned: 20, Finished: 3}
	if got := b.InterruptedLine(); got != "" {
		t.Errorf("not interrupted: %q", got)
	}
	b.Interrupted = "SIGTERM"
	if got := b.InterruptedLine(); got != "interrupted after 3 of 20 runs (SIGTERM)" {
		t.Errorf("InterruptedLine = %q", got)
	}
}
