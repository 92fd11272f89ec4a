package source

import (
	"bytes"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/andybalholm/brotli"
)

// readAll streams s through Reader in reads of at most step bytes.
func readAll(t *testing.T, s Spec, step int) []byte {
	t.Helper()
	r := s.Reader()
	var out bytes.Buffer
	buf := make([]byte, step)
	for {
		n, err := r.Read(buf)
		out.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		if n == 0 {
			t.Fatal("Read returned 0, nil")
		}
	}
	return out.Bytes()
}

func TestValidate(t *testing.T) {
	tests := []struct {
		spec Spec
		want string // substring of the error; "" means valid
	}{
		{Spec{Size: 3}, ""},
		{Spec{Size: 1 << 40, Compressibility: 0.999}, ""},
		{Spec{Size: 2}, "source: size: must be ≥ 3 bytes (got 2)"},
		{Spec{Size: 0}, "source: size: must be ≥ 3 bytes (got 0)"},
		{Spec{Size: -1}, "source: size: must not be negative (got -1)"},
		{Spec{Size: 10, Compressibility: 1}, "source: compressibility: must be in [0, 1) (got 1)"},
		{Spec{Size: 10, Compressibility: -0.1}, "source: compressibility: must be in [0, 1) (got -0.1)"},
		{Spec{Size: 10, Compressibility: math.NaN()}, "source: compressibility: must be in [0, 1) (got NaN)"},
	}
	for _, tt := range tests {
		t.Run(tt.spec.String(), func(t *testing.T) {
			err := tt.spec.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate() = %v, want %q", err, tt.want)
			}
			if tt.want == "" {
				return
			}
			// An invalid spec never yields bytes.
			if _, rerr := tt.spec.Reader().Read(make([]byte, 8)); rerr == nil || rerr.Error() != err.Error() {
				t.Errorf("Reader().Read error = %v, want %v", rerr, err)
			}
			if _, rerr := tt.spec.ReadAt(make([]byte, 8), 0); rerr == nil || rerr.Error() != err.Error() {
				t.Errorf("ReadAt error = %v, want %v", rerr, err)
			}
		})
	}
}

func TestReaderMatchesReadAt(t *testing.T) {
	specs := []Spec{
		{Seed: 1, Size: 3},
		{Seed: 2, Size: BlockSize - 1},
		{Seed: 3, Size: BlockSize},
		{Seed: 4, Size: BlockSize + 1},
		{Seed: 5, Size: 5*BlockSize + 12345, Compressibility: 0.5},
		{Seed: 6, Size: 3*BlockSize + 7, Compressibility: 0.9},
	}
	for _, s := range specs {
		t.Run(s.String(), func(t *testing.T) {
			want := readAll(t, s, 1<<20)
			if int64(len(want)) != s.Size {
				t.Fatalf("Reader gave %d bytes, want %d", len(want), s.Size)
			}
			// Odd read sizes cross block boundaries at every phase.
			for _, step := range []int{1, 7, 8192, BlockSize + 3} {
				if step == 1 && s.Size > BlockSize {
					continue // byte-at-a-time is covered by the small specs
				}
				if got := readAll(t, s, step); !bytes.Equal(got, want) {
					t.Fatalf("reads of %d bytes differ from reads of 1 MiB", step)
				}
			}
			rng := rand.New(rand.NewPCG(s.Seed, 99))
			for range 200 {
				off := rng.Int64N(s.Size)
				n := rng.IntN(3 * BlockSize)
				p := make([]byte, n)
				got, err := s.ReadAt(p, off)
				wantN := int(min(int64(n), s.Size-off))
				if got != wantN {
					t.Fatalf("ReadAt(%d bytes, %d) = %d, want %d", n, off, got, wantN)
				}
				if wantN < n && err != io.EOF {
					t.Fatalf("ReadAt(%d bytes, %d) short read err = %v, want io.EOF", n, off, err)
				}
				if wantN == n && err != nil {
					t.Fatalf("ReadAt(%d bytes, %d) err = %v", n, off, err)
				}
				if !bytes.Equal(p[:got], want[off:off+int64(got)]) {
					t.Fatalf("ReadAt(%d bytes, %d) bytes differ from Reader", n, off)
				}
			}
			// The standard tester checks the io.Reader contract.
			if err := iotest.TestReader(s.Reader(), want); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestReadAtEdges(t *testing.T) {
	s := Spec{Seed: 7, Size: 100}
	if n, err := s.ReadAt(make([]byte, 4), 100); n != 0 || err != io.EOF {
		t.Errorf("ReadAt at size = %d, %v; want 0, EOF", n, err)
	}
	if n, err := s.ReadAt(nil, 100); n != 0 || err != nil {
		t.Errorf("empty ReadAt at size = %d, %v; want 0, nil", n, err)
	}
	if _, err := s.ReadAt(make([]byte, 4), -1); err == nil || !strings.Contains(err.Error(), "negative offset") {
		t.Errorf("ReadAt at -1 err = %v, want negative offset", err)
	}
}

func TestDeterminism(t *testing.T) {
	const size = 2*BlockSize + 100
	a := readAll(t, Spec{Seed: 42, Size: size}, 1<<20)
	b := readAll(t, Spec{Seed: 42, Size: size}, 1<<20)
	c := readAll(t, Spec{Seed: 43, Size: size}, 1<<20)
	if !bytes.Equal(a, b) {
		t.Error("same seed gave different bytes")
	}
	if bytes.Equal(a[:BlockSize], c[:BlockSize]) || bytes.Equal(a[BlockSize:], c[BlockSize:]) {
		t.Error("different seeds gave equal blocks")
	}
	if bytes.Equal(a[:BlockSize], a[BlockSize:2*BlockSize]) {
		t.Error("two blocks of one file are equal")
	}
	// A shorter file is a prefix of a longer one with the same seed.
	short := readAll(t, Spec{Seed: 42, Size: BlockSize + 5}, 1<<20)
	if !bytes.Equal(short, a[:len(short)]) {
		t.Error("shorter file is not a prefix of the longer one")
	}
}

func TestKey(t *testing.T) {
	base := Spec{Seed: 1, Size: 1000, Compressibility: 0.25}
	if base.Key() != (Spec{Seed: 1, Size: 1000, Compressibility: 0.25}).Key() {
		t.Error("equal specs have different keys")
	}
	for _, other := range []Spec{
		{Seed: 2, Size: 1000, Compressibility: 0.25},
		{Seed: 1, Size: 1001, Compressibility: 0.25},
		{Seed: 1, Size: 1000, Compressibility: 0.5},
	} {
		if other.Key() == base.Key() {
			t.Errorf("%v and %v share key %q", base, other, base.Key())
		}
	}
}

// TestCompressibility checks that brotli at the uploader's settings
// (quality 6, window 2^22, self_encryption src/encrypt.rs) shrinks the data
// to about 1 − Compressibility of its size.
func TestCompressibility(t *testing.T) {
	for _, c := range []float64{0, 0.5, 0.9} {
		s := Spec{Seed: 9, Size: 8 * BlockSize, Compressibility: c}
		data := readAll(t, s, 1<<20)
		var out bytes.Buffer
		w := brotli.NewWriterOptions(&out, brotli.WriterOptions{Quality: 6, LGWin: 22})
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		ratio := float64(out.Len()) / float64(len(data))
		if want := 1 - c; math.Abs(ratio-want) > 0.01 {
			t.Errorf("compressibility %v: compressed ratio %.3f, want about %.3f", c, ratio, want)
		}
	}
}

func BenchmarkReader(b *testing.B) {
	s := Spec{Seed: 1, Size: 64 << 20}
	buf := make([]byte, 8<<10) // the 8 KiB reads of ant-client file.rs L558
	b.SetBytes(s.Size)
	for b.Loop() {
		if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{s.Reader()}, buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadAt(b *testing.B) {
	s := Spec{Seed: 1, Size: 64 << 20}
	buf := make([]byte, 4190208)
	b.SetBytes(int64(len(buf)))
	var off int64
	for b.Loop() {
		if _, err := s.ReadAt(buf, off); err != nil && err != io.EOF {
			b.Fatal(err)
		}
		off = (off + 12345) % (s.Size - int64(len(buf)))
	}
}
