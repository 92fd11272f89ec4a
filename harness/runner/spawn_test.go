package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fanbench/fanbench/harness/result"
)

// TestMain lets this test binary serve as its own child: Spawn re-executes
// it with ChildJobEnv set, and fakeRun plays the job.
func TestMain(m *testing.M) {
	MaybeChildWith(fakeRun)
	// A race-enabled child would sleep 1 s at exit (TSan's atexit_sleep_ms)
	// before its parent sees it go; the children need not.
	os.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	// The measuring tests share one spill cache, so that a source is
	// encrypted once for all the cases that upload it.
	dir, err := os.MkdirTemp("", "fanbench-runner-test-cache-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testCache = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testCache is the spill cache the measuring tests share.
var testCache string

// fakeRun is the children's run function, chosen by the case's name:
//
//	ok     two progress lines, then an OK record
//	panic  one progress line, then a panic
//	hang   one progress line, then sleeps an hour
//	oom    one progress line, then an OOM record, as RunChild writes when
//	       the client's resident memory reaches the job's limit
//	exit   os.Exit(3)
//	exit0  os.Exit(0) without a record
//	env    an OK record whose Error lists the settings the child runs with
func fakeRun(ctx context.Context, job Job, progress io.Writer) *result.Record {
	say := func(stored, total int) {
		if progress != nil {
			fmt.Fprintf(progress, "%d %d\n", stored, total)
		}
	}
	rec := &result.Record{
		Version: result.Version, Scenario: job.Case.Name, Strategy: job.Case.Strategy.String(),
		Limiter: job.Case.Limiter, Rep: job.Rep, Status: result.OK,
	}
	switch job.Case.Name {
	case "ok":
		say(1, 2)
		say(2, 2)
		rec.Stored, rec.Total = 2, 2
	case "panic":
		say(1, 3)
		panic("fake child panics on purpose")
	case "hang":
		say(0, 5)
		time.Sleep(time.Hour)
	case "oom":
		say(1, 4)
		rec.Status, rec.Error = result.OOM, fmt.Sprintf("killed at the limit %d", job.MemoryLimit)
		rec.Stored, rec.Total, rec.Profile = 1, 4, job.Profile
		rec.Env.MemoryLimit = job.MemoryLimit
	case "exit":
		os.Exit(3)
	case "exit0":
		os.Exit(0)
	case "env":
		gogc := debug.SetGCPercent(-1)
		rec.Error = fmt.Sprintf("GOGC=%s GOMEMLIMIT=%s GOMAXPROCS=%s GODEBUG=%s job=%q gogc=%d procs=%d rate=%d",
			os.Getenv("GOGC"), os.Getenv("GOMEMLIMIT"), os.Getenv("GOMAXPROCS"), os.Getenv("GODEBUG"),
			os.Getenv(ChildJobEnv), gogc, runtime.GOMAXPROCS(0), runtime.MemProfileRate)
	default:
		rec.Status, rec.Error = result.Failed, "fakeRun: unknown case "+job.Case.Name
	}
	return rec
}

func fakeJob(name string, rep int, dir string) Job {
	return DefaultJob(Case{Name: name, Limiter: "fixed:4"}, rep, dir)
}

// progressLog records the progress callbacks of a batch.
type progressLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *progressLog) add(job Job, stored, total int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf("%s %d/%d", job.Case.Name, stored, total))
}

func (l *progressLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.lines)
}

func TestRunBatch(t *testing.T) {
	dir := t.TempDir()
	const limit = 300 << 20
	hang := fakeJob("hang", 1, dir)
	hang.Timeout = 2 * time.Second
	oom := fakeJob("oom", 1, dir)
	oom.MemoryLimit = limit
	oom.Profile = true // a killed profiling run must stay marked as one
	oom.Expect = result.OOM
	jobs := []Job{fakeJob("ok", 1, dir), fakeJob("panic", 1, dir), hang, oom, fakeJob("ok", 2, dir)}
	for i := range jobs {
		jobs[i].Batch, jobs[i].Commit = "b1", "c1"
	}

	var progress progressLog
	var finished []string
	opts := SpawnOptions{
		Progress: progress.add,
		OnRecord: func(r *result.Record) { finished = append(finished, r.Scenario) },
	}
	begin := time.Now()
	recs := RunBatch(context.Background(), jobs, opts)
	t.Logf("batch of %d took %v", len(jobs), time.Since(begin))

	if len(recs) != len(jobs) {
		t.Fatalf("%d records for %d jobs", len(recs), len(jobs))
	}
	if want := []string{"ok", "panic", "hang", "oom", "ok"}; !slices.Equal(finished, want) {
		t.Errorf("OnRecord saw %v, want %v", finished, want)
	}
	wantStatus := []result.Status{result.OK, result.Crash, result.Timeout, result.OOM, result.OK}
	for i, r := range recs {
		job := jobs[i]
		if r.Status != wantStatus[i] {
			t.Errorf("%s: status %q, want %q (error: %s)", job.Name(), r.Status, wantStatus[i], r.Error)
		}
		if r.Scenario != job.Case.Name || r.Rep != job.Rep || r.Limiter != "fixed:4" || r.Version != result.Version {
			t.Errorf("%s: identity %q rep %d limiter %q version %d", job.Name(), r.Scenario, r.Rep, r.Limiter, r.Version)
		}
		// The parent stamps every record, the child's own and its own.
		if r.Batch != "b1" || r.Commit != "c1" || r.Expected != job.Expect {
			t.Errorf("%s: batch %q commit %q expected %q, want b1 c1 %q", job.Name(), r.Batch, r.Commit, r.Expected, job.Expect)
		}
		if r.OS.MaxRSS <= 0 {
			t.Errorf("%s: MaxRSS %d, want > 0", job.Name(), r.OS.MaxRSS)
		}
		if r.OS.PeakRSSSource != "maxrss" || r.OS.PeakRSS != r.OS.MaxRSS {
			t.Errorf("%s: PeakRSS %d from %q, want MaxRSS %d from maxrss", job.Name(), r.OS.PeakRSS, r.OS.PeakRSSSource, r.OS.MaxRSS)
		}
		disk, err := result.Read(filepath.Join(dir, job.RecordPath()))
		if err != nil {
			t.Errorf("%s: %v", job.Name(), err)
		} else if disk.Status != r.Status || disk.Error != r.Error || disk.OS.MaxRSS != r.OS.MaxRSS || len(disk.OS.RSS) != len(r.OS.RSS) || disk.Batch != "b1" {
			t.Errorf("%s: on disk %q %q MaxRSS %d, returned %q %q MaxRSS %d", job.Name(), disk.Status, disk.Error, disk.OS.MaxRSS, r.Status, r.Error, r.OS.MaxRSS)
		}
	}

	okRec, crash, timeout, oomRec := recs[0], recs[1], recs[2], recs[3]
	if okRec.Stored != 2 || okRec.Total != 2 || okRec.Error != "" {
		t.Errorf("ok: stored %d/%d, error %q", okRec.Stored, okRec.Total, okRec.Error)
	}
	if !strings.Contains(crash.Error, "panic: fake child panics on purpose") || !strings.Contains(crash.Error, "exit status 2") {
		t.Errorf("panic: error lacks the panic or the exit status:\n%s", crash.Error)
	}
	if crash.Stored != 1 || crash.Total != 3 {
		t.Errorf("panic: stored %d/%d from progress, want 1/3", crash.Stored, crash.Total)
	}
	if !strings.Contains(timeout.Error, "time limit of 2s") || timeout.Stored != 0 || timeout.Total != 5 {
		t.Errorf("hang: error %q, stored %d/%d, want the 2s limit and 0/5", timeout.Error, timeout.Stored, timeout.Total)
	}
	// The child judges the memory limit and writes the OOM record itself;
	// the parent keeps it as it is.
	if !oomRec.Profile || oomRec.Stored != 1 || oomRec.Total != 4 || oomRec.Error != fmt.Sprintf("killed at the limit %d", limit) || oomRec.Env.MemoryLimit != limit {
		t.Errorf("oom: profile %v, stored %d/%d, error %q, limit %d", oomRec.Profile, oomRec.Stored, oomRec.Total, oomRec.Error, oomRec.Env.MemoryLimit)
	}

	got := progress.get()
	for _, want := range []string{"ok 1/2", "ok 2/2", "panic 1/3", "hang 0/5", "oom 1/4"} {
		if !slices.Contains(got, want) {
			t.Errorf("progress callbacks %v lack %q", got, want)
		}
	}
}

func TestSpawnExitWithoutRecord(t *testing.T) {
	dir := t.TempDir()

	exit := fakeJob("exit", 1, dir)
	r := Spawn(context.Background(), exit, SpawnOptions{})
	if r.Status != result.Crash || !strings.Contains(r.Error, "exit status 3") || !strings.Contains(r.Error, exit.Name()) {
		t.Errorf("exit 3: status %q, error %q", r.Status, r.Error)
	}

	// A stale OK record must not pass for a child that exits 0 without one.
	exit0 := fakeJob("exit0", 1, dir)
	path := filepath.Join(dir, exit0.RecordPath())
	if err := result.Write(path, &result.Record{Version: result.Version, Scenario: "exit0", Status: result.OK}); err != nil {
		t.Fatal(err)
	}
	r = Spawn(context.Background(), exit0, SpawnOptions{})
	if r.Status != result.Crash || !strings.Contains(r.Error, "without a readable record") {
		t.Errorf("exit 0: status %q, error %q", r.Status, r.Error)
	}
	if disk, err := result.Read(path); err != nil || disk.Status != result.Crash {
		t.Errorf("exit 0: on disk %+v, %v; want the crash record", disk, err)
	}
}

func TestSpawnPinsEnvironment(t *testing.T) {
	t.Setenv("GODEBUG", "madvdontneed=1,gctrace=0")
	t.Setenv("GOGC", "7")
	t.Setenv(ChildJobEnv, "/nonexistent/unrelated-job.json")
	job := fakeJob("env", 1, t.TempDir())
	job.GOGC, job.GOMEMLIMIT, job.GOMAXPROCS, job.MemProfileRate = -1, 1<<30, 1, 4096

	r := Spawn(context.Background(), job, SpawnOptions{})
	if r.Status != result.OK {
		t.Fatalf("status %q: %s", r.Status, r.Error)
	}
	want := `GOGC=off GOMEMLIMIT=1073741824 GOMAXPROCS=1 GODEBUG=gctrace=0,memprofilerate=4096 job="" gogc=-1 procs=1 rate=4096`
	if r.Error != want {
		t.Errorf("child saw\n\t%s\nwant\n\t%s", r.Error, want)
	}
}

func TestRunBatchCancel(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	jobs := []Job{fakeJob("hang", 1, dir), fakeJob("ok", 1, dir)}
	for i := range jobs {
		jobs[i].Batch, jobs[i].Commit = "20261201T000000.000000000Z-ab12", "c03aece-dirty"
	}
	// Cancel once the hanging child is surely running.
	opts := SpawnOptions{Progress: func(job Job, _, _ int) {
		if job.Case.Name == "hang" {
			cancel(errors.New("SIGTERM"))
		}
	}}
	begin := time.Now()
	recs := RunBatch(ctx, jobs, opts)
	if d := time.Since(begin); d > 30*time.Second {
		t.Errorf("cancelled batch took %v", d)
	}
	if len(recs) != 1 {
		t.Fatalf("%d records after cancelling during the first job, want 1", len(recs))
	}
	// The run in flight is cancelled, never a timeout, says why, and is
	// kept on disk with the batch it belongs to.
	r := recs[0]
	if r.Status != result.Cancelled || !strings.Contains(r.Error, "cancelled (SIGTERM)") || r.Total != 5 {
		t.Errorf("status %q, error %q, total %d", r.Status, r.Error, r.Total)
	}
	onDisk, err := result.Read(filepath.Join(dir, jobs[0].RecordPath()))
	if err != nil || onDisk.Status != result.Cancelled || onDisk.Batch != jobs[0].Batch || onDisk.Commit != "c03aece-dirty" {
		t.Errorf("record on disk: %+v, %v", onDisk, err)
	}
	if _, err := os.Stat(filepath.Join(dir, jobs[1].RecordPath())); !os.IsNotExist(err) {
		t.Errorf("%s: record on disk (%v) of a job never started", jobs[1].Name(), err)
	}
}

func TestSpawnBadJob(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"", "..", "../escape", "a/b"} {
		r := Spawn(context.Background(), fakeJob(name, 1, dir), SpawnOptions{})
		if r.Status != result.Crash || r.Error == "" {
			t.Errorf("case %q: status %q, error %q", name, r.Status, r.Error)
		}
	}
	ok := fakeJob("ok", 1, dir)
	r := Spawn(context.Background(), ok, SpawnOptions{Path: filepath.Join(dir, "no-such-binary")})
	if r.Status != result.Crash || !strings.Contains(r.Error, "start child") {
		t.Errorf("missing binary: status %q, error %q", r.Status, r.Error)
	}
	if _, err := result.Read(filepath.Join(dir, ok.RecordPath())); err != nil {
		t.Errorf("missing binary: %v", err)
	}
}

func TestPlan(t *testing.T) {
	tmpl := Job{Dir: "out", Timeout: time.Minute, MemoryLimit: 1 << 30, GOGC: 50}
	cases := []Case{{Name: "a", Limiter: "aimd"}, {Name: "b", Limiter: "aimd"}, {Name: "c", Limiter: "aimd"}}
	order := func(seed uint64) []string {
		jobs, err := Plan(tmpl, cases, 4, seed)
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) != 12 {
			t.Fatalf("seed %d: %d jobs, want 12", seed, len(jobs))
		}
		var names []string
		for i, j := range jobs {
			round := i/len(cases) + 1
			if j.Rep != round {
				t.Errorf("seed %d: job %d (%s) has rep %d, want %d", seed, i, j.Name(), j.Rep, round)
			}
			if j.Dir != tmpl.Dir || j.Timeout != tmpl.Timeout || j.MemoryLimit != tmpl.MemoryLimit || j.GOGC != tmpl.GOGC {
				t.Errorf("seed %d: job %d lost the template's settings: %+v", seed, i, j)
			}
			names = append(names, j.Case.Name)
		}
		for r := range 4 {
			round := slices.Clone(names[r*3 : r*3+3])
			slices.Sort(round)
			if !slices.Equal(round, []string{"a", "b", "c"}) {
				t.Errorf("seed %d: round %d holds %v", seed, r+1, names[r*3:r*3+3])
			}
		}
		return names
	}
	first := order(1)
	if again := order(1); !slices.Equal(first, again) {
		t.Errorf("seed 1 gave %v, then %v", first, again)
	}
	differs := false
	for seed := uint64(2); seed < 10; seed++ {
		differs = differs || !slices.Equal(order(seed), first)
	}
	if !differs {
		t.Errorf("seeds 2..9 all gave seed 1's order %v", first)
	}
}

func TestPlanErrors(t *testing.T) {
	a := Case{Name: "a", Limiter: "aimd"}
	for _, tc := range []struct {
		name  string
		cases []Case
		count int
		want  string
	}{
		{"count", []Case{a}, 0, "count 0"},
		{"empty", nil, 1, "no cases"},
		{"duplicate", []Case{a, {Name: "b"}, a}, 1, "cases 0 and 2"},
		{"unnamed", []Case{{}}, 1, "no name"},
		{"escape", []Case{{Name: "../x"}}, 1, "not a single path element"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			jobs, err := Plan(Job{}, tc.cases, tc.count, 1)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Plan = %d jobs, %v; want an error with %q", len(jobs), err, tc.want)
			}
		})
	}
}

func TestChildEnviron(t *testing.T) {
	parent := []string{"HOME=/root", "GOGC=5", "GOMAXPROCS=9", "GOMEMLIMIT=1GiB", ChildJobEnv + "=/old", "GODEBUG=madvdontneed=0,http2debug=1"}
	for _, tc := range []struct {
		name string
		job  Job
		want []string
	}{
		{"defaults", Job{GOGC: 100}, []string{"HOME=/root", ChildJobEnv + "=/new", "GOGC=100", "GOMEMLIMIT=536870912", "GOMAXPROCS=2", "GODEBUG=http2debug=1"}},
		{"go allocator", Job{GOGC: 100, Case: Case{Allocator: "go"}}, []string{"HOME=/root", ChildJobEnv + "=/new", "GOGC=100", "GOMEMLIMIT=off", "GOMAXPROCS=2", "GODEBUG=http2debug=1"}},
		{"none", Job{GOGC: 100, GOMEMLIMIT: -1}, []string{"HOME=/root", ChildJobEnv + "=/new", "GOGC=100", "GOMEMLIMIT=off", "GOMAXPROCS=2", "GODEBUG=http2debug=1"}},
		{"pinned", Job{GOGC: -1, GOMEMLIMIT: 5 << 20, MemProfileRate: 1}, []string{"HOME=/root", ChildJobEnv + "=/new", "GOGC=off", "GOMEMLIMIT=5242880", "GOMAXPROCS=2", "GODEBUG=http2debug=1,memprofilerate=1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := childEnviron(parent, &tc.job, 2, "/new")
			if !slices.Equal(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
	if got := childGODEBUG("madvdontneed=1", 0); got != "" {
		t.Errorf("childGODEBUG kept %q", got)
	}
}

func TestParseProgress(t *testing.T) {
	for _, tc := range []struct {
		line          string
		stored, total int
		peak          int64
		ok            bool
	}{
		{"3 9", 3, 9, 0, true},
		{" 0 1 \r", 0, 1, 0, true},
		{"3 9 1048576", 3, 9, 1048576, true},
		{"3 9 x", 0, 0, 0, false},
		{"3", 0, 0, 0, false},
		{"-1 2", 0, 0, 0, false},
		{"1 x", 0, 0, 0, false},
		{"1  2", 0, 0, 0, false},
		{"99999999999999999999 1", 0, 0, 0, false},
	} {
		s, tot, peak, ok := parseProgress([]byte(tc.line))
		if ok != tc.ok || ok && (s != tc.stored || tot != tc.total || peak != tc.peak) {
			t.Errorf("parseProgress(%q) = %d, %d, %d, %v", tc.line, s, tot, peak, ok)
		}
	}
	// Lines too long to parse are skipped, and the reader still drains.
	in := "1 2\n" + strings.Repeat("x", 10000) + "\n3 4\n"
	var got []int
	readProgress(strings.NewReader(in), func(s, t int, _ int64) { got = append(got, s, t) })
	if !slices.Equal(got, []int{1, 2}) {
		t.Errorf("readProgress gave %v", got)
	}
}

func TestStderrBuffer(t *testing.T) {
	var b stderrBuffer
	b.Write([]byte("panic: boom\n"))
	if got := b.String(); got != "panic: boom\n" {
		t.Errorf("short stderr kept as %q", got)
	}
	for i := range 5000 {
		fmt.Fprintf(&b, "goroutine line %d\n", i)
	}
	b.Write([]byte("the end\n"))
	s := b.String()
	if !strings.HasPrefix(s, "panic: boom\n") || !strings.HasSuffix(s, "goroutine line 4999\nthe end\n") || !strings.Contains(s, "bytes of stderr left out") {
		t.Errorf("long stderr lost its head, tail or note: %d bytes", len(s))
	}
	if n := len(s); n > stderrHead+stderrTail+100 {
		t.Errorf("kept %d bytes", n)
	}
	if len(b.head) > stderrHead || cap(b.tail) > 4*stderrTail {
		t.Errorf("buffer grew: head %d, tail cap %d", len(b.head), cap(b.tail))
	}
	var big stderrBuffer
	big.Write([]byte(strings.Repeat("y", 100<<10) + "z"))
	if s := big.String(); !strings.HasSuffix(s, "yz") || len(s) > stderrHead+stderrTail+100 {
		t.Errorf("one big write kept %d bytes", len(s))
	}
}
