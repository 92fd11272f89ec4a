package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fanbench/fanbench/harness/meter"
	"github.com/fanbench/fanbench/harness/result"
)

// Isolated runs: the parent side.
//
// A batch is planned as rounds (Plan), and each job runs in a fresh child
// process (Spawn), one at a time (RunBatch), so that no run inherits
// another's heap, and the kernel's peak-RSS figures belong to one run only.
// While a child runs, the parent only samples the child's RSS and reads
// its progress lines; it logs nothing and allocates next to nothing.

// DefaultRSSInterval is the RSS sampler's starting period.
const DefaultRSSInterval = 10 * time.Millisecond

// defaultMemProfileRate is the runtime's default heap profile rate, in
// bytes (runtime.MemProfileRate).
const defaultMemProfileRate = 512 << 10

// SpawnOptions tune Spawn and RunBatch. The zero value is ready to use.
type SpawnOptions struct {
	// Path is the executable the child runs; empty means os.Executable().
	// The program must call MaybeChild (or MaybeChildWith) first thing in
	// main or TestMain.
	Path string
	// Args are the child's arguments after the program name. Nil means
	// {"-test.run=^$"}: a test binary that re-executes itself then runs no
	// tests even if its TestMain lacks MaybeChild (the child exits 0
	// without a record and is reported as a crash), and a program that
	// calls MaybeChild first never looks at them. An empty, non-nil slice
	// means no arguments.
	Args []string
	// RSSInterval is the RSS sampler's starting period; 0 means
	// DefaultRSSInterval. The timeline stays bounded (meter.Series).
	RSSInterval time.Duration
	// Progress, if set, receives each progress line of the child: stored
	// of total chunks. It is called from a goroutine of Spawn's, one call
	// at a time, while the child runs; it should return quickly, since a
	// blocked callback eventually blocks the child's progress writes.
	Progress func(job Job, stored, total int)
	// OnRecord, if set, is called by RunBatch with each job's record as
	// the job finishes, on RunBatch's goroutine.
	OnRecord func(rec *result.Record)
}

// RunBatch runs jobs one after another, each in its own child process
// through Spawn, and returns their records in order. Never two children at
// once: they would disturb each other's figures. A child that crashes,
// times out or is killed yields its record and the batch goes on.
//
// Cancelling ctx kills the child in flight (its record, see Spawn, is
// returned last) and starts no further job; the result then holds fewer
// records than jobs. OnRecord, if set, is called as each record is final.
func RunBatch(ctx context.Context, jobs []Job, opts SpawnOptions) []*result.Record {
	recs := make([]*result.Record, 0, len(jobs))
	for _, job := range jobs {
		if ctx.Err() != nil {
			break
		}
		rec := Spawn(ctx, job, opts)
		recs = append(recs, rec)
		if opts.OnRecord != nil {
			opts.OnRecord(rec)
		}
	}
	return recs
}

// Spawn runs job in a fresh child process and returns its record, never
// nil, after writing it atomically to filepath.Join(job.Dir,
// job.RecordPath()) (a stale record there is removed before the child
// starts).
//
// The child is opts.Path (default: this executable) with the job's JSON
// in a temporary file named by ChildJobEnv, and an environment pinned to
// the job: GOGC (job.GOGC, "off" if negative), GOMEMLIMIT (bytes, "off" if
// 0), GOMAXPROCS (job.GOMAXPROCS, or the parent's current value if 0), and
// GODEBUG as the parent's with madvdontneed and memprofilerate removed (so
// the runtime's default page release applies) and memprofilerate=N added
// when job.MemProfileRate > 0. The child runs in its own process group, so
// a terminal's Ctrl-C reaches only the parent, which decides; it is killed
// if the parent dies.
//
// While the child runs, the parent samples its RSS every opts.RSSInterval
// into OS.RSS (real ns since the child started, bytes) and reads its
// progress lines. How the run ends:
//
//   - the child exits 0 with a record: that record, read back (a model
//     failure is already Status "error" in it);
//   - job.Timeout passes: SIGKILL, Status Timeout (the parent's verdict
//     stands even if the child won the race and exited 0: it passed its
//     limit);
//   - ctx is cancelled: SIGKILL, Status Cancelled with an Error saying
//     why (context.Cause); it measured nothing about the case, and is
//     neither a timeout nor a failure of it (if the child had already
//     finished, its own record stands);
//   - anything else (a panic, a signal, a non-zero exit, exit 0 without a
//     record, a child that cannot start): Status Crash, with the exit
//     status and the head and tail of the child's stderr in Error;
//   - a job whose case name is empty or not a single path element is not
//     run: Status Crash, not written (there is no safe place for it);
//
// A job's MemoryLimit is the child's to enforce: it judges the modelled
// client's resident memory, not the harness process's (see RunChild), and
// writes Status OOM itself.
//
// Records the parent makes carry the job's identity, the settings it
// pinned in Env, and Stored/Total from the last progress line. Every
// record gets OS.RSS and OS.MaxRSS (wait4's whole-life peak, bytes),
// PeakRSS = MaxRSS with source "maxrss" unless the child set a source, and
// the job's Batch, Commit and Expect (as Expected). If the record cannot be
// written, Error says so.
//
// Spawn blocks until the child is gone. It locks the calling goroutine to
// its OS thread meanwhile, because the kernel's parent-death signal follows
// the thread that started the child. Calls may run concurrently, but the
// figures of children running at once are worthless; use RunBatch.
func Spawn(ctx context.Context, job Job, opts SpawnOptions) *result.Record {
	path := filepath.Join(job.Dir, job.RecordPath())
	rec, keep := spawn(ctx, &job, &opts, path)
	if keep {
		if err := result.Write(path, rec); err != nil {
			rec.Error = joinError(rec.Error, fmt.Sprintf("%s: record not written: %v", job.Name(), err))
		}
	}
	return rec
}

// killReason is why the parent killed a child.
type killReason int

const (
	notKilled killReason = iota
	killedTimeout
	killedCancel
)

// reaper kills a child at most once, and never after it has been waited
// for. The sampler and Spawn's loop call kill concurrently.
type reaper struct {
	mu     sync.Mutex
	proc   *os.Process
	exited bool
	reason killReason
	msg    string
}

func (r *reaper) kill(why killReason, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.exited || r.reason != notKilled {
		return
	}
	r.reason, r.msg = why, msg
	r.proc.Kill() // SIGKILL; an error means the child is already gone
}

func (r *reaper) reaped() (killReason, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.exited = true
	return r.reason, r.msg
}

// spawn does Spawn's work and says whether its record is to be written.
func spawn(ctx context.Context, job *Job, opts *SpawnOptions, recPath string) (*result.Record, bool) {
	gomaxprocs := job.GOMAXPROCS
	if gomaxprocs <= 0 {
		gomaxprocs = runtime.GOMAXPROCS(0)
	}
	startFailed := func(err error) (*result.Record, bool) {
		rec := parentRecord(job, gomaxprocs, 0, 0)
		rec.Status, rec.Error = result.Crash, fmt.Sprintf("%s: start child: %v", job.Name(), err)
		return rec, true
	}
	if err := checkJob(job); err != nil {
		rec := parentRecord(job, gomaxprocs, 0, 0)
		rec.Status, rec.Error = result.Crash, err.Error()
		return rec, false // no safe place to write it
	}
	if err := ctx.Err(); err != nil {
		rec := parentRecord(job, gomaxprocs, 0, 0)
		rec.Status, rec.Error = result.Cancelled, fmt.Sprintf("%s: cancelled before start: %v", job.Name(), context.Cause(ctx))
		return rec, false // no child ran
	}
	exe := opts.Path
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return startFailed(err)
		}
	}
	args := opts.Args
	if args == nil {
		args = []string{"-test.run=^$"}
	}
	// A record left by an earlier batch in the same Dir must not pass for
	// this child's.
	if err := os.Remove(recPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return startFailed(err)
	}
	jobFile, err := writeJobFile(job)
	if err != nil {
		return startFailed(err)
	}
	defer os.Remove(jobFile)
	pr, pw, err := os.Pipe()
	if err != nil {
		return startFailed(err)
	}
	defer pr.Close()

	var stderr stderrBuffer
	cmd := exec.Command(exe, args...)
	cmd.Env = childEnviron(os.Environ(), job, gomaxprocs, jobFile)
	cmd.Stderr = &stderr
	cmd.ExtraFiles = []*os.File{pw} // the child's fd 3
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	// A grandchild holding stderr open must not keep Wait from returning.
	cmd.WaitDelay = time.Second

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	err = cmd.Start()
	pw.Close()
	if err != nil {
		return startFailed(err)
	}
	start := time.Now()
	rp := &reaper{proc: cmd.Process}

	// Progress: the last line's figures, and the caller's callback.
	var stored, total int
	var livePeak int64
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		readProgress(pr, func(s, t int, peak int64) {
			stored, total, livePeak = s, t, peak
			if opts.Progress != nil {
				opts.Progress(*job, s, t)
			}
		})
	}()

	// RSS: the sampler, for the timeline.
	interval := opts.RSSInterval
	if interval <= 0 {
		interval = DefaultRSSInterval
	}
	sampler, samplerErr := meter.NewRSSSampler(cmd.Process.Pid, interval)
	stopSampler := make(chan struct{})
	samplerDone := make(chan struct{})
	if samplerErr == nil {
		go func() {
			defer close(samplerDone)
			sampler.Run(start, stopSampler)
		}()
	} else {
		close(samplerDone)
	}

	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	var timeout <-chan time.Time
	if job.Timeout > 0 {
		t := time.NewTimer(job.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	done := ctx.Done()
	var waitErr error
wait:
	for {
		select {
		case waitErr = <-waited:
			break wait
		case <-timeout:
			timeout = nil
			rp.kill(killedTimeout, fmt.Sprintf("%s: killed after the time limit of %v", job.Name(), job.Timeout))
		case <-done:
			done = nil
			rp.kill(killedCancel, fmt.Sprintf("%s: cancelled (%v), child killed", job.Name(), context.Cause(ctx)))
		}
	}
	reason, msg := rp.reaped()
	close(stopSampler)
	<-samplerDone
	// The pipe ends when the child and anything it started have closed fd
	// 3; do not wait on a stray grandchild for long.
	select {
	case <-progressDone:
	case <-time.After(time.Second):
		pr.Close()
		<-progressDone
	}

	ps := cmd.ProcessState
	var maxRSS int64
	if ps != nil {
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			maxRSS = ru.Maxrss << 10 // KiB on Linux
		}
	}

	var rec *result.Record
	synth := func(st result.Status, msg string) {
		rec = parentRecord(job, gomaxprocs, stored, total)
		rec.Status, rec.Error = st, msg
		rec.Live.Peak = livePeak // the tracked peak the child last reported
	}
	switch {
	case reason == killedTimeout:
		synth(result.Timeout, msg+progressNote(stored, total))
	case ps != nil && ps.Success():
		r, err := result.Read(recPath)
		if err != nil {
			synth(result.Crash, fmt.Sprintf("%s: child exited 0 without a readable record (does the program call runner.MaybeChild first?): %v%s", job.Name(), err, stderr.describe()))
		} else {
			rec = r
			stamp(rec, job)
		}
	case reason == killedCancel:
		synth(result.Cancelled, msg)
	case ps == nil:
		synth(result.Crash, fmt.Sprintf("%s: wait for child: %v%s", job.Name(), waitErr, stderr.describe()))
	default:
		synth(result.Crash, fmt.Sprintf("%s: child %v%s", job.Name(), ps, stderr.describe()))
	}

	if samplerErr == nil {
		rec.OS.RSS = sampler.Points()
	}
	rec.OS.MaxRSS = maxRSS
	if rec.OS.PeakRSS == 0 {
		rec.OS.PeakRSS, rec.OS.PeakRSSSource = maxRSS, "maxrss"
	}
	return rec, true
}

// stamp copies what the parent knows of the job's batch into its record.
func stamp(rec *result.Record, job *Job) {
	rec.Batch, rec.Commit, rec.Expected = job.Batch, job.Commit, job.Expect
}

// writeJobFile writes job as JSON to a new temporary file and returns its
// path; the caller removes it.
func writeJobFile(job *Job) (string, error) {
	b, err := json.Marshal(job)
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp("", "fanbench-job-*.json")
	if err != nil {
		return "", err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// childEnviron is parent with the settings the child is pinned to: the job
// file, GOGC, GOMEMLIMIT, GOMAXPROCS and GODEBUG replace whatever parent
// held for them.
func childEnviron(parent []string, job *Job, gomaxprocs int, jobFile string) []string {
	env := make([]string, 0, len(parent)+5)
	var godebug string
	for _, kv := range parent {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case ChildJobEnv, "GOGC", "GOMEMLIMIT", "GOMAXPROCS":
			continue
		case "GODEBUG":
			godebug = v
			continue
		}
		env = append(env, kv)
	}
	gogc := "off"
	if job.GOGC >= 0 {
		gogc = strconv.Itoa(job.GOGC)
	}
	limit := "off"
	if l := job.goMemLimit(); l > 0 {
		limit = strconv.FormatInt(l, 10) // bytes
	}
	env = append(env,
		ChildJobEnv+"="+jobFile,
		"GOGC="+gogc,
		"GOMEMLIMIT="+limit,
		"GOMAXPROCS="+strconv.Itoa(gomaxprocs),
	)
	if d := childGODEBUG(godebug, job.MemProfileRate); d != "" {
		env = append(env, "GODEBUG="+d)
	}
	return env
}

// childGODEBUG is the parent's GODEBUG without the settings that would
// skew the child's memory figures (madvdontneed changes when freed pages
// leave the RSS; memprofilerate is the job's), plus the job's profile rate
// so that it holds from the child's first allocation.
func childGODEBUG(parent string, memProfileRate int) string {
	var kept []string
	for kv := range strings.SplitSeq(parent, ",") {
		k, _, _ := strings.Cut(strings.TrimSpace(kv), "=")
		if k == "" || k == "madvdontneed" || k == "memprofilerate" {
			continue
		}
		kept = append(kept, kv)
	}
	if memProfileRate > 0 {
		kept = append(kept, "memprofilerate="+strconv.Itoa(memProfileRate))
	}
	return strings.Join(kept, ",")
}

// parentRecord is the record the parent makes for a child that left none:
// the job's identity, the settings the parent pinned, and the progress
// the child reported.
func parentRecord(job *Job, gomaxprocs, stored, total int) *result.Record {
	c := &job.Case
	gogc := job.GOGC
	if gogc < 0 {
		gogc = -1
	}
	limit := job.goMemLimit()
	if limit <= 0 {
		limit = math.MaxInt64
	}
	rate := job.MemProfileRate
	if rate <= 0 {
		rate = defaultMemProfileRate
	}
	return &result.Record{
		Version: result.Version, Scenario: c.Name, Strategy: c.Strategy.String(), Limiter: c.Limiter,
		Payment: c.Payment.String(), Transport: c.Transport, Rep: job.Rep, Profile: job.Profile, Seed: c.Source.Seed, Size: c.Source.Size,
		Uploader: c.uploaderName(),
		Env: result.Env{
			GoVersion: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
			GOMAXPROCS: gomaxprocs, GOGC: gogc, GOMEMLIMIT: limit, MemProfileRate: rate,
			MemoryLimit: job.MemoryLimit,
		},
		Stored: stored, Total: total,
		Batch: job.Batch, Commit: job.Commit, Expected: job.Expect,
	}
}

// progressNote says how far a killed child got, for an error message.
func progressNote(stored, total int) string {
	if total == 0 {
		return " (no progress reported: still in setup)"
	}
	return fmt.Sprintf(" (stored %d of %d chunks)", stored, total)
}

func joinError(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
