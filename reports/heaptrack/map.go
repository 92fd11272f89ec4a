package heaptrack

import (
	"sort"
	"strings"
)

// Rule maps stacks onto a fanbench buffer site (harness/buffer's names:
// "copy", "encode", …). A stack matches when, for one of Any's entries,
// its frame patterns are found in the stack in order from the inner frame
// outwards; a frame pattern matches a frame whose function contains every
// one of its substrings. Substrings match demangled names and Rust's v0
// mangled ones alike ("11finish_grow" contains "finish_grow").
type Rule struct {
	Site string
	Any  [][][]string
}

// FinishGrow is the frame every Vec growth passes through: Rust's
// alloc::raw_vec::RawVecInner::finish_grow (alloc::raw_vec::finish_grow
// before Rust 1.86).
const FinishGrow = "finish_grow"

// DefaultRules maps the real client's frames and the replay's site
// functions (harness/replay/rust/src/main.rs, SITES) onto fanbench's
// sites. Order matters: the first rule that matches names the site, so
// the transport's inner frames come before the send path that calls them.
// Real frames from shared/reference/uploader.md §6, §8 and saorsa-core's
// transport_handle.rs (compute_signable_bytes, serialize_wire_message,
// create_protocol_message, send_message's data.clone() per channel).
var DefaultRules = []Rule{
	// quinn-proto copies what a stream write admits into the connection's
	// send buffer (saorsa-transport's vendored quinn 0.11: SendStream::write
	// → write_source → Bytes::copy_from_slice), an inner frame of the send
	// path, so before the transport's rules.
	{"quic-send", [][][]string{
		{{"quinn_send_stream_write"}},
		{{"quinn_proto", "SendStream", "write"}},
		{{"quinn_proto", "send", "write_source"}},
	}},
	{"signable", [][][]string{{{"compute_signable_bytes"}}}},
	{"wire", [][][]string{
		{{"create_protocol_message_wire_serialize"}},
		{{"serialize_wire_message"}},
		{{"create_protocol_message"}},
	}},
	{"encode", [][][]string{
		{{"chunk_message_encode"}},
		{{"ChunkMessage", "encode"}},
	}},
	{"channel-clone", [][][]string{
		{{"transport_handle_channel_clone"}},
		{{"TransportHandle", "send_message"}},
	}},
	{"retry-clone", [][][]string{
		{{"send_message_retry_data_clone"}},
		{{"P2PNode", "send_message"}},
	}},
	{"proof-copy", [][][]string{
		{{"payment_proof_clone"}},
		{{"Clone", "clone"}, {"chunk_put_with_proof"}},
	}},
	{"copy", [][][]string{
		{{"to_vec_peer_copy"}},
		{{"to_vec"}, {"chunk_put_with_proof"}},
	}},
	{"proof", [][][]string{{{"payment_proof_serialize"}}}},
	{"chunk", [][][]string{{{"read_wave"}}}},
	{"deferred", [][][]string{{{"self_encryption_deferred_plaintext"}}}},
	{"encrypt", [][][]string{
		{{"self_encryption_encrypt_chunk"}},
		{{"self_encryption", "encrypt_chunk"}},
	}},
}

// match reports whether the stack holds the patterns in order, inner
// frame first.
func match(frames []Frame, patterns [][]string) bool {
	i := 0
	for _, p := range patterns {
		for ; i < len(frames); i++ {
			if containsAll(frames[i].Func, p) {
				break
			}
		}
		if i == len(frames) {
			return false
		}
		i++
	}
	return true
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// Site returns the site rules give the stack, "" when none does.
func Site(frames []Frame, rules []Rule) string {
	for _, r := range rules {
		for _, ps := range r.Any {
			if match(frames, ps) {
				return r.Site
			}
		}
	}
	return ""
}

// Mapping is a capture's peak shared out among fanbench's sites.
type Mapping struct {
	// PeakHeap is the capture's peak heap, bytes.
	PeakHeap int64
	// Sites is each site's bytes at the peak, in descending order.
	Sites []SiteBytes
	// Mapped is the bytes of all sites; Unmapped the consumers no rule
	// maps (elided ones included), largest first; Hidden the part of
	// PeakHeap heaptrack_print listed under no consumer (below its
	// --peak-limit), never negative.
	Mapped   int64
	Unmapped []Consumer
	Hidden   int64
	// FinishGrow is the bytes at the peak of the consumers whose stack
	// passes through RawVecInner::finish_grow.
	FinishGrow int64
}

// SiteBytes is one site's bytes at the peak and the consumers that made
// them.
type SiteBytes struct {
	Site      string
	Bytes     int64
	Consumers int
}

// MappedShare returns Mapped over PeakHeap, 0 for an empty capture.
func (m *Mapping) MappedShare() float64 {
	if m.PeakHeap == 0 {
		return 0
	}
	return float64(m.Mapped) / float64(m.PeakHeap)
}

// Site returns the bytes mapped to site s.
func (m *Mapping) Site(s string) int64 {
	for _, sb := range m.Sites {
		if sb.Site == s {
			return sb.Bytes
		}
	}
	return 0
}

// Map shares c's peak out among the sites rules name. A merged backtrace
// is mapped by its own frames first, then with its group's shared frames.
// An elided group ("and X from N other places") is never mapped: its
// stacks were not shown.
func Map(c *Capture, rules []Rule) *Mapping {
	m := &Mapping{PeakHeap: c.PeakHeap}
	bySite := map[string]*SiteBytes{}
	var shown int64
	for _, k := range c.Consumers {
		shown += k.Peak
		if frameMatch(k.Frames, FinishGrow) {
			m.FinishGrow += k.Peak
		}
		// A merged backtrace's own frames are its own; the group's shared
		// frames are one representative's, so they are only a fallback.
		s := ""
		if !k.Elided {
			if s = Site(k.Frames[k.Shared:], rules); s == "" {
				s = Site(k.Frames, rules)
			}
		}
		if s == "" {
			m.Unmapped = append(m.Unmapped, k)
			continue
		}
		sb := bySite[s]
		if sb == nil {
			sb = &SiteBytes{Site: s}
			bySite[s] = sb
		}
		sb.Bytes += k.Peak
		sb.Consumers++
		m.Mapped += k.Peak
	}
	for _, sb := range bySite {
		m.Sites = append(m.Sites, *sb)
	}
	sort.Slice(m.Sites, func(i, j int) bool {
		if m.Sites[i].Bytes != m.Sites[j].Bytes {
			return m.Sites[i].Bytes > m.Sites[j].Bytes
		}
		return m.Sites[i].Site < m.Sites[j].Site
	})
	sort.SliceStable(m.Unmapped, func(i, j int) bool { return m.Unmapped[i].Peak > m.Unmapped[j].Peak })
	m.Hidden = max(c.PeakHeap-shown, 0)
	return m
}

func frameMatch(frames []Frame, sub string) bool {
	for _, f := range frames {
		if strings.Contains(f.Func, sub) {
			return true
		}
	}
	return false
}

// Where returns a short account of a stack for a listing: up to n of its
// frames, innermost first, after those of the allocator and Rust's
// standard library, joined by " ← ".
func Where(frames []Frame, n int) string {
	var out []string
	for _, f := range frames {
		if len(out) == n {
			break
		}
		if library(f.Func) {
			continue
		}
		out = append(out, f.Func)
	}
	if len(out) == 0 && len(frames) > 0 {
		out = append(out, frames[0].Func)
	}
	return strings.Join(out, " ← ")
}

// library reports whether a frame belongs to the allocator or Rust's
// standard library (demangled, legacy-escaped or v0-mangled).
func library(f string) bool {
	for _, p := range []string{"alloc::", "core::", "std::", "<alloc::", "<core::", "<std::", "_$LT$alloc", "_$LT$core", "_$LT$std",
		"__rust", "malloc", "realloc", "calloc", "operator new", "<unresolved function>"} {
		if strings.HasPrefix(f, p) {
			return true
		}
	}
	if strings.HasPrefix(f, "_R") { // v0: the crate follows "Cs<hash>_"
		for _, c := range []string{"_5alloc", "_4core", "_3std"} {
			if strings.Contains(f, c) {
				return true
			}
		}
	}
	return false
}
