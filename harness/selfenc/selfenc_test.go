package selfenc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/source"
	"github.com/fanbench/fanbench/harness/xorname"
)

// store is a fake network: it keeps every emitted chunk and the order of
// emission, and checks that each address is the hash of its content.
type store struct {
	t      testing.TB
	chunks map[xorname.Name][]byte
	order  []xorname.Name
}

func newStore(t testing.TB) *store {
	return &store{t: t, chunks: make(map[xorname.Name][]byte)}
}

func (s *store) emit(c Chunk) error {
	if got := xorname.FromContent(c.Content); got != c.Address {
		s.t.Errorf("chunk %s: content hashes to %s", c.Address.Short(), got.Short())
	}
	s.chunks[c.Address] = bytes.Clone(c.Content)
	s.order = append(s.order, c.Address)
	return nil
}

func (s *store) get(a xorname.Name) ([]byte, error) {
	c, ok := s.chunks[a]
	if !ok {
		return nil, fmt.Errorf("no chunk %s", a.Short())
	}
	return c, nil
}

// clone returns a copy of s whose chunks can be tampered with.
func (s *store) clone() *store {
	c := *s
	c.chunks = maps.Clone(s.chunks)
	return &c
}

// encrypt runs Encrypt over spec's bytes.
func encrypt(t testing.TB, spec source.Spec, opts Options) (DataMap, *store) {
	t.Helper()
	st := newStore(t)
	m, err := Encrypt(context.Background(), spec.Reader(), spec.Size, opts, st.emit)
	if err != nil {
		t.Fatalf("Encrypt(%v): %v", spec, err)
	}
	return m, st
}

// cmpWriter checks what Decrypt writes against the source, a piece at a
// time, so no test holds a whole file twice.
type cmpWriter struct {
	spec source.Spec
	off  int64
	want []byte
}

func (w *cmpWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > w.spec.Size-w.off {
		return 0, fmt.Errorf("write of %d bytes at %d runs past size %d", len(p), w.off, w.spec.Size)
	}
	w.want = append(w.want[:0], make([]byte, len(p))...)
	if _, err := w.spec.ReadAt(w.want, w.off); err != nil && err != io.EOF {
		return 0, err
	}
	if !bytes.Equal(p, w.want) {
		return 0, fmt.Errorf("byte %d differs from the source", w.off+int64(firstDiff(p, w.want)))
	}
	w.off += int64(len(p))
	return len(p), nil
}

func firstDiff(a, b []byte) int {
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

// TestRoundTrip encrypts files around every chunking boundary, checks the
// emitted chunks and the buffer accounting, and decrypts them back.
func TestRoundTrip(t *testing.T) {
	const c = 0.99 // keeps brotli fast on the multi-MB sizes, even under -race
	tests := []struct {
		spec source.Spec
		long bool // skipped under -short
	}{
		{spec: source.Spec{Seed: 1, Size: 3}},
		{spec: source.Spec{Seed: 2, Size: 4}},
		{spec: source.Spec{Seed: 3, Size: 5}},
		{spec: source.Spec{Seed: 4, Size: 100_000}},
		{spec: source.Spec{Seed: 5, Size: 3*MaxChunkSize - 1, Compressibility: c}},
		{spec: source.Spec{Seed: 6, Size: 3 * MaxChunkSize, Compressibility: c}},
		{spec: source.Spec{Seed: 7, Size: 3*MaxChunkSize + 1, Compressibility: c}},
		{spec: source.Spec{Seed: 8, Size: 4*MaxChunkSize - 1, Compressibility: c}, long: true},
		{spec: source.Spec{Seed: 9, Size: 4 * MaxChunkSize, Compressibility: c}, long: true},
		{spec: source.Spec{Seed: 10, Size: 4*MaxChunkSize + 1, Compressibility: c}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.spec.Size), func(t *testing.T) {
			if tt.long && testing.Short() {
				t.Skip("multi-MB round trip skipped in -short mode")
			}
			const workers = 2
			var meter buffer.Counter
			root, st := encrypt(t, tt.spec, Options{Workers: workers, Meter: &meter})

			n := ChunkCount(tt.spec.Size)
			shrunk := n > 3
			wantTotal := n + 3*btoi(shrunk)
			if len(st.order) != wantTotal || len(st.chunks) != wantTotal {
				t.Fatalf("emitted %d chunks (%d distinct), want %d", len(st.order), len(st.chunks), wantTotal)
			}
			if len(root.Chunks) != 3 {
				t.Fatalf("root map has %d entries, want 3", len(root.Chunks))
			}
			if want := map[bool]int{false: NoChild, true: 1}[shrunk]; root.Child != want {
				t.Fatalf("root map child = %d, want %d", root.Child, want)
			}

			// The file's own map: the root, or the one it shrinks.
			file := root
			if shrunk {
				var err error
				if file, err = resolve(context.Background(), root, st.get, new(opener)); err != nil {
					t.Fatal(err)
				}
			}
			if len(file.Chunks) != n || file.Child != NoChild || file.Size() != tt.spec.Size {
				t.Fatalf("file map: %d chunks, child %d, %d bytes; want %d, %d, %d",
					len(file.Chunks), file.Child, file.Size(), n, NoChild, tt.spec.Size)
			}
			for i, ci := range file.Chunks {
				start, end := ChunkBounds(tt.spec.Size, i)
				if ci.SrcSize != end-start {
					t.Errorf("chunk %d: src size %d, want %d", i, ci.SrcSize, end-start)
				}
			}

			// Emission order: 2 … N−1, 0, 1, then the map chunks by index.
			var want []xorname.Name
			for i := 2; i < n; i++ {
				want = append(want, file.Chunks[i].DstHash)
			}
			want = append(want, file.Chunks[0].DstHash, file.Chunks[1].DstHash)
			if shrunk {
				for _, ci := range root.Chunks {
					want = append(want, ci.DstHash)
				}
			}
			if !reflect.DeepEqual(st.order, want) {
				t.Errorf("emission order:\n got %v\nwant %v", shortNames(st.order), shortNames(want))
			}

			// Accounting: everything released; chunks 0 and 1 were held
			// together; encrypted buffers stayed within the pipeline bound.
			for _, s := range []buffer.Site{buffer.Deferred, buffer.Encrypt} {
				if live := meter.Live(s); live != 0 {
					t.Errorf("%v: %d bytes still live", s, live)
				}
			}
			if got, want := meter.Peak(buffer.Deferred), file.Chunks[0].SrcSize+file.Chunks[1].SrcSize; got != want {
				t.Errorf("deferred peak = %d bytes, want %d (chunks 0 and 1)", got, want)
			}
			maxOut := int64(maxEncryptedLen(int(file.Chunks[min(2, n-1)].SrcSize)))
			if got, bound := meter.Peak(buffer.Encrypt), int64(2*workers+1)*maxOut; got <= 0 || got > bound {
				t.Errorf("encrypt peak = %d bytes, want in (0, %d]", got, bound)
			}

			if err := Decrypt(context.Background(), root, st.get, &cmpWriter{spec: tt.spec}); err != nil {
				t.Fatalf("Decrypt: %v", err)
			}
		})
	}
}

func shortNames(ns []xorname.Name) []string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = n.Short()
	}
	return s
}

func TestDecryptWritesAll(t *testing.T) {
	spec := source.Spec{Seed: 11, Size: 1000}
	root, st := encrypt(t, spec, Options{})
	var out bytes.Buffer
	if err := Decrypt(context.Background(), root, st.get, &out); err != nil {
		t.Fatal(err)
	}
	want, _ := io.ReadAll(spec.Reader())
	if !bytes.Equal(out.Bytes(), want) {
		t.Fatalf("Decrypt wrote %d bytes that differ from the %d of the source", out.Len(), len(want))
	}
}

func TestSizeTooSmall(t *testing.T) {
	for _, size := range []int64{-1, 0, 1, 2} {
		_, err := Encrypt(context.Background(), strings.NewReader("ab"), size, Options{}, func(Chunk) error { return nil })
		want := fmt.Sprintf("selfenc: size: must be ≥ 3 bytes (got %d)", size)
		if err == nil || err.Error() != want {
			t.Errorf("Encrypt(size %d) error = %v, want %q", size, err, want)
		}
	}
}

func TestDeterministic(t *testing.T) {
	base := source.Spec{Seed: 20, Size: 1 << 20, Compressibility: 0.9}
	a, sa := encrypt(t, base, Options{Workers: 1})
	b, sb := encrypt(t, base, Options{Workers: 4})
	if !reflect.DeepEqual(a, b) || !reflect.DeepEqual(sa.order, sb.order) {
		t.Error("same seed with 1 and 4 workers gave different chunks or order")
	}
	other := base
	other.Seed++
	c, sc := encrypt(t, other, Options{Workers: 2})
	for addr := range sc.chunks {
		if _, ok := sa.chunks[addr]; ok {
			t.Errorf("seeds %d and %d share chunk %s", base.Seed, other.Seed, addr.Short())
		}
	}
	if reflect.DeepEqual(a, c) {
		t.Error("different seeds gave the same data map")
	}
}

// TestIncompressibleSize checks that incompressible chunks grow by the tag
// plus a few bytes of brotli framing, and that a full chunk stays under the
// 4 MiB protocol limit (ant-protocol src/chunk.rs MAX_CHUNK_SIZE).
func TestIncompressibleSize(t *testing.T) {
	spec := source.Spec{Seed: 30, Size: 300_001}
	root, st := encrypt(t, spec, Options{})
	for _, ci := range root.Chunks {
		got := int64(len(st.chunks[ci.DstHash]))
		if lo, hi := ci.SrcSize+TagSize+1, int64(maxEncryptedLen(int(ci.SrcSize))); got < lo || got > hi {
			t.Errorf("chunk %d: %d plaintext bytes gave %d encrypted, want in [%d, %d]", ci.Index, ci.SrcSize, got, lo, hi)
		}
	}

	plain := make([]byte, MaxChunkSize)
	if _, err := (source.Spec{Seed: 31, Size: MaxChunkSize}).ReadAt(plain, 0); err != nil {
		t.Fatal(err)
	}
	src := []xorname.Name{xorname.FromContent(plain), {1}, {2}}
	sec := deriveSecrets(0, src, 0)
	out, err := newSealer().seal(make([]byte, 0, maxEncryptedLen(len(plain))), plain, &sec)
	if err != nil {
		t.Fatal(err)
	}
	const protocolMax = 4 << 20
	if over := len(out) - len(plain) - TagSize; over < 1 || over > 64 || len(out) >= protocolMax {
		t.Errorf("full incompressible chunk: %d bytes (%d of framing), want a few bytes over %d and under %d",
			len(out), over, len(plain)+TagSize, protocolMax)
	}
	var o opener
	back, err := o.open(out, &sec, int64(len(plain)))
	if err != nil || !bytes.Equal(back, plain) {
		t.Fatalf("open(seal(chunk)) failed: %v", err)
	}
}

func TestTamper(t *testing.T) {
	ctx := context.Background()
	spec := source.Spec{Seed: 40, Size: 50_000}
	root, st := encrypt(t, spec, Options{})
	// A file of more than 3 chunks, built from a fake map, to tamper with
	// a shrink level too.
	fake := DataMap{Chunks: fakeChunks(10), Child: NoChild}
	shrunkStore := newStore(t)
	p, _ := newPipeline(Options{})
	shrunk, err := p.shrink(ctx, fake, shrunkStore.emit)
	if err != nil {
		t.Fatal(err)
	}

	flip := func(s *store, a xorname.Name) *store {
		s = s.clone()
		c := bytes.Clone(s.chunks[a])
		c[len(c)/2] ^= 1
		s.chunks[a] = c
		return s
	}
	tests := []struct {
		name string
		root DataMap
		st   *store
		want string
	}{
		{"flipped byte", root, flip(st, root.Chunks[1].DstHash), "chunk 1"},
		{"swapped chunks", root, func() *store {
			s := st.clone()
			s.chunks[root.Chunks[0].DstHash] = st.chunks[root.Chunks[2].DstHash]
			return s
		}(), "content hashes to"},
		{"missing chunk", root, func() *store {
			s := st.clone()
			delete(s.chunks, root.Chunks[2].DstHash)
			return s
		}(), "no chunk"},
		{"re-addressed tampered chunk", func() DataMap {
			m := root
			m.Chunks = bytes2chunks(root.Chunks)
			c := bytes.Clone(st.chunks[m.Chunks[0].DstHash])
			c[0] ^= 1
			m.Chunks[0].DstHash = xorname.FromContent(c)
			st.chunks[m.Chunks[0].DstHash] = c
			return m
		}(), st, "message authentication failed"},
		{"wrong source hash", func() DataMap {
			m := root
			m.Chunks = bytes2chunks(root.Chunks)
			m.Chunks[2].SrcHash[0] ^= 1
			return m
		}(), st, "chunk"},
		{"wrong level", func() DataMap {
			m := root
			m.Child = 1
			return m
		}(), st, "level 1"},
		{"too few chunks", DataMap{Chunks: root.Chunks[:2], Child: NoChild}, st, "2 chunks, want at least 3"},
		{"tampered map chunk", shrunk, flip(shrunkStore, shrunk.Chunks[0].DstHash), "data map level 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Decrypt(ctx, tt.root, tt.st.get, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Decrypt error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func bytes2chunks(c []ChunkInfo) []ChunkInfo { return append([]ChunkInfo(nil), c...) }

// TestShrinkCounts runs shrink_data_map on maps of fake entries: the file
// sizes of the upstream figures add exactly 3 chunks and one level, and a
// map too big for 3 chunks shrinks twice.
func TestShrinkCounts(t *testing.T) {
	tests := []struct {
		name      string
		entries   []ChunkInfo
		chunks    int // emitted by shrinking
		rootChild int
	}{
		{"3 chunks", fakeChunks(3), 0, NoChild},
		{"4 chunks", fakeChunks(4), 3, 1},
		{"20 MiB", fakeChunks(ChunkCount(20 * mib)), 3, 1},
		{"1 GiB", fakeChunks(ChunkCount(1 * gib)), 3, 1},
		{"4 GiB", fakeChunks(ChunkCount(4 * gib)), 3, 1},
		// 160,000 entries serialise to 12.8 MB > 3 × MaxChunkSize: 4 chunks
		// at level 1, then 3 at level 2. The entries are all alike, which
		// shrink does not mind and brotli compresses fast.
		{"two levels", make([]ChunkInfo, 160_000), 4 + 3, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := DataMap{Chunks: tt.entries, Child: NoChild}
			st := newStore(t)
			var meter buffer.Counter
			p, _ := newPipeline(Options{Meter: &meter})
			root, err := p.shrink(context.Background(), fake, st.emit)
			if err != nil {
				t.Fatal(err)
			}
			if len(st.order) != tt.chunks || root.Child != tt.rootChild || len(root.Chunks) > 3 {
				t.Fatalf("shrink of %d entries: %d chunks emitted, root %d entries child %d; want %d chunks, child %d",
					len(tt.entries), len(st.order), len(root.Chunks), root.Child, tt.chunks, tt.rootChild)
			}
			if live := meter.Live(buffer.Encrypt) + meter.Live(buffer.Deferred); live != 0 {
				t.Errorf("%d bytes still live", live)
			}
			back, err := resolve(context.Background(), root, st.get, new(opener))
			if err != nil {
				t.Fatal(err)
			}
			// slices.Equal, not reflect.DeepEqual: the latter takes seconds
			// over 160,000 entries under -race.
			if back.Child != fake.Child || !slices.Equal(back.Chunks, fake.Chunks) {
				t.Error("resolving the shrunk map did not give back the original")
			}
		})
	}
}

func TestEmitError(t *testing.T) {
	boom := errors.New("boom")
	for _, at := range []int{0, 2, 5} { // first data chunk, chunk 0, first map chunk
		t.Run(fmt.Sprint(at), func(t *testing.T) {
			spec := source.Spec{Seed: 50, Size: 3*MaxChunkSize + 1, Compressibility: 0.99}
			var meter buffer.Counter
			calls := 0
			_, err := Encrypt(context.Background(), spec.Reader(), spec.Size, Options{Meter: &meter}, func(Chunk) error {
				if calls == at {
					return boom
				}
				calls++
				return nil
			})
			if !errors.Is(err, boom) {
				t.Fatalf("Encrypt error = %v, want boom", err)
			}
			if calls != at {
				t.Errorf("emit called %d times after failing at %d", calls, at)
			}
			for _, s := range []buffer.Site{buffer.Deferred, buffer.Encrypt} {
				if live := meter.Live(s); live != 0 {
					t.Errorf("%v: %d bytes still live after the error", s, live)
				}
			}
		})
	}
}

func TestShortReader(t *testing.T) {
	spec := source.Spec{Seed: 60, Size: 3*MaxChunkSize + 1, Compressibility: 0.99}
	var meter buffer.Counter
	r := io.LimitReader(spec.Reader(), spec.Size-1) // chunk 3 is the last byte
	_, err := Encrypt(context.Background(), r, spec.Size, Options{Meter: &meter}, func(Chunk) error { return nil })
	if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "reading chunk 3") {
		t.Fatalf("Encrypt error = %v, want unexpected EOF reading chunk 3", err)
	}
	for _, s := range []buffer.Site{buffer.Deferred, buffer.Encrypt} {
		if live := meter.Live(s); live != 0 {
			t.Errorf("%v: %d bytes still live after the error", s, live)
		}
	}
}

func TestCancel(t *testing.T) {
	spec := source.Spec{Seed: 70, Size: 3*MaxChunkSize + 1, Compressibility: 0.99}
	ctx, cancel := context.WithCancel(context.Background())
	var meter buffer.Counter
	_, err := Encrypt(ctx, spec.Reader(), spec.Size, Options{Meter: &meter}, func(Chunk) error {
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Encrypt error = %v, want context.Canceled", err)
	}
	for _, s := range []buffer.Site{buffer.Deferred, buffer.Encrypt} {
		if live := meter.Live(s); live != 0 {
			t.Errorf("%v: %d bytes still live after cancel", s, live)
		}
	}
}

func TestBadArguments(t *testing.T) {
	ctx := context.Background()
	nop := func(Chunk) error { return nil }
	if _, err := Encrypt(ctx, strings.NewReader("abc"), 3, Options{Workers: -1}, nop); err == nil || !strings.Contains(err.Error(), "workers") {
		t.Errorf("negative workers: error = %v", err)
	}
	if _, err := Encrypt(ctx, nil, 3, Options{}, nop); err == nil {
		t.Error("nil reader accepted")
	}
	if _, err := Encrypt(ctx, strings.NewReader("abc"), 3, Options{}, nil); err == nil {
		t.Error("nil emit accepted")
	}
	if err := Decrypt(ctx, DataMap{Child: NoChild}, nil, io.Discard); err == nil {
		t.Error("nil get accepted")
	}
}

func TestDeriveSecrets(t *testing.T) {
	src := []xorname.Name{{1}, {2}, {3}, {4}}
	seen := map[secrets]string{}
	for i := range src {
		for level := range 3 {
			s := deriveSecrets(i, src, level)
			if prev, ok := seen[s]; ok {
				t.Errorf("chunk %d level %d has the secrets of %s", i, level, prev)
			}
			seen[s] = fmt.Sprintf("chunk %d level %d", i, level)
		}
	}
	// Changing a neighbour's hash changes the secrets; an unrelated one
	// does not.
	a := deriveSecrets(3, src, 0)
	src[1][5] ^= 1 // chunk 3 uses 2 and 1
	if deriveSecrets(3, src, 0) == a {
		t.Error("neighbour hash did not affect the secrets")
	}
	src[0][5] ^= 1
	if b := deriveSecrets(3, src, 0); b != deriveSecrets(3, src, 0) {
		t.Error("deriveSecrets is not deterministic")
	}
}
