package replay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/fanbench/fanbench/harness/trace"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// replayBin builds the replay once per test binary, or skips the test with
// a line saying rustc is missing.
func replayBin(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() { builtBin, buildErr = Build(context.Background(), "", DefaultCacheDir()) })
	if errors.Is(buildErr, ErrNoRustc) {
		t.Skipf("skipping: rustc is missing (%v)", buildErr)
	}
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

func writeTrace(t *testing.T, name string, write func(f *os.File) error) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := write(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// stats reads a trace with the Go reader.
func stats(t *testing.T, path string) (*trace.Header, trace.Stats) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := trace.NewReader(f, path)
	for r.Scan() {
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	h, _ := r.Header()
	return h, r.Stats()
}

func TestSendsTrace(t *testing.T) {
	cases := []Sends{
		DefaultSends,
		{Chunks: 2, Peers: 3, ChunkSize: 1000, Header: 41, Proof: 100},
		{Chunks: 1, Peers: 1, ChunkSize: 5, Copy: true, Waves: 3},
	}
	for _, s := range cases {
		t.Run(fmt.Sprintf("%+v", s), func(t *testing.T) {
			var b bytes.Buffer
			if err := s.Write(&b); err != nil {
				t.Fatal(err)
			}
			r := trace.NewReader(&b, "sends")
			for r.Scan() {
			}
			if err := r.Err(); err != nil {
				t.Fatal(err)
			}
			if got := r.Stats().PeakLive; got != s.PeakLive() {
				t.Errorf("trace peak %d, Sends.PeakLive %d", got, s.PeakLive())
			}
		})
	}
	if err := (Sends{Chunks: 1}).Write(&bytes.Buffer{}); err == nil {
		t.Error("a chunk size of 0 was accepted")
	}
	if got := DefaultSends.EncodeCap(); got != 8<<20 {
		t.Errorf("default encode capacity %d, want 8 MiB", got)
	}
}

// touchedAtPeak is the bytes of a Sends trace written when its live bytes
// peak: every chunk, every copy and every whole message.
func touchedAtPeak(s Sends) int64 {
	per := s.Header + s.ChunkSize + s.Proof
	if s.Copy {
		per += s.ChunkSize
	}
	return int64(s.Chunks) * (s.ChunkSize + int64(s.Peers)*per)
}

func TestReplaySends(t *testing.T) {
	bin := replayBin(t)
	cases := []struct {
		s       Sends
		threads int
	}{
		{DefaultSends, 0},
		{DefaultSends, 4},
		{Sends{Chunks: 8, Peers: 4, ChunkSize: 4_190_208, Header: 41, Proof: 55_000, Waves: 2}, 0},
		{Sends{Chunks: 3, Peers: 2, ChunkSize: 100_000, Header: 41, Copy: true}, 2},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%dx%d-copy=%v-waves=%d-threads=%d", tc.s.Chunks, tc.s.Peers, tc.s.Copy, tc.s.Waves, tc.threads), func(t *testing.T) {
			path := writeTrace(t, "sends.trace", func(f *os.File) error { return tc.s.Write(f) })
			h, st := stats(t, path)
			rep, err := Run(context.Background(), bin, path, Options{Threads: tc.threads})
			if err != nil {
				t.Fatal(err)
			}
			if rep.PeakLive != st.PeakLive || rep.PeakLive != tc.s.PeakLive() {
				t.Errorf("replay peak live %d, trace %d, Sends %d", rep.PeakLive, st.PeakLive, tc.s.PeakLive())
			}
			if rep.PeakEvent != st.PeakEvent || rep.Events != st.Events || rep.Allocated != st.Allocated || rep.EndLive != st.Live {
				t.Errorf("replay peak event %d events %d allocated %d end %d; trace %d %d %d %d",
					rep.PeakEvent, rep.Events, rep.Allocated, rep.EndLive, st.PeakEvent, st.Events, st.Allocated, st.Live)
			}
			for i, site := range h.Sites {
				if rep.AtPeak[site] != st.AtPeak[i] {
					t.Errorf("site %s at the peak: replay %d, trace %d", site, rep.AtPeak[site], st.AtPeak[i])
				}
			}
			if rep.Threads != tc.threads || rep.Scenario != h.Scenario || rep.Strategy != h.Strategy {
				t.Errorf("report says threads %d %s/%s", rep.Threads, rep.Scenario, rep.Strategy)
			}
			// Every byte the trace touched is resident at the peak (the
			// machine has no swap to lose it to), and nothing beyond what
			// the buffers hold, plus 2 % and 1 MiB for the allocator's own
			// pages (a worker's first malloc sets up its arena, a few
			// pages that vary with the threads' timing).
			touched := touchedAtPeak(tc.s)
			if !rep.HWMReset {
				t.Logf("VmHWM could not be reset; the baseline is the whole life's")
			}
			if net := rep.NetVmHWM(); net < touched || float64(net) > 1.02*float64(rep.PeakLive)+1<<20 {
				t.Errorf("VmHWM less baseline %d, want between the %d bytes touched and the %d live (+2%% +1 MiB)", net, touched, rep.PeakLive)
			}
			if rep.MaxVmHWM < rep.End.VmHWM || rep.MaxRssAnon < rep.Peak.RssAnon {
				t.Errorf("maxima below readings: %+v", rep)
			}
		})
	}
}

// genTrace writes a seeded random trace with every event kind, empty Vecs,
// reused ids and many tasks.
func genTrace(w *os.File, seed uint64, n int) error {
	rng := rand.New(rand.NewPCG(seed, 2))
	tw := trace.NewWriter(w, trace.Header{Scenario: "random", Strategy: "mixed", Seed: seed, Sites: []string{"chunk", "copy", "encode", "wire", "no-such-site"}})
	type buf struct{ cap, touched int64 }
	live := map[uint64]*buf{}
	var ids []uint64
	var t int64
	for range n {
		t += rng.Int64N(5)
		switch op := rng.IntN(5); {
		case op <= 1 || len(ids) == 0:
			id := uint64(rng.IntN(64))
			if live[id] != nil {
				continue
			}
			c := []int64{0, 1, 8, 4096, 200_000}[rng.IntN(5)]
			b := &buf{cap: c, touched: rng.Int64N(c + 1)}
			live[id] = b
			ids = append(ids, id)
			tw.Write(trace.Event{Kind: trace.Alloc, T: t, ID: id, Task: rng.Uint64N(9), Site: rng.IntN(5), Cap: b.cap, Touched: b.touched})
		case op == 2:
			id := ids[rng.IntN(len(ids))]
			b := live[id]
			b.touched += rng.Int64N(b.cap - b.touched + 1)
			tw.Write(trace.Event{Kind: trace.Touch, T: t, ID: id, Touched: b.touched})
		case op == 3:
			id := ids[rng.IntN(len(ids))]
			b := live[id]
			b.cap = max(2*b.cap, 8)
			b.touched += rng.Int64N(b.cap - b.touched + 1)
			tw.Write(trace.Event{Kind: trace.Grow, T: t, ID: id, Cap: b.cap, Touched: b.touched})
		default:
			i := rng.IntN(len(ids))
			tw.Write(trace.Event{Kind: trace.Free, T: t, ID: ids[i]})
			delete(live, ids[i])
			ids = append(ids[:i], ids[i+1:]...)
		}
	}
	return tw.Close()
}

func TestReplayRandom(t *testing.T) {
	bin := replayBin(t)
	for _, threads := range []int{0, 3} {
		for seed := range uint64(3) {
			t.Run(fmt.Sprintf("seed=%d/threads=%d", seed, threads), func(t *testing.T) {
				path := writeTrace(t, "random.trace", func(f *os.File) error { return genTrace(f, seed, 3000) })
				h, st := stats(t, path)
				rep, err := Run(context.Background(), bin, path, Options{Threads: threads})
				if err != nil {
					t.Fatal(err)
				}
				if rep.PeakLive != st.PeakLive || rep.PeakEvent != st.PeakEvent || rep.EndLive != st.Live || rep.Allocated != st.Allocated {
					t.Errorf("replay peak %d@%d end %d alloc %d; trace %d@%d end %d alloc %d",
						rep.PeakLive, rep.PeakEvent, rep.EndLive, rep.Allocated, st.PeakLive, st.PeakEvent, st.Live, st.Allocated)
				}
				for i, site := range h.Sites {
					if rep.AtPeak[site] != st.AtPeak[i] {
						t.Errorf("site %s at the peak: replay %d, trace %d", site, rep.AtPeak[site], st.AtPeak[i])
					}
				}
			})
		}
	}
}

// The replay rejects every broken trace with the Go reader's message, word
// for word: the same format, checked by two parsers.
func TestReplayRejectsAsTheReaderDoes(t *testing.T) {
	bin := replayBin(t)
	var good bytes.Buffer
	s := Sends{Chunks: 2, Peers: 2, ChunkSize: 300, Header: 41, Copy: true}
	if err := s.Write(&good); err != nil {
		t.Fatal(err)
	}
	data := good.Bytes()
	dir := t.TempDir()
	type bad struct {
		name string
		data []byte
	}
	var cases []bad
	for _, n := range []int{0, 3, 8, 9, 12, 30, 45, 46, 60, 100, len(data) - 2, len(data) - 1} {
		cases = append(cases, bad{fmt.Sprintf("cut-%d", n), data[:n]})
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range 40 {
		d := bytes.Clone(data)
		d[9+rng.IntN(len(d)-9)] ^= byte(1 + rng.IntN(255))
		cases = append(cases, bad{fmt.Sprintf("flip-%d", i), d})
	}
	cases = append(cases,
		bad{"foreign", []byte("goos: linux\nBenchmarkX 1 2 ns/op\n")},
		bad{"version", append([]byte(trace.Magic), 2)},
		bad{"trailing", append(bytes.Clone(data), 0)},
	)
	rejected := 0
	for _, c := range cases {
		p := filepath.Join(dir, c.name+".trace")
		if err := os.WriteFile(p, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		r := trace.NewReader(bytes.NewReader(c.data), p)
		for r.Scan() {
		}
		goErr := r.Err()
		_, err := Run(context.Background(), bin, p, DefaultOptions)
		switch {
		case goErr == nil && err == nil:
			continue // a flip the format cannot see (a touched count, say)
		case goErr == nil || err == nil:
			t.Errorf("%s: Go reader says %v, replay says %v", c.name, goErr, err)
		case goErr.Error() != err.Error():
			t.Errorf("%s: messages differ:\n\tGo:   %v\n\tRust: %v", c.name, goErr, err)
		}
		rejected++
	}
	if rejected < len(cases)/2 {
		t.Errorf("only %d of %d broken traces rejected", rejected, len(cases))
	}
}

func TestBuildWithoutRustc(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	_, err := Build(context.Background(), "", t.TempDir())
	if !errors.Is(err, ErrNoRustc) {
		t.Fatalf("error %v, want ErrNoRustc", err)
	}
	if !strings.Contains(err.Error(), "rustc not found") {
		t.Errorf("error %q does not say rustc is missing", err)
	}
}

func TestBuildReuses(t *testing.T) {
	bin := replayBin(t)
	before, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Build(context.Background(), "", filepath.Dir(bin))
	if err != nil || again != bin {
		t.Fatalf("second Build: %q, %v; want %q", again, err, bin)
	}
	after, _ := os.Stat(bin)
	if !after.ModTime().Equal(before.ModTime()) {
		t.Error("the cached binary was rebuilt")
	}
}

func TestRunErrors(t *testing.T) {
	bin := replayBin(t)
	if _, err := Run(context.Background(), bin, filepath.Join(t.TempDir(), "missing.trace"), DefaultOptions); err == nil || !strings.Contains(err.Error(), "missing.trace") {
		t.Errorf("missing trace: %v", err)
	}
	if _, err := Run(context.Background(), bin, "x", Options{Threads: -1}); err == nil {
		t.Error("-1 threads accepted")
	}
}
