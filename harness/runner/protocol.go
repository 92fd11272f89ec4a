package runner

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"

	"github.com/fanbench/fanbench/harness/result"
)

// The re-exec protocol between Spawn (the parent) and MaybeChild (the
// child, the same binary started again):
//
//   - the parent writes the Job as JSON to a temporary file and names it in
//     the environment variable ChildJobEnv;
//   - the child's file descriptor 3 is the write end of a pipe on which it
//     reports progress, lines "<stored> <total> <live-peak>\n" (see RunChild);
//   - the child writes its record with result.Write to
//     filepath.Join(job.Dir, job.RecordPath()) and exits 0, or exits
//     non-zero without a record if it cannot;
//   - anything else (a panic, a signal, a kill by the parent) is read by the
//     parent from the exit status and the child's stderr.
const (
	// ChildJobEnv names the environment variable that makes a process a
	// child: its value is the path of the Job's JSON file.
	ChildJobEnv = "FANBENCH_CHILD_JOB"
	// progressFD is the child's file descriptor for progress lines:
	// exec.Cmd.ExtraFiles[0].
	progressFD = 3
)

// RunFunc performs one job in the current process and returns its record,
// never nil. It writes progress lines "<stored> <total> <live-peak>\n"
// to progress, which may be nil. RunChild is the real one.
type RunFunc func(ctx context.Context, job Job, progress io.Writer) *result.Record

// MaybeChild makes this process a child if the parent asked for one: when
// ChildJobEnv is set it runs the job with RunChild, writes its record and
// exits; otherwise it returns at once. Call it first thing in main, and in
// TestMain of packages whose tests run jobs in child processes, before
// flags are parsed or any work is done (the child's arguments are the
// parent's choice, not the program's).
func MaybeChild() { MaybeChildWith(RunChild) }

// MaybeChildWith is MaybeChild with run in place of RunChild; tests use it
// to plant children that panic, hang or allocate until killed.
//
// The child:
//  1. reads the Job from the file named by ChildJobEnv and sets
//     runtime.MemProfileRate to job.MemProfileRate if that is > 0 (Spawn
//     also sets it from process start through GODEBUG=memprofilerate);
//  2. runs the job with a context cancelled on SIGTERM, writing progress to
//     file descriptor 3 if that is a pipe (as Spawn leaves it);
//  3. writes the record atomically to filepath.Join(job.Dir,
//     job.RecordPath()) and exits 0.
//
// It exits 1, with a message on stderr, if the job cannot be read, run
// returns nil or the record cannot be written. A panic in run is not
// recovered: it kills the child, and the parent reports the panic from the
// child's stderr.
func MaybeChildWith(run RunFunc) {
	path, ok := os.LookupEnv(ChildJobEnv)
	if !ok {
		return
	}
	os.Exit(childMain(path, run))
}

// childMain is the body of a child process; it returns the exit code.
func childMain(jobPath string, run RunFunc) int {
	job, err := readJob(jobPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "fanbench child: %v\n", err)
		return 1
	}
	if job.MemProfileRate > 0 {
		runtime.MemProfileRate = job.MemProfileRate
	}
	// Jobs that this child might start itself must not take this one.
	os.Unsetenv(ChildJobEnv)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()

	var progress io.Writer
	if f := progressFile(); f != nil {
		defer f.Close()
		progress = f
	}
	rec := run(ctx, job, progress)
	if rec == nil {
		fmt.Fprintf(os.Stderr, "fanbench child: %s: the run returned no record\n", job.Name())
		return 1
	}
	if err := result.Write(filepath.Join(job.Dir, job.RecordPath()), rec); err != nil {
		fmt.Fprintf(os.Stderr, "fanbench child: %s: %v\n", job.Name(), err)
		return 1
	}
	return 0
}

// readJob decodes the Job the parent wrote to path.
func readJob(path string) (Job, error) {
	var job Job
	b, err := os.ReadFile(path)
	if err != nil {
		return job, fmt.Errorf("read job: %w", err)
	}
	if err := json.Unmarshal(b, &job); err != nil {
		return job, fmt.Errorf("read job %s: %w", path, err)
	}
	return job, nil
}

// progressFile returns file descriptor 3 if it is open and a pipe, nil
// otherwise, so that a child started by hand (ChildJobEnv set, fd 3 some
// unrelated file or closed) never writes progress into the wrong place.
func progressFile() *os.File {
	var st syscall.Stat_t
	if err := syscall.Fstat(progressFD, &st); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFIFO {
		return nil
	}
	return os.NewFile(progressFD, "progress")
}

// The progress lines: the parent reads them (readProgress), the child
// writes them (progressWriter).

// readProgress calls f with each well-formed line "<stored> <total>
// [<live-peak>]" read from r until r ends, skipping malformed lines. It
// always drains r, so a child never blocks on a full pipe because of a line
// too long to parse.
func readProgress(r io.Reader, f func(stored, total int, peak int64)) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 128), 4096)
	for sc.Scan() {
		if s, t, p, ok := parseProgress(sc.Bytes()); ok {
			f(s, t, p)
		}
	}
	io.Copy(io.Discard, r)
}

// parseProgress parses "<stored> <total>" and an optional third field, the
// tracked live peak in bytes so far: non-negative decimals.
func parseProgress(line []byte) (stored, total int, peak int64, ok bool) {
	a, rest, found := bytes.Cut(bytes.TrimSpace(line), []byte{' '})
	if !found {
		return 0, 0, 0, false
	}
	b, c, hasPeak := bytes.Cut(rest, []byte{' '})
	stored, ok1 := parseCount(a)
	total, ok2 := parseCount(b)
	ok = ok1 && ok2
	if hasPeak {
		p, ok3 := parseCount(c)
		peak, ok = int64(p), ok && ok3
	}
	return stored, total, peak, ok
}

func parseCount(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// progressWriter writes progress lines "<stored> <total> <live-peak>"
// without allocating per line.
type progressWriter struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

func newProgressWriter(w io.Writer) *progressWriter {
	return &progressWriter{w: w, buf: make([]byte, 0, 64)}
}

func (p *progressWriter) write(stored, total int, peak int64) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	b := strconv.AppendInt(p.buf[:0], int64(stored), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(total), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, peak, 10)
	b = append(b, '\n')
	p.w.Write(b)
	p.buf = b
	p.mu.Unlock()
}
