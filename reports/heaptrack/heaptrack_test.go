package heaptrack

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func open(t *testing.T, name string) *Capture {
	t.Helper()
	c, _, err := Open(context.Background(), filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func checkReport(t *testing.T, name string, r *Report) {
	t.Helper()
	b, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", name), b, *update)
}

// replay-copy-per-peer.txt is heaptrack_print's text (Print's flags with
// --peak-limit=5, to keep it small) of a capture of fanbench-replay on
// harness/replay's DefaultSends trace: 5 chunks of 4,190,208 bytes, 20
// sends, each a to_vec copy and an encode Vec grown by pushes to 8 MiB.
// The trace's live bytes peak at 272,527,360: chunks 20,951,040, copies
// 83,804,160, encode 167,772,160.
func TestReplayCapture(t *testing.T) {
	c := open(t, "replay-copy-per-peer.txt")
	if c.Merged || !c.PeakFromSummary || c.PeakHeap != 272_740_000 || len(c.Consumers) != 5 {
		t.Fatalf("merged %v, peak %d (from summary %v), %d consumers", c.Merged, c.PeakHeap, c.PeakFromSummary, len(c.Consumers))
	}
	m := Map(c, DefaultRules)
	// heaptrack_print rounds to 10 kB at this scale: each site is the
	// trace's figure to within 5 kB.
	for site, want := range map[string]int64{"encode": 167_772_160, "copy": 83_804_160, "chunk": 20_951_040} {
		if got := m.Site(site); got < want-5000 || got > want+5000 {
			t.Errorf("%s: %d, want %d ± 5000", site, got, want)
		}
	}
	if m.MappedShare() < 0.999 {
		t.Errorf("mapped %.4f of the peak, want ≥ 0.999", m.MappedShare())
	}
	if m.FinishGrow != m.Site("encode") {
		t.Errorf("finish_grow %d, want the encode site's %d: only encode grows", m.FinishGrow, m.Site("encode"))
	}
	if len(m.Unmapped) != 2 || !strings.Contains(m.Unmapped[0].Frames[len(m.Unmapped[0].Frames)-1].Func, "main") {
		t.Errorf("unmapped %+v", m.Unmapped)
	}
	r := NewReport(c, m)
	r.Beside("seed-20mb/copy-per-peer", map[string]int64{"encode": 167_772_160, "copy": 83_804_160, "chunk": 20_951_040, "wire": 5, "proof": 0})
	checkReport(t, "replay-copy-per-peer.json", r)
}

// seed-excerpt.txt is hand-written in heaptrack_print's merged layout
// (its default, as the PR #82 author would have run it) around the three
// figures the seed quotes: peak heap 570.98 MB, 285 MB pinned to
// RawVecInner::finish_grow, 168 MB of it via ChunkMessage::encode →
// chunk_put_to_close_group. The frames' paths and the call counts are
// illustrations, not the capture's.
func TestSeedExcerpt(t *testing.T) {
	c := open(t, "seed-excerpt.txt")
	if !c.Merged || c.PeakHeap != 570_980_000 || c.Leaked != 22_000_000 || len(c.Consumers) != 2 {
		t.Fatalf("merged %v, peak %d, leaked %d, %d consumers", c.Merged, c.PeakHeap, c.Leaked, len(c.Consumers))
	}
	m := Map(c, DefaultRules)
	if m.Site("encode") != 168_000_000 || m.FinishGrow != 285_000_000 || m.Hidden != 285_980_000 {
		t.Errorf("encode %d, finish_grow %d, hidden %d", m.Site("encode"), m.FinishGrow, m.Hidden)
	}
	if len(m.Unmapped) != 1 || !m.Unmapped[0].Elided || m.Unmapped[0].Places != 12 || m.Unmapped[0].Peak != 117_000_000 {
		t.Errorf("unmapped %+v, want the 117 MB from 12 other places", m.Unmapped)
	}
	checkReport(t, "seed-excerpt.json", NewReport(c, m))
}

func TestParseSize(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		err  bool
	}{
		{"773B", 773, false},
		{"0B", 0, false},
		{"272.74M", 272_740_000, false},
		{"83.98K", 83_980, false},
		{"570.98 MB", 570_980_000, false},
		{"1.50G", 1_500_000_000, false},
		{"4.00GiB", 4 << 30, false},
		{"2KiB", 2048, false},
		{"12", 12, false},
		{"-3M", 0, true},
		{"M", 0, true},
		{"1.2.3M", 0, true},
		{"5PB", 0, true},
		{"99999999999T", 0, true},
	}
	for _, tc := range cases {
		got, err := ParseSize(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	const head = "PEAK MEMORY CONSUMERS\n"
	cases := []struct {
		name, text, want string
	}{
		{"empty", "", "x.txt:1: empty, not heaptrack_print's text"},
		{"benchfmt", "goos: linux\nBenchmarkUpload 1 2 ns/op\n", `x.txt:1: not heaptrack_print's text: no "PEAK MEMORY CONSUMERS" section and no "peak heap memory consumption:" line (it starts "goos: linux")`},
		{"binary", "\x28\xb5\x2f\xfd\x00\x01", "x.txt:1: binary data, not heaptrack_print's text"},
		{"no peaks", "MOST CALLS TO ALLOCATION FUNCTIONS\n1 calls to allocation functions with 1B peak consumption from\nmain\n\npeak heap memory consumption: 1.00M\n", `x.txt:5: no "PEAK MEMORY CONSUMERS" section`},
		{"no consumer", head + "\npeak heap memory consumption: 1.00M\n", `x.txt:1: the "PEAK MEMORY CONSUMERS" section lists no consumer`},
		{"bad size", head + "12.0X peak memory consumed over 3 calls from\n", "x.txt:2: consumer: \"12.0X\" is not a size"},
		{"bad sub size", head + "1M peak memory consumed over 3 calls from\nmalloc\nlots consumed over 3 calls from:\n", "x.txt:4: backtrace: \"lots\" is not a size"},
		{"location first", head + "1M peak memory consumed over 3 calls from\n  at x.rs:3\n", `x.txt:3: location "at x.rs:3" before any frame`},
		{"frame after other", head + "1M peak memory consumed over 3 calls from\nmalloc\n  and 1M from 2 other places\nmain\n", `x.txt:5: frame "main" after the group's "other places" line`},
		{"bad summary", head + "1M peak memory consumed over 3 calls from\nmalloc\npeak heap memory consumption: many\n", `x.txt:4: peak heap memory consumption: "many" is not a size`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.text), "x.txt")
			var se *SyntaxError
			if err == nil || !errors.As(err, &se) || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error\n\t%v\nwant it to start\n\t%s", err, tc.want)
			}
		})
	}
}

// Every site function of the replay maps to its own site, its allocation
// and its growth alike, and every rule names a fanbench site.
func TestRulesKnowTheReplay(t *testing.T) {
	src, err := os.ReadFile("../../harness/replay/rust/src/main.rs")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^\s*0x[0-9a-f]{2} "([a-z-]+)" (\w+) (\w+);`)
	rows := re.FindAllStringSubmatch(string(src), -1)
	have := map[string]bool{}
	for _, row := range rows {
		have[row[1]] = true
	}
	for s := range buffer.NumSites {
		if name := s.String(); !have[name] && name != "peer-store" {
			t.Errorf("fanbench's site %q has no row in the replay's SITES table", name)
		}
	}
	for _, row := range rows {
		site, alloc, grow := row[1], row[2], row[3]
		if _, err := buffer.ParseSite(site); err != nil {
			t.Errorf("the replay's site %q: %v", site, err)
		}
		if site == "peer-store" {
			continue // never the client's, never traced
		}
		for _, fn := range []string{alloc, grow} {
			stack := []Frame{{Func: "alloc::raw_vec::RawVecInner<A>::finish_grow"}, {Func: "fanbench_replay::" + fn + "::h0123456789abcdef"}, {Func: "fanbench_replay::run"}}
			if got := Site(stack, DefaultRules); got != site {
				t.Errorf("%s maps to %q, want %q", fn, got, site)
			}
		}
	}
	for _, r := range DefaultRules {
		if _, err := buffer.ParseSite(r.Site); err != nil {
			t.Errorf("rule: %v", err)
		}
	}
}

// The real client's frames, as the transport nests them, map to the
// sites of uploader.md §8's table.
func TestRulesKnowTheClient(t *testing.T) {
	const (
		put   = "ant_core::data::client::chunk::<impl ant_core::data::client::Client>::chunk_put_with_proof::{{closure}}"
		p2p   = "saorsa_core::network::P2PNode::send_message::{{closure}}"
		th    = "saorsa_core::transport_handle::TransportHandle::send_message::{{closure}}"
		vcl   = "<alloc::vec::Vec<T,A> as core::clone::Clone>::clone"
		tovec = "alloc::slice::<impl [T]>::to_vec"
		grow  = "alloc::raw_vec::RawVecInner<A>::finish_grow"
	)
	cases := []struct {
		site   string
		frames []string
	}{
		{"copy", []string{tovec, put}},
		{"proof-copy", []string{tovec, vcl, put}},
		{"encode", []string{grow, "postcard::ser::to_stdvec", "ant_protocol::chunk::ChunkMessage::encode", put}},
		{"retry-clone", []string{tovec, vcl, p2p, put}},
		{"channel-clone", []string{tovec, vcl, th, p2p, put}},
		{"signable", []string{grow, "postcard::ser::to_stdvec", "saorsa_core::transport_handle::TransportHandle::compute_signable_bytes",
			"saorsa_core::transport_handle::TransportHandle::sign_wire_message", "saorsa_core::transport_handle::TransportHandle::create_protocol_message", th, p2p, put}},
		{"wire", []string{grow, "postcard::ser::to_stdvec", "saorsa_core::transport_handle::TransportHandle::serialize_wire_message",
			"saorsa_core::transport_handle::TransportHandle::create_protocol_message", th, p2p, put}},
		{"encode", []string{"_RNvMs4_NtCslNYArtu3iFV_5alloc7raw_vecNtB5_11RawVecInner11finish_grow", "_RNvMNtCs1_12ant_protocol5chunkNtB2_12ChunkMessage6encode"}},
		{"quic-send", []string{"bytes::bytes::Bytes::copy_from_slice", "quinn_proto::connection::streams::send::SendStream::write", "quinn::send_stream::SendStream::write_all", p2p, put}},
		{"quic-send", []string{"fanbench_replay::quinn_send_stream_write", "fanbench_replay::main"}},
		{"", []string{grow, "tokio::runtime::task::harness::Harness::poll"}},
	}
	for _, tc := range cases {
		var fr []Frame
		for _, f := range tc.frames {
			fr = append(fr, Frame{Func: f})
		}
		if got := Site(fr, DefaultRules); got != tc.site {
			t.Errorf("%s: mapped to %q, want %q", strings.Join(tc.frames, " ← "), got, tc.site)
		}
	}
}

func TestIsCapture(t *testing.T) {
	for _, tc := range []struct {
		data string
		want bool
	}{{"\x28\xb5\x2f\xfd rest", true}, {"\x1f\x8b\x08", true}, {"PEAK MEMORY CONSUMERS\n", false}, {"", false}} {
		if got := IsCapture([]byte(tc.data)); got != tc.want {
			t.Errorf("IsCapture(%q) = %v", tc.data, got)
		}
	}
}

func TestWhere(t *testing.T) {
	fr := []Frame{{Func: "malloc"}, {Func: "alloc::alloc::alloc"}, {Func: "_RNvXs_NtCslNYArtu3iFV_5alloc5allocNtB4_6Global8allocate"},
		{Func: "hashbrown::raw::RawTable::reserve"}, {Func: "fanbench_replay::main"}, {Func: "main"}, {Func: "__libc_start_main"}}
	if got, want := Where(fr, 3), "hashbrown::raw::RawTable::reserve ← fanbench_replay::main ← main"; got != want {
		t.Errorf("Where = %q, want %q", got, want)
	}
}

// A compressed file that is not a heaptrack capture: heaptrack_print
// exits 0 on it with an empty report, so Open says what it is, positioned
// where that can be told.
func TestOpenNotACapture(t *testing.T) {
	if _, err := exec.LookPath("heaptrack_print"); err != nil {
		t.Skip("skipping: heaptrack_print is missing (Debian's heaptrack package)")
	}
	dir := t.TempDir()
	gz := func(name, content string) string {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(content))
		w.Close()
		p := filepath.Join(dir, name)
		os.WriteFile(p, b.Bytes(), 0o644)
		return p
	}
	raw := func(name, content string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o644)
		return p
	}
	cases := []struct {
		path, want string
		zstd       bool
	}{
		{gz("json.gz", "[\n  {\"version\": 1}\n]\n"), `json.gz: decompressed line 1: not a heaptrack capture: it starts "[", where a capture starts with heaptrack's version line "v …"`, false},
		{gz("nothing.gz", "v 10400 3\n"), "nothing.gz: not a heaptrack capture, or one of a process that allocated nothing: heaptrack_print read no allocation from it", false},
		{gz("empty.gz", ""), "empty.gz: not a heaptrack capture: it decompresses to nothing", false},
		{raw("header.gz", "\x1f\x8bxxxxxxxx"), "header.gz: not a heaptrack capture: byte 0: not a gzip stream: gzip: invalid header", false},
		{raw("garbage.zst", "\x28\xb5\x2f\xfdgarbage"), "garbage.zst: not a heaptrack capture: zstd cannot decompress it: ", true},
	}
	for _, tc := range cases {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			if _, err := exec.LookPath("zstd"); tc.zstd && err != nil {
				t.Skip("skipping: zstd is missing (Debian's zstd package)")
			}
			_, _, err := Open(context.Background(), tc.path)
			if err == nil || !strings.HasPrefix(err.Error(), filepath.Join(dir, tc.want)) {
				t.Errorf("error\n\t%v\nwant it to start\n\t%s", err, filepath.Join(dir, tc.want))
			}
		})
	}
}
