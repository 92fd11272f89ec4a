package runner

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/meter"
	"github.com/fanbench/fanbench/harness/model"
	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/testnet"
	"github.com/fanbench/fanbench/harness/upload"
)

// RunChild performs job in this process and returns its record, never nil;
// a failure of the model or of the setup is recorded as Status "error". It
// is what a child process runs, and what tests run in-process.
//
// The steps:
//  1. Setup: the testnet and the uploader are built and the encryption
//     phase runs (or the spill comes from the cache).
//  2. A forced GC, then "5" is written to /proc/self/clear_refs so that the
//     kernel's VmHWM forgets setup; the runtime sampler takes its baseline.
//  3. The upload phase runs with a meter.Live counting every tracked
//     buffer. In a profiling run (job.Profile), when the live total passes
//     a threshold, the task whose allocation passed it forces a GC and
//     snapshots the heap profile, while virtual time stands still: the
//     highest one is the peak profile (see nextThreshold). The forced GCs
//     lower the Go heap and RSS peaks, which is why profiling runs are
//     apart from measured ones.
//  4. After the phase: a forced GC and the end profile; VmHWM; the analytic
//     model's prediction for the structure that ran.
//
// Progress lines "<stored> <total> <live-peak>\n" go to progress, if not
// nil: at the start of the upload phase, after each stored chunk and every
// 50 ms.
func RunChild(ctx context.Context, job Job, progress io.Writer) *result.Record {
	rec := newRecord(job)
	err := measure(ctx, job, progress, rec)
	if err != nil {
		rec.Status, rec.Error = result.Failed, err.Error()
	}
	return rec
}

func newRecord(job Job) *result.Record {
	c := job.Case
	return &result.Record{
		Version: result.Version, Scenario: c.Name, Strategy: c.Strategy.String(), Limiter: c.Limiter,
		Payment: c.Payment.String(), Transport: c.Transport, Rep: job.Rep, Profile: job.Profile, Seed: c.Source.Seed, Size: c.Source.Size,
		Env: env(job), Status: result.OK,
	}
}

func measure(ctx context.Context, job Job, progress io.Writer, rec *result.Record) error {
	c := job.Case
	policy, err := ParseLimiter(c.Limiter)
	if err != nil {
		return err
	}
	net, err := testnet.New(c.Net)
	if err != nil {
		return err
	}
	defer net.Close()
	clock := net.Clock()

	cfg := upload.DefaultConfig()
	cfg.Strategy, cfg.Transport, cfg.Payment, cfg.Store = c.Strategy, c.Transport, c.Payment, policy
	cfg.CacheRoot = c.CacheRoot
	u, err := upload.New(cfg)
	if err != nil {
		return err
	}
	enc, err := u.Encrypt(ctx, c.Source)
	if err != nil {
		return err
	}
	defer enc.Close()
	sizes, err := enc.ChunkSizes()
	if err != nil {
		return err
	}
	rec.Total = len(sizes)
	rec.Upload.Encrypt, rec.Upload.Cached = int64(enc.Elapsed), enc.Cached
	rec.Warnings = append(rec.Warnings, enc.Warnings...)

	// The meter and the progress line are made before the reset, so the
	// measured phase allocates as little of its own as it can.
	if job.Bare {
		return bare(ctx, cfg, enc, net, rec)
	}
	t0 := clock.Now()
	live := meter.NewLive(func() time.Duration { return clock.Now() - t0 }, 10*time.Millisecond)
	cfg.Meter = live
	prog := newProgressWriter(progress)
	var stored atomic.Int64
	cfg.Progress = func(n, total int) {
		stored.Store(int64(n))
		prog.write(n, total, live.Peak())
	}
	if u, err = upload.New(cfg); err != nil {
		return err
	}
	hint := model.Predict(modelInput(c, policy().Cap(), sizes, 0)).Peak
	peakPath, endPath := job.ProfilePaths()
	prof := newProfiler()
	sampler := meter.Sampler{Interval: job.SampleInterval}

	// Return what setup used to the OS first, so the reset high-water mark
	// starts from the upload's own baseline.
	debug.FreeOSMemory()
	hwmReset := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	t0 = clock.Now()
	sampler.Start()
	if job.Profile {
		prof.start(live, hint)
	}
	// Progress with the live peak so far, also on a timer, so a child
	// killed mid-wave leaves the parent its last figures.
	prog.write(0, len(sizes), 0)
	tick := time.NewTicker(50 * time.Millisecond)
	ticking := make(chan struct{})
	var ticker sync.WaitGroup
	ticker.Go(func() {
		defer tick.Stop()
		for {
			select {
			case <-ticking:
				return
			case <-tick.C:
				prog.write(int(stored.Load()), len(sizes), live.Peak())
			}
		}
	})

	res, uerr := u.Upload(ctx, enc, net)
	close(ticking)
	ticker.Wait()

	rec.Runtime = sampler.Stop()
	peakProfile, profileLive := prof.stop(live)
	rec.Live = live.Figures()
	rec.Upload = upload2record(res, rec.Upload)
	rec.Upload.PeakStreams = net.Network().PeakStreams()
	if res.Stored > rec.Stored {
		rec.Stored = res.Stored
	}

	// End of the phase: what is retained, then the kernel's high-water mark.
	runtime.GC()
	endSnap := meter.NewHeapSnapshot(4096)
	endSnap.Take()
	// The child names its source only when it has the figure; otherwise
	// the parent fills PeakRSS from wait4's Maxrss.
	if hwm, err := vmHWM(); err == nil {
		rec.OS.VmHWM = hwm
		if hwmReset {
			rec.OS.PeakRSS, rec.OS.PeakRSSSource = hwm, "vmhwm"
		}
	}
	if job.Dir != "" {
		if peakProfile != nil {
			if err := writeProfile(filepath.Join(job.Dir, peakPath), peakProfile); err != nil {
				return errors.Join(uerr, err)
			}
			rec.PeakProfile, rec.ProfileLive = peakPath, profileLive
		}
		if err := writeProfile(filepath.Join(job.Dir, endPath), endSnap); err != nil {
			return errors.Join(uerr, err)
		}
		rec.EndProfile = endPath
	}

	// The model covers runs that went as planned: no fallbacks, no retries.
	if uerr == nil && res.Fallbacks == 0 && res.RetryRounds == 0 && res.Proofs > 0 && res.AlreadyStored == 0 {
		in := modelInput(c, 0, sizes, int(res.ProofBytes/int64(res.Proofs)))
		in.Caps, in.Merkle = res.Caps, res.Mode == payment.Merkle
		for w := 0; w < len(res.ProofSizes); w += upload.WaveSize {
			in.ProofSizes = append(in.ProofSizes, res.ProofSizes[w:min(w+upload.WaveSize, len(res.ProofSizes))])
		}
		p := model.Predict(in)
		rec.ModelPeak = p.Peak
		rec.ModelSites = map[string]int64{}
		for s, v := range p.Sites {
			if v != 0 {
				rec.ModelSites[buffer.Site(s).String()] = v
			}
		}
	}
	return uerr
}

// bare runs the upload phase with no measurement but its wall time and the
// bytes and objects allocated during it.
func bare(ctx context.Context, cfg upload.Config, enc *upload.Encrypted, net *testnet.Testnet, rec *result.Record) error {
	u, err := upload.New(cfg)
	if err != nil {
		return err
	}
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/heap/allocs:objects"}}
	debug.FreeOSMemory() // as the measured path does, so the two differ only by measuring
	metrics.Read(s)
	b0, o0 := s[0].Value.Uint64(), s[1].Value.Uint64()
	res, err := u.Upload(ctx, enc, net)
	metrics.Read(s)
	rec.Runtime.AllocBytes, rec.Runtime.AllocObjects = int64(s[0].Value.Uint64()-b0), int64(s[1].Value.Uint64()-o0)
	rec.Upload = upload2record(res, rec.Upload)
	rec.Stored = res.Stored
	return err
}

func writeProfile(path string, h *meter.HeapSnapshot) error {
	var b bytes.Buffer
	if err := h.Write(&b, runtime.MemProfileRate); err != nil {
		return fmt.Errorf("profile %s: %w", path, err)
	}
	return result.WriteFileAtomic(path, b.Bytes())
}

// modelInput describes c's upload for the model: waves of the chunk sizes,
// every wave at cap (when cap > 0), merkle as Auto would choose.
func modelInput(c Case, cap int, sizes []int, proofSize int) model.Input {
	in := model.Input{Strategy: c.Strategy, Transport: c.Transport, Merkle: payment.UseMerkle(len(sizes), c.Payment), ProofSize: proofSize}
	if proofSize == 0 {
		in.ProofSize = 56_000 // a hint only: the real size comes from the run
		if in.Merkle {
			in.ProofSize = 128_000
		}
	}
	for w := 0; w < len(sizes); w += upload.WaveSize {
		in.Waves = append(in.Waves, sizes[w:min(w+upload.WaveSize, len(sizes))])
		if cap > 0 {
			in.Caps = append(in.Caps, cap)
		}
	}
	return in
}

func upload2record(r upload.Result, u result.Upload) result.Upload {
	u.Mode, u.Waves, u.RetryRounds, u.Caps = r.Mode.String(), r.Waves, r.RetryRounds, r.Caps
	u.Transactions, u.Sends, u.Fallbacks = r.Transactions, r.Sends, r.Fallbacks
	u.PeerErrors, u.PeerTimeouts = r.PeerErrors, r.PeerTimeouts
	u.Wall, u.Sim = int64(r.Elapsed), int64(r.SimElapsed)
	return u
}

// profiler keeps the heap profile of the highest live total it was called
// for. Its snapshots are allocated before the measured phase.
type profiler struct {
	cur, best *meter.HeapSnapshot
	at        int64
}

func newProfiler() *profiler {
	return &profiler{cur: meter.NewHeapSnapshot(4096), best: meter.NewHeapSnapshot(4096)}
}

// start begins watching live; the first profile is taken at half the
// model's hint. Each is taken by the task whose allocation passed the
// threshold, so nothing else runs meanwhile and virtual time stands still.
func (p *profiler) start(live *meter.Live, hint int64) {
	var take func()
	take = func() {
		runtime.GC()
		cur := live.Total()
		p.cur.Take()
		if cur >= p.at {
			p.best.CopyFrom(p.cur)
			p.at = cur
		}
		// From the highest total seen, so a dip during the GC neither
		// re-arms at a lower level nor (at zero) disarms.
		live.Notify(max(nextThreshold(max(cur, live.Peak()), hint), 1), take)
	}
	live.Notify(max(hint/2, 1), take)
}

// nextThreshold is the live total at which the next profile is taken:
// doubling up to 95 % of the model's hint, then 2 % steps up to 110 %, then
// 25 % steps. Each profile costs a forced GC, so a run where the model
// holds takes about five, the last within 2 % of the peak.
func nextThreshold(cur, hint int64) int64 {
	lo, hi := hint*95/100, hint*11/10
	switch {
	case cur < lo:
		return min(2*cur, lo)
	case cur <= hi:
		return cur + cur/50 + 1
	}
	return cur + cur/4
}

// stop ends profiling and returns the best snapshot (nil if none was
// taken) and the live total when it was taken.
func (p *profiler) stop(live *meter.Live) (*meter.HeapSnapshot, int64) {
	live.Notify(0, nil)
	if p.best.Empty() {
		return nil, 0
	}
	return p.best, p.at
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

// vmHWM reads this process's peak resident set from /proc/self/status.
func vmHWM() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmHWM in /proc/self/status")
}

// env reads the settings this process runs with.
func env(job Job) result.Env {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/gomemlimit:bytes"}}
	metrics.Read(s)
	e := result.Env{
		GoVersion: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, CPU: cpuModel(),
		GOMAXPROCS: runtime.GOMAXPROCS(0), GOGC: -1, GOMEMLIMIT: math.MaxInt64,
		MemProfileRate: runtime.MemProfileRate, MemoryLimit: job.MemoryLimit,
	}
	if v := s[0].Value; v.Kind() == metrics.KindUint64 && v.Uint64() <= math.MaxInt32 {
		e.GOGC = int(v.Uint64()) // GOGC=off reads as an out-of-range value
	}
	if s[1].Value.Kind() == metrics.KindUint64 {
		e.GOMEMLIMIT = int64(s[1].Value.Uint64())
	}
	return e
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return ""
}
