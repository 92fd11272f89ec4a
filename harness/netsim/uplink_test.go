package netsim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/fanbench/fanbench/harness/xorname"
)

// TestUplinkFluidModel drives the scheduler on synthetic time at one byte per
// nanosecond, so every figure is exact.
func TestUplinkFluidModel(t *testing.T) {
	var u uplink
	u.init(1)
	check := func(s *stream, now float64, target, wantServed int64, wantNext, wantLast float64) {
		t.Helper()
		served, next, last := u.progress(s, now, target)
		if served != wantServed || next != wantNext || last != wantLast {
			t.Errorf("at %v ns, progress(target %d) = %d, %v, %v; want %d, %v, %v",
				now, target, served, next, last, wantServed, wantNext, wantLast)
		}
	}

	a := u.join(0, 100)
	b := u.join(0, 200)
	check(a, 100, 100, 50, 200, 200) // half speed each; a needs 50 more bytes at 0.5/ns
	check(b, 100, 60, 50, 120, 400)
	check(b, 200, 200, 100, 300, 300) // a left at 200 exactly, b now has the link alone
	if !a.done || len(u.active) != 1 {
		t.Fatalf("a should have finished at 200 ns (done %v, %d active)", a.done, len(u.active))
	}
	check(a, 200, 100, 100, 200, 200)
	// c arrives at 250 with 10 bytes: b has 150 and slows to half speed
	// until c leaves at 270, then finishes its last 40 at full speed.
	c := u.join(250, 10)
	check(b, 260, 200, 155, 270, 350) // ask again at c's departure, when b speeds up
	check(c, 270, 10, 10, 270, 270)
	check(b, 270, 200, 160, 310, 310)
	check(b, 310, 200, 200, 310, 310)
	if len(u.active) != 0 || u.v != 0 {
		t.Errorf("idle link keeps %d streams, v = %v", len(u.active), u.v)
	}

	// A stream that leaves early gives its share back.
	d := u.join(1000, 100)
	e := u.join(1000, 100)
	u.leave(d, 1050) // each had 25
	check(e, 1050, 100, 25, 1125, 1125)
	check(e, 1125, 100, 100, 1125, 1125)
	u.leave(e, 1200) // already finished: a no-op
	if len(u.active) != 0 {
		t.Errorf("%d streams left after all finished", len(u.active))
	}
}

// fastConfig is a network on which a transfer of a few MB takes
// microseconds of real time.
func fastConfig() Config {
	cfg := DefaultConfig
	cfg.Peers = 20
	cfg.Scale = 1e5
	return cfg
}

func TestTransferHandsOverExactBytes(t *testing.T) {
	const seg = 16
	pattern := func(n int, from byte) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = from + byte(i)
		}
		return b
	}
	tests := []struct {
		name  string
		sizes []int
	}{
		{"one segment", []int{seg}},
		{"aligned parts", []int{seg, 2 * seg, seg}},
		{"unaligned parts", []int{seg - 1, 2, 3*seg + 5, 7}},
		{"empty parts", []int{0, 5, 0, 0, 2*seg + 1, 0}},
		{"many tiny parts", []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
		{"short", []int{3}},
		{"nil parts", nil},
		{"all empty", []int{0, 0}},
	}
	cfg := fastConfig()
	cfg.Segment = seg
	n := newNetwork(t, cfg)
	to := n.ids[3]
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var parts [][]byte
			var want []byte
			for i, size := range tt.sizes {
				p := pattern(size, byte(40*i))
				parts = append(parts, p)
				want = append(want, p...)
			}
			var got []byte
			part, off := 0, 0 // where the next sink call must point
			err := n.Transfer(context.Background(), to, parts, func(b []byte) error {
				if len(b) == 0 {
					t.Fatal("sink got an empty slice")
				}
				for off == len(parts[part]) {
					part, off = part+1, 0
				}
				if unsafe.SliceData(b) != &parts[part][off] {
					t.Fatalf("sink got a copy, not parts[%d][%d:]", part, off)
				}
				if cap(b) != len(b) {
					t.Errorf("sink slice has spare capacity %d", cap(b)-len(b))
				}
				// A call ends at a step boundary, the end of its part, or
				// both, and never crosses a step boundary.
				start, end := len(got), len(got)+len(b)
				if start/seg != (end-1)/seg {
					t.Errorf("sink call [%d, %d) crosses a step boundary", start, end)
				}
				off += len(b)
				if end%seg != 0 && end != len(want) && off != len(parts[part]) {
					t.Errorf("sink call [%d, %d) stops short of both a step and a part boundary", start, end)
				}
				got = append(got, b...)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("sink saw %d bytes %v, want %d bytes %v", len(got), got, len(want), want)
			}
		})
	}
	var total int64
	for _, tt := range tests {
		for _, s := range tt.sizes {
			total += int64(s)
		}
	}
	if got := n.BytesSent(); got != total {
		t.Errorf("BytesSent() = %d, want %d", got, total)
	}
	if got := n.PeakStreams(); got != 1 {
		t.Errorf("PeakStreams() = %d after sequential transfers, want 1", got)
	}
}

func TestTransferErrors(t *testing.T) {
	n := newNetwork(t, fastConfig())
	to := n.ids[0]
	parts := [][]byte{make([]byte, 10*DefaultSegment)}

	stranger := to
	stranger[0] ^= 0xff
	if n.Has(stranger) {
		t.Fatal("test setup: stranger is a peer")
	}
	if err := n.Transfer(context.Background(), stranger, parts, func([]byte) error { return nil }); err == nil {
		t.Error("Transfer to an unknown peer succeeded")
	}

	boom := errors.New("boom")
	calls := 0
	err := n.Transfer(context.Background(), to, parts, func([]byte) error {
		calls++
		if calls == 3 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || calls != 3 {
		t.Errorf("sink error: Transfer = %v after %d calls, want boom after 3", err, calls)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := n.Transfer(ctx, to, parts, func([]byte) error { t.Error("sink called"); return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Transfer on a cancelled context = %v, want context.Canceled", err)
	}
	assertIdle(t, n)
}

// assertIdle fails if any stream is still registered on n's uplink.
func assertIdle(t *testing.T, n *Network) {
	t.Helper()
	n.link.mu.Lock()
	defer n.link.mu.Unlock()
	if k := len(n.link.active); k != 0 {
		t.Errorf("%d streams still hold the uplink", k)
	}
}

// timingConfig is a 1 MB/s uplink at Scale 4: a 1 MB transfer takes 1 s
// simulated, 250 ms real, long enough that a loaded machine's scheduling
// delays of a few milliseconds blur the ratios little.
func timingConfig() Config {
	cfg := DefaultConfig
	cfg.Peers = 20
	cfg.UplinkBitsPerSec = 8e6
	cfg.Scale = 4
	return cfg
}

const mb = 1_000_000

// zeros is a payload shared by the timing tests, so that no transfer's time
// includes allocating (and faulting in) its bytes. Transfers only read it.
var zeros = sync.OnceValue(func() []byte { return make([]byte, 8<<20) })

// timedTransfer sends size ≤ 8 MiB bytes to a peer and returns the
// simulated time it took.
func timedTransfer(t testing.TB, n *Network, ctx context.Context, size int) (time.Duration, error) {
	t.Helper()
	parts := [][]byte{zeros()[:size]}
	start := n.Clock().Now()
	err := n.Transfer(ctx, n.ids[1], parts, func([]byte) error { return nil })
	return n.Clock().Now() - start, err
}

// retryTiming runs attempt up to three times, until it returns "". A timing
// on a loaded machine can come out late but never early, so an attempt
// checks its lower bounds strictly with t, as they hold under any load, and
// returns a description of any upper bound it missed; the test fails only
// if every attempt misses.
func retryTiming(t *testing.T, attempt func(t *testing.T) string) {
	t.Helper()
	var misses []string
	for range 3 {
		miss := attempt(t)
		if miss == "" {
			return
		}
		t.Logf("late, retrying: %s", miss)
		misses = append(misses, miss)
	}
	t.Errorf("late in every attempt:\n%s", strings.Join(misses, "\n"))
}

func TestTransferTakesSizeOverRate(t *testing.T) {
	retryTiming(t, func(t *testing.T) string {
		n := newNetwork(t, timingConfig())
		took, err := timedTransfer(t, n, context.Background(), mb)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("1 MB took %v simulated", took)
		if took < 990*time.Millisecond {
			t.Errorf("1 MB over 8 Mbit/s took %v simulated, want at least 1s", took)
		}
		if took > 1300*time.Millisecond {
			return fmt.Sprintf("1 MB over 8 Mbit/s took %v simulated, want about 1s", took)
		}
		return ""
	})
}

func TestTransferEndsOnTime(t *testing.T) {
	// lateness runs ten transfers of size at DefaultConfig and returns how
	// late, in simulated time, the median and the best one ended.
	lateness := func(t *testing.T, size int) (median, best time.Duration) {
		n := newNetwork(t, DefaultConfig)
		want := time.Duration(float64(size) * 8 / DefaultConfig.UplinkBitsPerSec * float64(time.Second))
		var late []time.Duration
		for range 10 {
			took, err := timedTransfer(t, n, context.Background(), size)
			if err != nil {
				t.Fatal(err)
			}
			if took < want*99/100 {
				t.Fatalf("%d bytes took %v simulated, want at least %v", size, took, want)
			}
			late = append(late, took-want)
		}
		slices.Sort(late)
		t.Logf("%d bytes take %v simulated; ended late by %v", size, want, late)
		return late[len(late)/2], late[0]
	}
	// 16 KiB take 1.3 ms simulated, 13 µs real: far below the runtime's
	// timer resolution, so Transfer must spin to return on time rather than
	// about 1 ms real (100 ms simulated) late.
	retryTiming(t, func(t *testing.T) string {
		if median, _ := lateness(t, 16<<10); median > 20*time.Millisecond {
			return fmt.Sprintf("16 KiB transfers ended a median %v simulated late, want under 20ms", median)
		}
		return ""
	})
	// 8 MiB take 671 ms simulated, 6.7 ms real: Transfer sleeps on coarse
	// timers and spins only for the end, which a loaded machine can delay.
	retryTiming(t, func(t *testing.T) string {
		if _, best := lateness(t, 8<<20); best > 100*time.Millisecond {
			return fmt.Sprintf("8 MiB transfers ended at best %v simulated late, want under 100ms", best)
		}
		return ""
	})
}

// span is when a transfer started and ended, in simulated time.
type span struct{ start, end time.Duration }

func (s span) took() time.Duration { return s.end - s.start }

// concurrently runs one transfer per size, started together.
func concurrently(t *testing.T, n *Network, sizes ...int) []span {
	t.Helper()
	spans := make([]span, len(sizes))
	errs := make([]error, len(sizes))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, size := range sizes {
		parts := [][]byte{zeros()[:size]}
		wg.Go(func() {
			<-start
			spans[i].start = n.Clock().Now()
			errs[i] = n.Transfer(context.Background(), n.ids[i], parts, func([]byte) error { return nil })
			spans[i].end = n.Clock().Now()
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return spans
}

// checkLinkBound fails t if spans, carrying total bytes, beat the link: the
// bytes must take total/rate from the first start to the last end, and each
// transfer at least its own size over the rate. These bounds hold however
// the goroutines are scheduled.
func checkLinkBound(t *testing.T, n *Network, spans []span, sizes ...int) {
	t.Helper()
	bytesPerSec := n.Config().UplinkBitsPerSec / 8
	first, last, total := spans[0].start, spans[0].end, 0
	for i, s := range spans {
		first, last, total = min(first, s.start), max(last, s.end), total+sizes[i]
		if floor := time.Duration(0.99 * float64(sizes[i]) / bytesPerSec * 1e9); s.took() < floor {
			t.Errorf("a %d-byte transfer took %v, faster than the link allows (%v)", sizes[i], s.took(), floor)
		}
	}
	if floor := time.Duration(0.99 * float64(total) / bytesPerSec * 1e9); last-first < floor {
		t.Errorf("%d bytes crossed in %v, faster than the link allows (%v)", total, last-first, floor)
	}
}

func TestTransferSharesFairly(t *testing.T) {
	retryTiming(t, func(t *testing.T) string {
		n := newNetwork(t, timingConfig())
		alone := concurrently(t, n, mb/2)
		both := concurrently(t, n, mb/2, mb/2)
		checkLinkBound(t, n, alone, mb/2)
		checkLinkBound(t, n, both, mb/2, mb/2)
		if p := n.PeakStreams(); p != 2 {
			t.Errorf("PeakStreams() = %d, want 2", p)
		}
		a, b0, b1 := alone[0].took(), both[0].took(), both[1].took()
		t.Logf("0.5 MB alone took %v; two together took %v and %v", a, b0, b1)
		if a > 650*time.Millisecond || max(b0, b1) > 1300*time.Millisecond {
			return fmt.Sprintf("0.5 MB took %v alone and %v, %v shared; want about 0.5s and 1s", a, b0, b1)
		}
		for i, d := range []time.Duration{b0, b1} {
			if r := float64(d) / float64(a); r < 1.7 || r > 2.4 {
				return fmt.Sprintf("stream %d of 2 took %v, %.2f× the %v one stream takes alone; want about 2×", i, d, r, a)
			}
		}
		if gap := (both[0].end - both[1].end).Abs(); gap > b0/10 {
			return fmt.Sprintf("equal concurrent streams finished %v apart (took %v, %v)", gap, b0, b1)
		}
		return ""
	})
}

func TestTransferProcessorSharing(t *testing.T) {
	// Streams of 0.5 and 1 MB started together share the link until the
	// small one ends at 1 s; the large one then has it alone and ends at
	// 1.5 s. A FIFO link would end them at 0.5 s and 1.5 s.
	retryTiming(t, func(t *testing.T) string {
		n := newNetwork(t, timingConfig())
		spans := concurrently(t, n, mb/2, mb)
		checkLinkBound(t, n, spans, mb/2, mb)
		small, large := spans[0].took(), spans[1].took()
		t.Logf("0.5 MB and 1 MB together took %v and %v", small, large)
		if r := float64(small) / float64(large); r < 0.55 || r > 0.8 || small < 900*time.Millisecond || large > 2*time.Second {
			return fmt.Sprintf("streams took %v and %v (ratio %.2f), want 1s and 1.5s (2/3)", small, large, r)
		}
		return ""
	})
}

func TestTransferCancel(t *testing.T) {
	n := newNetwork(t, timingConfig())
	// 100 MB, 25 s of real time, out of one 1 MB buffer: Transfer does not
	// mind parts that alias.
	long := slices.Repeat([][]byte{zeros()[:mb]}, 100)
	var got int64
	count := func(b []byte) error { got += int64(len(b)); return nil }

	t.Run("during a wait", func(t *testing.T) {
		got = 0
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(20*time.Millisecond, cancel)
		err := n.Transfer(ctx, n.ids[0], long, count)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Transfer = %v, want context.Canceled", err)
		}
		if got >= 50*mb { // 12 s of real time: far beyond the 20 ms it should take
			t.Errorf("cancelled Transfer delivered %d bytes first", got)
		}
		assertIdle(t, n)
	})
	t.Run("from the sink", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		calls := 0
		err := n.Transfer(ctx, n.ids[0], long, func([]byte) error {
			calls++
			cancel()
			return nil
		})
		if !errors.Is(err, context.Canceled) || calls != 1 {
			t.Errorf("Transfer = %v after %d sink calls, want context.Canceled after 1", err, calls)
		}
		assertIdle(t, n)
	})
	t.Run("simulated deadline", func(t *testing.T) {
		got = 0
		ctx, cancel := n.Clock().WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := n.Clock().Now()
		err := n.Transfer(ctx, n.ids[0], long, count)
		took := n.Clock().Now() - start
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Transfer = %v, want context.DeadlineExceeded", err)
		}
		// Unlike rate.Limiter.WaitN, which fails at once when the wait would
		// pass the deadline, the transfer runs until the deadline passes.
		if took < 990*time.Millisecond {
			t.Errorf("Transfer gave up after %v simulated, want 1s", took)
		}
		if got >= 50*mb {
			t.Errorf("Transfer ran on for %v simulated and %d bytes past a 1s deadline", took, got)
		}
		assertIdle(t, n)
	})
}

func TestTransferConcurrentStress(t *testing.T) {
	n := newNetwork(t, fastConfig())
	const streams = 16
	r := rand.New(rand.NewPCG(12, 0))
	var want int64
	payloads := make([][][]byte, streams)
	for i := range payloads {
		for range 1 + r.IntN(4) {
			p := make([]byte, r.IntN(3*DefaultSegment))
			for j := range p {
				p[j] = byte(r.Uint32())
			}
			payloads[i] = append(payloads[i], p)
			want += int64(len(p))
		}
	}
	var wg sync.WaitGroup
	for i := range payloads {
		wg.Go(func() {
			var got []byte
			err := n.Transfer(context.Background(), n.ids[i], payloads[i], func(b []byte) error {
				got = append(got, b...)
				return nil
			})
			if err != nil {
				t.Error(err)
			}
			if !bytes.Equal(got, bytes.Join(payloads[i], nil)) {
				t.Errorf("stream %d: sink saw the wrong bytes", i)
			}
		})
	}
	wg.Wait()
	if got := n.BytesSent(); got != want {
		t.Errorf("BytesSent() = %d, want %d", got, want)
	}
	if p := n.PeakStreams(); p < 1 || p > streams {
		t.Errorf("PeakStreams() = %d, want 1..%d", p, streams)
	}
	assertIdle(t, n)
}

func BenchmarkTransfer(b *testing.B) {
	// One 4 MiB transfer at a time on a 100 Mbit/s link. At Scale 1e4 the
	// link moves 125 GB per real second, 34 µs per transfer, and sim-MB/s
	// shows how close the model comes to the configured 12.5. At Scale 1e8
	// the link takes 3 ns, so MB/s is the ceiling the model's own cost sets.
	for _, scale := range []float64{1e4, 1e8} {
		b.Run(fmt.Sprintf("scale=%g", scale), func(b *testing.B) {
			cfg := DefaultConfig
			cfg.Scale = scale
			n := newNetwork(b, cfg)
			const size = 4 << 20
			parts := [][]byte{zeros()[:size]}
			to := n.ids[0]
			sink := func([]byte) error { return nil }
			b.SetBytes(size)
			b.ReportAllocs()
			start := n.Clock().Now()
			for b.Loop() {
				if err := n.Transfer(context.Background(), to, parts, sink); err != nil {
					b.Fatal(err)
				}
			}
			sim := n.Clock().Now() - start
			b.ReportMetric(float64(b.N)*size/1e6/sim.Seconds(), "sim-MB/s")
		})
	}
}

func BenchmarkTransferParallel(b *testing.B) {
	// 64 streams share the link, as 16 chunks' close-group fan-outs would.
	cfg := DefaultConfig
	cfg.Scale = 1e4
	n := newNetwork(b, cfg)
	const size = 4 << 20
	parts := [][]byte{zeros()[:size]}
	sink := func([]byte) error { return nil }
	b.SetBytes(size)
	b.ReportAllocs()
	b.SetParallelism(32)
	start := n.Clock().Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := n.Transfer(context.Background(), n.ids[1], parts, sink); err != nil {
				b.Error(err)
				return
			}
		}
	})
	sim := n.Clock().Now() - start
	b.ReportMetric(float64(b.N)*size/1e6/sim.Seconds(), "sim-MB/s")
	b.ReportMetric(float64(n.PeakStreams()), "peak-streams")
}

func BenchmarkClosest(b *testing.B) {
	n := newNetwork(b, DefaultConfig)
	targets := randomNames(13, 1024)
	dst := make([]xorname.Name, 0, 7)
	i := 0
	for b.Loop() {
		dst = n.AppendClosest(dst[:0], targets[i%len(targets)], 7)
		i++
	}
}
