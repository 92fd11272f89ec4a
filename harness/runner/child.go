package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
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
