package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fanbench/fanbench/harness/alloc"
	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/limiter"
	"github.com/fanbench/fanbench/harness/meter"
	"github.com/fanbench/fanbench/harness/model"
	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/simtime"
	"github.com/fanbench/fanbench/harness/testnet"
	"github.com/fanbench/fanbench/harness/trace"
	"github.com/fanbench/fanbench/harness/uploader"
)

// RunChild performs job in this process and returns its record, never nil;
// a failure of the model or of the setup is recorded as Status "error". It
// is what a child process runs, and what tests run in-process.
//
// The steps:
//  1. Setup: the testnet and the uploader are built and the encryption
//     phase runs (or the spill comes from the cache).
//  2. The client's memory: an allocator of the case's policy (package
//     alloc) in address space of its own, outside the Go heap, with the job's
//     memory limit on the client's resident memory.
//  3. A forced GC, then "5" is written to /proc/self/clear_refs so that the
//     kernel's VmHWM forgets setup; the runtime sampler takes its baseline.
//  4. The upload phase runs with a meter.Live counting every tracked buffer
//     and keeping each one's life and allocation stack. If the client's
//     resident memory reaches the limit, the allocation that did it ends
//     the run, as the OOM killer would: Status "oom", with the chunks stored
//     so far.
//  5. After the phase: the exact peak profile (in a profiling run, and in a
//     run that was killed), a forced GC and the harness's heap profile;
//     VmHWM; the analytic model's prediction for the structure that ran.
//
// Progress lines "<stored> <total> <live-peak>\n" go to progress, if not
// nil: at the start of the upload phase, after each stored chunk and every
// 50 ms.
func RunChild(ctx context.Context, job Job, progress io.Writer) *result.Record {
	rec := newRecord(job)
	err := measure(ctx, job, progress, rec)
	if err != nil && rec.Status == result.OK {
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
		Client: c.profileName(), Uploader: c.uploaderName(),
		Memory: result.Memory{Allocator: c.AllocatorPolicy()},
	}
}

func measure(ctx context.Context, job Job, progress io.Writer, rec *result.Record) error {
	c := job.Case
	profile, err := c.profile()
	if err != nil {
		return err
	}
	rec.Memory.Baseline = profile.Baseline
	aimd := limiter.DefaultStore
	aimd.LatencyInflation = profile.Store.LatencyInflation
	policy, err := limiterFor(c.Limiter, aimd)
	if err != nil {
		return err
	}
	def, err := uploader.Lookup(c.Uploader)
	if err != nil {
		return err
	}
	net, err := testnet.New(c.Net)
	if err != nil {
		return err
	}
	defer net.Close()
	clock := net.Clock()

	u, err := def.New(c.settings(policy, profile))
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

	// The client's memory, outside the Go heap.
	mem, err := alloc.New(c.AllocatorPolicy(), alloc.Options{Reserve: c.Reserve})
	if err != nil {
		return fmt.Errorf("the client's allocator: %w", err)
	}
	defer mem.Close()

	// The meter and the progress line are made before the reset, so the
	// measured phase allocates as little of its own as it can.
	env := uploader.Env{Net: net, Clock: clock, Ledger: uploader.PaymentLedger(net.Ledger())}
	if job.Bare {
		env.Heap = buffer.NewHeap(mem, nil, clock.Now)
		return bare(ctx, u, enc, env, rec)
	}
	t0 := clock.Now()
	live := meter.NewLive(func() time.Duration { return clock.Now() - t0 }, 10*time.Millisecond)
	env.Heap = buffer.NewHeap(mem, live, clock.Now)
	env.Heap.SetLimit(job.MemoryLimit, profile.Baseline, nil)
	var tw *trace.Writer
	if job.Trace && job.Dir != "" {
		path := filepath.Join(job.Dir, job.TracePath())
		err := os.MkdirAll(filepath.Dir(path), 0o755)
		var f *os.File
		if err == nil {
			f, err = os.Create(path)
		}
		if err != nil {
			return fmt.Errorf("trace: %w", err)
		}
		defer f.Close()
		tw = trace.NewWriter(f, trace.Header{
			Scenario: c.Name, Strategy: c.Strategy.String(), Limiter: c.Limiter, Seed: c.Source.Seed, Rep: job.Rep,
			Labels: map[string]string{"payment": c.Payment.String(), "allocator": c.AllocatorPolicy(), "transport": fmt.Sprint(c.Transport)},
			Sites:  buffer.TraceSites(),
		})
		env.Heap.Trace(tw, clock.Task)
	}
	prog := newProgressWriter(progress)
	var stored atomic.Int64
	env.Progress = func(n, total int) {
		stored.Store(int64(n))
		prog.write(n, total, live.Peak())
	}
	peakPath, endPath := job.ProfilePaths()
	sampler := meter.Sampler{Interval: job.SampleInterval}

	// Return what setup used to the OS first, so the reset high-water mark
	// starts from the upload's own baseline.
	debug.FreeOSMemory()
	hwmReset := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	if hwmReset {
		rec.OS.BaseRSS, _ = procStatus("VmRSS:")
	}
	t0 = clock.Now()
	sampler.Start()
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

	res, uerr, killed := upload1(ctx, u, enc, env)
	close(ticking)
	ticker.Wait()
	if tw != nil {
		if err := tw.Close(); err != nil {
			return errors.Join(uerr, fmt.Errorf("trace %s: %w", job.TracePath(), err))
		}
		rec.Trace = job.TracePath()
	}

	rec.Runtime = sampler.Stop()
	rec.Live = live.Figures()
	st := mem.Stats()
	rec.Memory.PeakResident = st.PeakResident + profile.Baseline
	rec.Memory.EndResident = st.Resident + profile.Baseline
	rec.Memory.Retained, rec.Memory.Returned = st.ResidentRetained, st.Returned
	rec.Upload = upload2record(res, rec.Upload)
	rec.Upload.PeakStreams = net.Network().PeakStreams()
	rec.Stored = max(rec.Stored, res.Stored, int(stored.Load()))
	if killed != nil {
		rec.Status = result.OOM
		rec.Error = fmt.Sprintf("%s: %v after %d of %d chunks stored", job.Name(), killed, rec.Stored, rec.Total)
		uerr = nil
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
		if p := live.PeakProfile(); p != nil && (job.Profile || killed != nil) {
			if err := writeFile(filepath.Join(job.Dir, peakPath), func(w io.Writer) error { return meter.WriteProfile(w, p) }); err != nil {
				return errors.Join(uerr, err)
			}
			rec.PeakProfile, rec.ProfileLive = peakPath, rec.Live.Peak
		}
		if err := writeFile(filepath.Join(job.Dir, endPath), func(w io.Writer) error { return endSnap.Write(w, runtime.MemProfileRate) }); err != nil {
			return errors.Join(uerr, err)
		}
		rec.EndProfile = endPath
	}

	// The model covers runs that say how they held their chunks and
	// proofs (Result.Held) and went as planned: no fallbacks, no retries.
	if held := res.Held; held.Wave > 0 && uerr == nil && killed == nil && res.Fallbacks == 0 && res.RetryRounds == 0 && res.Proofs > 0 && res.AlreadyStored == 0 {
		wave := held.Wave
		in := modelInput(c, wave, sizes, int(res.ProofBytes/int64(res.Proofs)))
		in.Caps, in.Merkle, in.Client = res.Caps, res.Mode == payment.Merkle, profile
		in.Client.Waves.LoadPerRecord, in.Client.Waves.KeepProofs = held.PerRecord, held.KeepProofs
		in.DropChunks = held.UntilStoreEnds
		for len(in.Caps) < len(in.Waves) && len(in.Caps) > 0 { // a rolling cap that never moved
			in.Caps = append(in.Caps, in.Caps[len(in.Caps)-1])
		}
		for w := 0; len(res.LaunchAfter) == len(sizes) && w < len(sizes); w += wave {
			in.LaunchAfter = append(in.LaunchAfter, res.LaunchAfter[w:min(w+wave, len(sizes))])
		}
		for w := 0; w < len(res.ProofSizes); w += wave {
			in.ProofSizes = append(in.ProofSizes, res.ProofSizes[w:min(w+wave, len(res.ProofSizes))])
		}
		in.Peers, in.Latency = targets(net, enc.Chunks(), wave)
		in.UplinkBitsPerSec = c.Net.Net.UplinkBitsPerSec
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

// upload1 runs the upload phase and returns its result and error, or,
// when the memory limit ended it, what it was killed with. A panic of
// another kind goes on up.
func upload1(ctx context.Context, u uploader.Uploader, enc *uploader.Encrypted, env uploader.Env) (res uploader.Result, err error, killed *buffer.Killed) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		pe, ok := p.(*simtime.PanicError)
		var k buffer.Killed
		var ae buffer.AllocError
		switch {
		case ok && errors.As(pe, &k):
			killed = &k
		case ok && errors.As(pe, &ae):
			err = ae // the harness cannot go on modelling the client
		default:
			panic(p)
		}
	}()
	res, err = u.Upload(ctx, enc, env)
	return res, err, nil
}

// bare runs the upload phase with no measurement but its wall time and the
// bytes and objects allocated during it.
func bare(ctx context.Context, u uploader.Uploader, enc *uploader.Encrypted, env uploader.Env, rec *result.Record) error {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/heap/allocs:objects"}}
	debug.FreeOSMemory() // as the measured path does, so the two differ only by measuring
	metrics.Read(s)
	b0, o0 := s[0].Value.Uint64(), s[1].Value.Uint64()
	res, err := u.Upload(ctx, enc, env)
	metrics.Read(s)
	rec.Runtime.AllocBytes, rec.Runtime.AllocObjects = int64(s[0].Value.Uint64()-b0), int64(s[1].Value.Uint64()-o0)
	rec.Upload = upload2record(res, rec.Upload)
	rec.Stored = res.Stored
	return err
}

// writeFile writes what write produces to path atomically.
func writeFile(path string, write func(io.Writer) error) error {
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return fmt.Errorf("profile %s: %w", path, err)
	}
	return result.WriteFileAtomic(path, b.Bytes())
}

func upload2record(r uploader.Result, u result.Upload) result.Upload {
	u.Mode, u.Waves, u.RetryRounds, u.Caps = r.Mode.String(), r.Waves, r.RetryRounds, r.Caps
	u.Transactions, u.Sends, u.Fallbacks = r.Transactions, r.Sends, r.Fallbacks
	u.PeerErrors, u.PeerTimeouts = r.PeerErrors, r.PeerTimeouts
	u.Wall, u.Sim = int64(r.Elapsed), int64(r.SimElapsed)
	return u
}
