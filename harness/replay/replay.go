package replay

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
)

// sources is the replay's Rust program, built by Build: main.rs and the
// module files beside it.
//
//go:embed rust/src/*.rs
var sources embed.FS

// rustcFlags are the flags Build compiles with: optimised as a release
// build of the client is, with line tables so heaptrack's stacks name the
// site functions with their files and lines.
var rustcFlags = []string{"-O", "-C", "debuginfo=1", "--edition", "2021", "--crate-name", "fanbench_replay"}

// ErrNoRustc is returned, wrapped, by Build when no rustc is found.
var ErrNoRustc = errors.New("rustc not found (install Rust, or Debian's rustc package)")

// ErrNoHeaptrack is returned, wrapped, by RunHeaptrack when heaptrack is not
// found.
var ErrNoHeaptrack = errors.New("heaptrack not found (install Debian's heaptrack package)")

// DefaultCacheDir returns where Build keeps built replays by default:
// fanbench/replay under the user's cache directory, or under the temporary
// directory when there is none.
func DefaultCacheDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		d = os.TempDir()
	}
	return filepath.Join(d, "fanbench", "replay")
}

// Build compiles the replay with rustc into cacheDir and returns the
// binary's path. rustc is the compiler's path; "" looks for rustc on PATH
// and then in ~/.cargo/bin. The binary's name carries a hash of the
// source, the flags and rustc's version, so a binary already built is
// reused; a new one is written under a temporary name and renamed into
// place, so concurrent Builds are safe. Without rustc the error wraps
// ErrNoRustc.
func Build(ctx context.Context, rustc, cacheDir string) (string, error) {
	if rustc == "" {
		var err error
		if rustc, err = findRustc(); err != nil {
			return "", err
		}
	}
	ver, err := exec.CommandContext(ctx, rustc, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("replay: %s --version: %w", rustc, err)
	}
	files, err := fs.Glob(sources, "rust/src/*.rs")
	if err != nil {
		return "", fmt.Errorf("replay: %w", err)
	}
	h := sha256.New()
	for _, f := range files { // in lexical order, as Glob returns them
		b, err := sources.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("replay: %w", err)
		}
		h.Write([]byte(path.Base(f)))
		h.Write(b)
	}
	h.Write([]byte(strings.Join(rustcFlags, " ")))
	h.Write(ver)
	bin := filepath.Join(cacheDir, "fanbench-replay-"+hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("replay: %w", err)
	}
	work, err := os.MkdirTemp(cacheDir, "build-")
	if err != nil {
		return "", fmt.Errorf("replay: %w", err)
	}
	defer os.RemoveAll(work)
	for _, f := range files {
		b, _ := sources.ReadFile(f) // read above
		if err := os.WriteFile(filepath.Join(work, path.Base(f)), b, 0o644); err != nil {
			return "", fmt.Errorf("replay: %w", err)
		}
	}
	src := filepath.Join(work, "main.rs")
	out := filepath.Join(work, "fanbench-replay")
	cmd := exec.CommandContext(ctx, rustc, append(append([]string{}, rustcFlags...), "-o", out, src)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("replay: building with %s: %w\n%s", rustc, err, stderr.Bytes())
	}
	if err := os.Rename(out, bin); err != nil {
		return "", fmt.Errorf("replay: %w", err)
	}
	return bin, nil
}

func findRustc() (string, error) {
	if p, err := exec.LookPath("rustc"); err == nil {
		return p, nil
	}
	if home, err := os.UserHomeDir(); err == nil {
		p := filepath.Join(home, ".cargo", "bin", "rustc")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("replay: %w", ErrNoRustc)
}

// Options are how a replay runs.
type Options struct {
	// Threads is the number of worker threads the events are spread over
	// (by the allocating task); 0 runs them all on the main thread. See the
	// Rust program's doc comment for the choice of the default.
	Threads int
}

// DefaultOptions are the options fanbench calibrate uses.
var DefaultOptions = Options{Threads: 0}

// Proc is what /proc/self/status said of the replay's memory, in bytes.
type Proc struct {
	VmHWM   int64 `json:"vmhwm"`
	VmRSS   int64 `json:"vmrss"`
	RssAnon int64 `json:"rss_anon"`
}

// Report is the replay's report on one trace. Byte figures are bytes.
type Report struct {
	Version  int    `json:"version"`
	Trace    string `json:"trace"`
	Scenario string `json:"scenario"`
	Strategy string `json:"strategy"`
	Limiter  string `json:"limiter"`
	Seed     uint64 `json:"seed"`
	Rep      int    `json:"rep"`
	Threads  int    `json:"threads"`
	Events   int    `json:"events"`
	// PeakLive is the replay's own count: the highest sum of the
	// capacities of its live Vecs, first reached at event PeakEvent.
	PeakLive  int64 `json:"peak_live"`
	PeakEvent int   `json:"peak_event"`
	// Allocated is every capacity allocated, growth included; EndLive the
	// live bytes after the last event.
	Allocated int64 `json:"allocated"`
	EndLive   int64 `json:"end_live"`
	// AtPeak is each site's live bytes at the peak.
	AtPeak map[string]int64 `json:"at_peak"`
	// HWMReset says VmHWM was reset to the RSS before the first event (by
	// /proc/self/clear_refs), so End.VmHWM is the replay's high-water mark.
	HWMReset bool `json:"hwm_reset"`
	// Baseline is read before the first event (after the reset), Peak
	// right after the event that first reached PeakLive, End after the
	// last event.
	Baseline Proc `json:"baseline"`
	Peak     Proc `json:"peak"`
	End      Proc `json:"end"`
	// MaxRssAnon and MaxVmHWM are the highest RssAnon and VmHWM read,
	// after every event that can raise them and at the end.
	MaxRssAnon int64 `json:"max_rss_anon"`
	MaxVmHWM   int64 `json:"max_vmhwm"`
	Wall       int64 `json:"wall_ns"`
}

// NetVmHWM returns the replay's resident high-water mark less its
// baseline: what its buffers, and the allocator's keeping of them, cost
// in resident memory.
func (r *Report) NetVmHWM() int64 { return r.MaxVmHWM - r.Baseline.VmHWM }

// NetRssAnon returns the highest anonymous resident memory less the
// baseline's.
func (r *Report) NetRssAnon() int64 { return r.MaxRssAnon - r.Baseline.RssAnon }

// Run replays the trace at tracePath with the binary bin (from Build) and
// returns its report. A trace the replay rejects is an error carrying its
// message ("trace FILE: event N at byte OFFSET: …").
func Run(ctx context.Context, bin, tracePath string, opt Options) (*Report, error) {
	return run(ctx, nil, bin, tracePath, opt)
}

// RunHeaptrack replays the trace under heaptrack, which writes its capture
// to capturePrefix plus the compression's extension (heaptrack's -o), and
// returns the replay's report and the capture's path. Without heaptrack
// the error wraps ErrNoHeaptrack. The report's resident figures include
// heaptrack's own overhead.
func RunHeaptrack(ctx context.Context, bin, tracePath, capturePrefix string, opt Options) (*Report, string, error) {
	ht, err := exec.LookPath("heaptrack")
	if err != nil {
		return nil, "", fmt.Errorf("replay: %w", ErrNoHeaptrack)
	}
	old, _ := filepath.Glob(capturePrefix + ".*")
	for _, o := range old {
		os.Remove(o)
	}
	if err := os.MkdirAll(filepath.Dir(capturePrefix), 0o755); err != nil {
		return nil, "", fmt.Errorf("replay: %w", err)
	}
	rep, err := run(ctx, []string{ht, "-o", capturePrefix}, bin, tracePath, opt)
	if err != nil {
		return nil, "", err
	}
	found, _ := filepath.Glob(capturePrefix + ".*")
	for _, f := range found {
		if strings.HasSuffix(f, ".zst") || strings.HasSuffix(f, ".gz") {
			return rep, f, nil
		}
	}
	return nil, "", fmt.Errorf("replay: heaptrack wrote no capture at %s.*", capturePrefix)
}

func run(ctx context.Context, wrap []string, bin, tracePath string, opt Options) (*Report, error) {
	if opt.Threads < 0 {
		return nil, fmt.Errorf("replay: %d threads", opt.Threads)
	}
	out, err := os.CreateTemp("", "fanbench-replay-*.json")
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	out.Close()
	defer os.Remove(out.Name())
	args := append(append([]string{}, wrap...), bin, "--threads", fmt.Sprint(opt.Threads), "--json", out.Name(), tracePath)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = strings.TrimSpace(stdout.String())
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 2 && strings.HasPrefix(msg, "trace ") {
			return nil, errors.New(msg) // the replay's positioned message says it all
		}
		return nil, fmt.Errorf("replay %s: %w: %s", tracePath, err, msg)
	}
	b, err := os.ReadFile(out.Name())
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("replay %s: its report: %w", tracePath, err)
	}
	if r.Version != 1 {
		return nil, fmt.Errorf("replay %s: report version %d, this fanbench reads 1", tracePath, r.Version)
	}
	return &r, nil
}
