package trace

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

var testHeader = Header{
	Scenario: "seed-20mb",
	Strategy: "copy-per-peer",
	Limiter:  "aimd",
	Seed:     1,
	Rep:      2,
	Labels:   map[string]string{"payment": "single", "transport": "true"},
	Sites:    []string{"chunk", "copy", "encode"},
}

// gen returns n events of a seeded random run over nsites sites: buffers
// allocated, touched, grown and freed in time order, every one valid. It
// also returns the peak of live bytes, counted here independently of the
// Reader.
func gen(seed uint64, n, nsites int) (events []Event, peak int64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	type buf struct{ cap, touched int64 }
	liveBufs := map[uint64]*buf{}
	var ids []uint64
	var t, live int64
	next := uint64(1)
	for len(events) < n {
		t += rng.Int64N(3) * 1000
		op := rng.IntN(4)
		if len(ids) == 0 {
			op = 0
		}
		switch op {
		case 0:
			c := rng.Int64N(1 << 20)
			id := next
			next++
			if rng.IntN(4) == 0 && len(ids) == 0 {
				c = 0 // an empty Vec
			}
			b := &buf{cap: c, touched: rng.Int64N(c + 1)}
			liveBufs[id] = b
			ids = append(ids, id)
			events = append(events, Event{Kind: Alloc, T: t, ID: id, Task: rng.Uint64N(64), Site: rng.IntN(nsites), Cap: b.cap, Touched: b.touched})
			live += c
		case 1:
			id := ids[rng.IntN(len(ids))]
			b := liveBufs[id]
			b.touched += rng.Int64N(b.cap - b.touched + 1)
			events = append(events, Event{Kind: Touch, T: t, ID: id, Touched: b.touched})
		case 2:
			id := ids[rng.IntN(len(ids))]
			b := liveBufs[id]
			c := max(2*b.cap, 8)
			live += c - b.cap
			b.cap = c
			b.touched += rng.Int64N(b.cap - b.touched + 1)
			events = append(events, Event{Kind: Grow, T: t, ID: id, Cap: b.cap, Touched: b.touched})
		case 3:
			i := rng.IntN(len(ids))
			id := ids[i]
			live -= liveBufs[id].cap
			delete(liveBufs, id)
			ids = append(ids[:i], ids[i+1:]...)
			events = append(events, Event{Kind: Free, T: t, ID: id})
		}
		peak = max(peak, live)
	}
	return events, peak
}

func encode(t testing.TB, h Header, events []Event) []byte {
	t.Helper()
	var b bytes.Buffer
	w := NewWriter(&b, h)
	for _, e := range events {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// readAll reads a whole trace; the events it returns have the fields a
// Reader fills in (Site on every event, Task only on Alloc).
func readAll(data []byte, name string) (*Header, []Event, Stats, error) {
	r := NewReader(bytes.NewReader(data), name)
	var events []Event
	for r.Scan() {
		events = append(events, r.Event())
	}
	h, _ := r.Header()
	return h, events, r.Stats(), r.Err()
}

func TestRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 10, 5000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			events, peak := gen(uint64(n), n, len(testHeader.Sites))
			data := encode(t, testHeader, events)
			h, got, st, err := readAll(data, "rt.trace")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*h, testHeader) {
				t.Errorf("header %+v, want %+v", *h, testHeader)
			}
			// The Reader fills in each event's site from its buffer.
			sites := map[uint64]int{}
			for i := range events {
				e := &events[i]
				if e.Kind == Alloc {
					sites[e.ID] = e.Site
				} else {
					e.Site = sites[e.ID]
				}
			}
			if len(got) != len(events) {
				t.Fatalf("read %d events, wrote %d", len(got), len(events))
			}
			for i := range events {
				if got[i] != events[i] {
					t.Fatalf("event %d: read %v, wrote %v", i+1, got[i], events[i])
				}
			}
			if st.PeakLive != peak || st.Events != n {
				t.Errorf("stats peak %d events %d, want %d and %d", st.PeakLive, st.Events, peak, n)
			}
		})
	}
}

func TestStats(t *testing.T) {
	h := Header{Sites: []string{"chunk", "encode"}}
	events := []Event{
		{Kind: Alloc, T: 0, ID: 1, Site: 0, Cap: 100, Touched: 100},
		{Kind: Alloc, T: 5, ID: 2, Site: 1, Cap: 0},
		{Kind: Grow, T: 5, ID: 2, Cap: 8, Touched: 8},
		{Kind: Grow, T: 6, ID: 2, Cap: 16, Touched: 9},
		{Kind: Touch, T: 7, ID: 2, Touched: 16},
		{Kind: Free, T: 9, ID: 1},
		{Kind: Alloc, T: 9, ID: 1, Site: 0, Cap: 50, Touched: 0}, // id reused
		{Kind: Free, T: 10, ID: 2},
	}
	_, _, st, err := readAll(encode(t, h, events), "s.trace")
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{Events: 8, PeakLive: 116, PeakT: 6, PeakEvent: 4, AtPeak: []int64{100, 16},
		Live: 50, LiveBuffers: 1, Allocated: 100 + 0 + 8 + 16 + 50, End: 10}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("stats %+v, want %+v", st, want)
	}
}

func TestWriterAllocatesNothing(t *testing.T) {
	w := NewWriter(io.Discard, testHeader)
	var id uint64
	allocs := testing.AllocsPerRun(1000, func() {
		id++
		w.Write(Event{Kind: Alloc, T: int64(id), ID: id, Task: 3, Site: 1, Cap: 4190208, Touched: 4190208})
		w.Write(Event{Kind: Grow, T: int64(id), ID: id, Cap: 8 << 20, Touched: 4190300})
		w.Write(Event{Kind: Free, T: int64(id), ID: id})
	})
	if allocs != 0 {
		t.Errorf("%v allocations per three events, want 0", allocs)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// failWriter fails every write after the first n bytes.
type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		return 0, errors.New("disk full")
	}
	f.n -= len(p)
	return len(p), nil
}

func TestWriterStickyError(t *testing.T) {
	t.Run("io", func(t *testing.T) {
		w := NewWriter(&failWriter{n: 10}, testHeader)
		var first error
		for i := range 10000 { // more than the 64 KiB buffer holds
			if err := w.Write(Event{Kind: Alloc, T: 1, ID: uint64(i), Cap: 1 << 30}); err != nil {
				first = err
				break
			}
		}
		if first == nil || !strings.Contains(first.Error(), "disk full") {
			t.Fatalf("first error %v, want disk full", first)
		}
		if err := w.Write(Event{Kind: Free, T: 2, ID: 1}); err != first {
			t.Errorf("Write after the error: %v, want the first error", err)
		}
		if err := w.Close(); err != first {
			t.Errorf("Close: %v, want the first error", err)
		}
	})
	cases := []struct {
		e    Event
		want string
	}{
		{Event{Kind: Alloc, T: 4, ID: 1, Site: 3}, "event 2 (alloc t=4 id=1 task=0 site=3 cap=0 touched=0): site 3 outside the table of 3"},
		{Event{Kind: Free, T: 1, ID: 1}, "event 2 (free t=1 id=1): time 1 ns before the previous event's 3 ns"},
		{Event{Kind: Grow, T: 3, ID: 1, Cap: 5, Touched: 6}, "touched 6 above capacity 5"},
		{Event{Kind: Alloc, T: 3, ID: 1, Cap: -1}, "capacity outside [0, 1099511627776]"},
		{Event{Kind: End, T: 3}, "not an event kind"},
		{Event{Kind: Touch, T: 3, ID: 1, Touched: -2}, "negative touched bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			var b bytes.Buffer
			w := NewWriter(&b, testHeader)
			if err := w.Write(Event{Kind: Alloc, T: 3, ID: 9, Cap: 1}); err != nil {
				t.Fatal(err)
			}
			err := w.Write(tc.e)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if err2 := w.Write(Event{Kind: Free, T: 9, ID: 9}); err2 != err {
				t.Errorf("later Write: %v, want the first error", err2)
			}
			if w.Close() != err {
				t.Error("Close does not return the first error")
			}
		})
	}
	t.Run("header", func(t *testing.T) {
		w := NewWriter(io.Discard, Header{Sites: make([]string, MaxSites+1)})
		if err := w.Write(Event{Kind: Free}); err == nil || !strings.Contains(err.Error(), "257 sites") {
			t.Errorf("error %v, want too many sites", err)
		}
	})
}

// file builds a trace byte by byte for the reader's error cases.
type file []byte

func (f file) u(vs ...uint64) file {
	for _, v := range vs {
		for v >= 0x80 {
			f = append(f, byte(v)|0x80)
			v >>= 7
		}
		f = append(f, byte(v))
	}
	return f
}

func (f file) s(ss ...string) file {
	for _, s := range ss {
		f = append(f.u(uint64(len(s))), s...)
	}
	return f
}

func (f file) b(bs ...byte) file { return append(f, bs...) }

// head is a valid header with two sites; its length is 8+1+4*2+1+1+1+1+2*6.
func head() file {
	f := file(Magic).u(Version).s("sc", "st", "li").u(7, 1, 0, 2).s("chunk", "encode")
	return slices.Clip(f) // each case appends to its own copy
}

func TestReaderErrors(t *testing.T) {
	h := head()
	hl := len(h)
	alloc := func(f file, id, site, c, touched uint64) file { return f.b(1).u(0, id, 0, site, c, touched) }
	cases := []struct {
		name string
		data file
		want string
	}{
		{"empty", nil, "trace x.trace: header at byte 0: empty file, not a fanbench trace"},
		{"foreign", file("BenchmarkX 1 2 ns/op\n"), `trace x.trace: header at byte 0: not a fanbench trace (starts with "Benchmar", want "FBTRACE\n")`},
		{"short magic", file("FBT"), `header at byte 0: not a fanbench trace (starts with "FBT"`},
		{"version", file(Magic).u(2), "trace x.trace: header at byte 8: format version 2; this reader knows version 1"},
		{"no version", file(Magic), "header at byte 8: truncated before version"},
		{"header cut", h[:hl-3], "header at byte " + fmt.Sprint(hl-3) + ": truncated in site 1 name"},
		{"huge string", file(Magic).u(Version).u(1 << 40), "scenario is 1099511627776 bytes, more than the format's 4096"},
		{"bad utf8", file(Magic).u(Version).s("\xff"), "scenario is not UTF-8"},
		{"too many sites", file(Magic).u(Version).s("", "", "").u(0, 0, 0, 300), "300 sites, more than the format's 256"},
		{"no end", alloc(h, 1, 0, 10, 10), fmt.Sprintf("trace x.trace: event 2 at byte %d: truncated: the file ends after 1 events without its end record", hl+7)},
		{"cut in event", alloc(h, 1, 0, 10, 10)[:hl+5], fmt.Sprintf("event 1 at byte %d: truncated before alloc cap", hl)},
		{"cut in varint", alloc(h, 1, 0, 1000, 10)[:hl+6], fmt.Sprintf("event 1 at byte %d: truncated in alloc cap", hl)},
		{"unknown kind", h.b(9), fmt.Sprintf("event 1 at byte %d: unknown event kind 0x09", hl)},
		{"long varint", h.b(1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), "alloc dt: varint longer than 10 bytes"},
		{"varint overflow", h.b(1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), "alloc dt: varint overflows 64 bits"},
		{"dt out of range", h.b(4).u(1<<63, 1), "free dt 9223372036854775808 out of range"},
		{"time overflow", h.b(1).u(1<<62, 1, 0, 0, 0, 0).b(4).u(1<<62, 1), fmt.Sprintf("event 2 at byte %d: time passes 2^63-1 ns", hl+15)},
		{"double alloc", alloc(alloc(h, 5, 0, 1, 0), 5, 0, 1, 0), "event 2 at byte " + fmt.Sprint(hl+7) + ": alloc of buffer 5, which is live"},
		{"site", alloc(h, 1, 2, 1, 0), "alloc: site 2 outside the table of 2"},
		{"touched above cap", alloc(h, 1, 0, 4, 5), "alloc: touched 5 above capacity 4"},
		{"cap limit", alloc(h, 1, 0, 1<<41, 0), "alloc: capacity 2199023255552 above the format's limit 1099511627776"},
		{"free not live", h.b(4).u(0, 3), "event 1 at byte " + fmt.Sprint(hl) + ": free of buffer 3, which is not live"},
		{"touch not live", h.b(2).u(0, 3, 0), "touch of buffer 3, which is not live"},
		{"grow not live", h.b(3).u(0, 3, 8, 0), "grow of buffer 3, which is not live"},
		{"touch back", alloc(h, 1, 0, 10, 5).b(2).u(0, 1, 4), "event 2 at byte " + fmt.Sprint(hl+7) + ": touch: touched 4 below the 5 already touched"},
		{"touch past cap", alloc(h, 1, 0, 10, 5).b(2).u(0, 1, 11), "touch: touched 11 above buffer 1's capacity 10"},
		{"grow shrinks", alloc(h, 1, 0, 10, 5).b(3).u(0, 1, 10, 5), "grow: capacity 10 not above buffer 1's 10"},
		{"grow touched back", alloc(h, 1, 0, 10, 5).b(3).u(0, 1, 20, 4), "grow: touched 4 below the 5 already touched"},
		{"grow touched past cap", alloc(h, 1, 0, 10, 5).b(3).u(0, 1, 20, 21), "grow: touched 21 above capacity 20"},
		{"end count", alloc(h, 1, 0, 1, 1).b(0).u(2), fmt.Sprintf("trace x.trace: end record at byte %d: says 2 events, the file has 1", hl+7)},
		{"end cut", h.b(0), fmt.Sprintf("end record at byte %d: truncated before end count", hl)},
		{"after end", h.b(0).u(0).b(1), fmt.Sprintf("end record at byte %d: data after the end record, at byte %d", hl, hl+2)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := readAll(tc.data, "x.trace")
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Errorf("error %T is not a *SyntaxError", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error\n\t%v\nwant it to contain\n\t%s", err, tc.want)
			}
		})
	}
}

// Every cut of a valid trace short of its whole length is an error that
// names the file; no cut panics or reads as a whole trace.
func TestReaderTruncatedEverywhere(t *testing.T) {
	events, _ := gen(3, 200, 3)
	data := encode(t, testHeader, events)
	for n := range len(data) {
		_, _, _, err := readAll(data[:n], "cut.trace")
		if err == nil || !strings.HasPrefix(err.Error(), "trace cut.trace: ") {
			t.Fatalf("cut at %d of %d: error %v", n, len(data), err)
		}
	}
	if _, _, _, err := readAll(data, "cut.trace"); err != nil {
		t.Fatal(err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("device gone") }

func TestReaderIOError(t *testing.T) {
	_, _, _, err := readAll(nil, "x")
	r := NewReader(io.MultiReader(bytes.NewReader(head()), errReader{}), "io.trace")
	if r.Scan() {
		t.Fatal("Scan succeeded")
	}
	err = r.Err()
	var se *SyntaxError
	if err == nil || errors.As(err, &se) || err.Error() != "trace io.trace: device gone" {
		t.Errorf("error %v (%T), want the I/O error named", err, err)
	}
}

func TestPaths(t *testing.T) {
	rec := "runs/seed-20mb/copy-per-peer-aimd-1.json"
	tr := PathFor(rec)
	if tr != "traces/seed-20mb/copy-per-peer-aimd-1.trace" {
		t.Errorf("PathFor(%q) = %q", rec, tr)
	}
	if back := RecordFor(tr); back != rec {
		t.Errorf("RecordFor(%q) = %q, want %q", tr, back, rec)
	}
	if got := PathFor("elsewhere/x.json"); got != "traces/x.trace" {
		t.Errorf("PathFor outside runs/ = %q", got)
	}
}
