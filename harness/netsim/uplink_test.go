package netsim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/fanbench/fanbench/harness/simtime"
	"github.com/fanbench/fanbench/harness/xorname"
)

// simulate runs f as the first task of a simulation on n's clock.
func simulate(t testing.TB, n *Network, f func(ctx context.Context) error) {
	t.Helper()
	if err := n.Clock().Run(context.Background(), "test", f); err != nil {
		t.Fatal(err)
	}
}

// byteLink is a network whose uplink moves one byte per nanosecond, so
// every time is a whole number of bytes.
func byteLink(t testing.TB) *Network {
	cfg := DefaultConfig
	cfg.Peers = 20
	cfg.UplinkBitsPerSec = 8e9
	return newNetwork(t, cfg)
}

// event is one transfer's outcome: its name, when it ended and with what.
type event struct {
	name string
	end  time.Duration
	err  error
}

func (e event) String() string { return fmt.Sprintf("%s@%v:%v", e.name, e.end, e.err) }

// transfers runs one transfer per job, each starting at its virtual time,
// and returns their outcomes in the order they ended.
func transfers(t testing.TB, n *Network, jobs ...job) []event {
	t.Helper()
	var out []event
	simulate(t, n, func(ctx context.Context) error {
		var g simtime.Group
		for _, j := range jobs {
			g.Go(ctx, j.name, func(ctx context.Context) {
				simtime.Sleep(ctx, j.at)
				if j.cancelAt > 0 {
					var cancel context.CancelFunc
					ctx, cancel = simtime.WithTimeout(ctx, j.cancelAt-j.at)
					defer cancel()
				}
				err := n.Transfer(ctx, n.ids[0], [][]byte{zeros[:j.size]}, func([]byte) error { return nil })
				out = append(out, event{j.name, simtime.Now(ctx), err})
			})
		}
		g.Wait()
		return nil
	})
	return out
}

// job is a transfer of size bytes starting at virtual time at, given up at
// cancelAt when that is not zero.
type job struct {
	name     string
	at       time.Duration
	size     int
	cancelAt time.Duration
}

var zeros = make([]byte, 8<<20)

func TestUplinkProcessorSharing(t *testing.T) {
	const ns = time.Nanosecond
	tests := []struct {
		name string
		jobs []job
		want string
	}{
		{"alone", []job{{"a", 0, 100, 0}}, "[a@100ns:<nil>]"},
		// Half speed each until a leaves at 200 ns with 100 bytes; b has
		// the link alone for its last 100.
		{"two", []job{{"a", 0, 100, 0}, {"b", 0, 200, 0}}, "[a@200ns:<nil> b@300ns:<nil>]"},
		{"equal", []job{{"a", 0, 500, 0}, {"b", 0, 500, 0}}, "[a@1µs:<nil> b@1µs:<nil>]"},
		// c arrives at 250 ns with 10 bytes when b has 150 of 200: both at
		// half speed until c leaves at 270 with b at 160, then b's last 40
		// alone.
		{"late join", []job{{"a", 0, 100, 0}, {"b", 0, 200, 0}, {"c", 250 * ns, 10, 0}},
			"[a@200ns:<nil> c@270ns:<nil> b@310ns:<nil>]"},
		// d gives up at 50 ns with 25 bytes sent; e has had 25 and sends
		// its last 75 alone.
		{"leave", []job{{"d", 0, 100, 50 * ns}, {"e", 0, 100, 0}},
			"[d@50ns:context deadline exceeded e@125ns:<nil>]"},
		// Three streams: service per stream 1/3 B/ns until 99 bytes each at
		// 297 ns, f leaves; g and h at 1/2 until g's last 1 at 299 ns; h's
		// last 1 byte alone at 300 ns. Fractions of a nanosecond round up.
		{"rounding", []job{{"f", 0, 99, 0}, {"g", 0, 100, 0}, {"h", 0, 101, 0}},
			"[f@297ns:<nil> g@299ns:<nil> h@300ns:<nil>]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := byteLink(t)
			if got := fmt.Sprint(transfers(t, n, tt.jobs...)); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
			assertIdle(t, n)
		})
	}
}

func TestTransferTakesSizeOverRate(t *testing.T) {
	// 4 MiB at 100 Mbit/s: 4194304·8/1e8 s = 335.54432 ms, exactly.
	n := newNetwork(t, DefaultConfig)
	got := transfers(t, n, job{"x", 0, 4 << 20, 0})
	if want := "[x@335.54432ms:<nil>]"; fmt.Sprint(got) != want {
		t.Errorf("got %v, want %s", got, want)
	}
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
	cfg := DefaultConfig
	cfg.Peers = 20
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
			simulate(t, n, func(ctx context.Context) error {
				return n.Transfer(ctx, to, parts, func(b []byte) error {
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
			})
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
	n := byteLink(t)
	to := n.ids[0]
	parts := [][]byte{make([]byte, 10*DefaultSegment)}
	stranger := to
	stranger[0] ^= 0xff
	if n.Has(stranger) {
		t.Fatal("test setup: stranger is a peer")
	}
	boom := errors.New("boom")
	simulate(t, n, func(ctx context.Context) error {
		if err := n.Transfer(ctx, stranger, parts, func([]byte) error { return nil }); err == nil {
			t.Error("Transfer to an unknown peer succeeded")
		}
		calls := 0
		err := n.Transfer(ctx, to, parts, func([]byte) error {
			calls++
			if calls == 3 {
				return boom
			}
			return nil
		})
		if !errors.Is(err, boom) || calls != 3 {
			t.Errorf("sink error: Transfer = %v after %d calls, want boom after 3", err, calls)
		}
		cctx, cancel := simtime.WithCancel(ctx)
		cancel()
		if err := n.Transfer(cctx, to, parts, func([]byte) error { t.Error("sink called"); return nil }); !errors.Is(err, context.Canceled) {
			t.Errorf("Transfer on a cancelled context = %v, want context.Canceled", err)
		}
		return nil
	})
	assertIdle(t, n)
}

// assertIdle fails if any stream is still registered on n's uplink.
func assertIdle(t *testing.T, n *Network) {
	t.Helper()
	if k := len(n.link.active); k != 0 {
		t.Errorf("%d streams still hold the uplink", k)
	}
}

func TestTransferDeadline(t *testing.T) {
	// 100 MB at 8 Mbit/s would take 100 s; a 1 s deadline ends it at 1 s
	// exactly, with nothing handed to the sink. Unlike rate.Limiter.WaitN,
	// which fails at once when the wait would pass the deadline, the
	// transfer runs until the deadline passes.
	cfg := DefaultConfig
	cfg.Peers = 20
	cfg.UplinkBitsPerSec = 8e6
	n := newNetwork(t, cfg)
	long := slices.Repeat([][]byte{zeros[:1_000_000]}, 100)
	var got int
	simulate(t, n, func(ctx context.Context) error {
		tctx, cancel := simtime.WithTimeout(ctx, time.Second)
		defer cancel()
		err := n.Transfer(tctx, n.ids[0], long, func(b []byte) error { got += len(b); return nil })
		if !errors.Is(err, context.DeadlineExceeded) || simtime.Now(ctx) != time.Second || got != 0 {
			t.Errorf("Transfer = %v at %v after %d bytes, want context.DeadlineExceeded at 1s after 0", err, simtime.Now(ctx), got)
		}
		return nil
	})
	assertIdle(t, n)
}

func TestTransferRandomMix(t *testing.T) {
	// Streams joining at random moments with random sizes: every byte
	// arrives, the link is work-conserving (busy from the first start to
	// the last end, when all start at once), and the same mix gives the
	// same timeline every time.
	r := rand.New(rand.NewPCG(12, 0))
	var jobs []job
	var total int
	for i := range 40 {
		size := 1 + r.IntN(3*DefaultSegment)
		jobs = append(jobs, job{name: fmt.Sprint(i), size: size})
		total += size
	}
	n := byteLink(t)
	first := transfers(t, n, jobs...)
	last := slices.MaxFunc(first, func(a, b event) int { return int(a.end - b.end) }).end - 0
	// Each departure may round up by less than a nanosecond.
	if want := time.Duration(total); last < want || last > want+time.Duration(len(jobs)) {
		t.Errorf("%d bytes at 1 B/ns ended at %v, want %v (+ up to %d ns of rounding)", total, last, want, len(jobs))
	}
	if n.BytesSent() != int64(total) || n.PeakStreams() != len(jobs) {
		t.Errorf("BytesSent %d PeakStreams %d, want %d and %d", n.BytesSent(), n.PeakStreams(), total, len(jobs))
	}
	for i := range jobs {
		jobs[i].at = time.Duration(r.IntN(total))
	}
	a := transfers(t, byteLink(t), jobs...)
	b := transfers(t, byteLink(t), jobs...)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("the same mix gave two timelines:\n%v\n%v", a, b)
	}
}

func BenchmarkTransferParallel(b *testing.B) {
	// 64 streams share the link, as 16 chunks' close-group fan-outs would:
	// the scheduler's cost per transfer.
	n := newNetwork(b, DefaultConfig)
	const size = 4 << 20
	sink := func([]byte) error { return nil }
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		simulate(b, n, func(ctx context.Context) error {
			var g simtime.Group
			for range 64 {
				g.Go(ctx, "send", func(ctx context.Context) {
					n.Transfer(ctx, n.ids[1], [][]byte{zeros[:size]}, sink)
				})
			}
			g.Wait()
			return nil
		})
	}
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
