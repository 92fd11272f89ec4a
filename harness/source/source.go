package source

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
)

const (
	// BlockSize is the unit of generation, in bytes: each block has its own
	// generator seed, so random access costs at most one block of waste.
	BlockSize = 64 << 10

	// PatternSize is the length in bytes of the repeated pattern that fills
	// the compressible tail of a block. With 16 bytes brotli's compressed
	// size comes within 1 % of 1 − Compressibility; a random pattern of a
	// few hundred bytes is matched poorly and overshoots by up to 4 points.
	PatternSize = 16

	// MinSize is the smallest valid file, in bytes. It equals
	// MIN_ENCRYPTABLE_BYTES of self_encryption 0.35 (src/lib.rs), below
	// which the uploader refuses a file.
	MinSize = 3
)

// domain separates this generator's seeds from any other use of ChaCha8
// with the same numbers. Changing the generation scheme must change it, and
// with it every Key.
const domain = "fanbench/src/v1\x00"

// Spec describes a generated file. The zero Compressibility gives
// incompressible bytes. A Spec is a small value; its methods are safe for
// concurrent use.
type Spec struct {
	// Seed selects the bytes: the same seed gives the same bytes, a
	// different seed different ones.
	Seed uint64
	// Size is the file length in bytes, at least MinSize.
	Size int64
	// Compressibility is the fraction of each block, in [0, 1), filled with
	// a repeated pattern rather than random bytes.
	Compressibility float64
}

// Validate reports whether s describes a file that can be generated and
// uploaded. Its errors name the offending field.
func (s Spec) Validate() error {
	switch {
	case s.Size < 0:
		return fmt.Errorf("source: size: must not be negative (got %d)", s.Size)
	case s.Size < MinSize:
		return fmt.Errorf("source: size: must be ≥ %d bytes (got %d)", MinSize, s.Size)
	case math.IsNaN(s.Compressibility) || s.Compressibility < 0 || s.Compressibility >= 1:
		return fmt.Errorf("source: compressibility: must be in [0, 1) (got %v)", s.Compressibility)
	}
	return nil
}

// Key returns a string that identifies the bytes s describes, suitable as a
// cache key: two specs with equal keys produce equal bytes. It includes the
// generator version.
func (s Spec) Key() string {
	return "src-v1/seed=" + strconv.FormatUint(s.Seed, 10) +
		"/size=" + strconv.FormatInt(s.Size, 10) +
		"/compress=" + strconv.FormatFloat(s.Compressibility, 'g', -1, 64)
}

// String returns a short human-readable form of s, for logs and test names.
func (s Spec) String() string {
	return fmt.Sprintf("seed=%d size=%d compress=%g", s.Seed, s.Size, s.Compressibility)
}

// headLen is the number of random bytes at the start of every full block;
// the rest of the block is the repeated pattern.
func (s Spec) headLen() int {
	return BlockSize - int(math.Round(s.Compressibility*BlockSize))
}

// numBlocks returns how many blocks make up the file.
func (s Spec) numBlocks() int64 { return (s.Size + BlockSize - 1) / BlockSize }

// blockLen returns the length of block b in bytes: BlockSize except for the
// last block.
func (s Spec) blockLen(b int64) int {
	return int(min(BlockSize, s.Size-b*BlockSize))
}

// fill writes the first len(dst) bytes of block b into dst, using rng as the
// generator (it is reseeded). len(dst) must not exceed BlockSize.
func (s Spec) fill(dst []byte, b int64, rng *rand.ChaCha8) {
	var seed [32]byte
	binary.LittleEndian.PutUint64(seed[0:8], s.Seed)
	binary.LittleEndian.PutUint64(seed[8:16], uint64(b))
	copy(seed[16:], domain)
	rng.Seed(seed)

	head := s.headLen()
	if len(dst) <= head {
		_, _ = rng.Read(dst) // ChaCha8.Read never fails.
		return
	}
	_, _ = rng.Read(dst[:head])
	var pat [PatternSize]byte
	_, _ = rng.Read(pat[:])
	for tail := dst[head:]; len(tail) > 0; {
		tail = tail[copy(tail, pat[:]):]
	}
}

// scratch is the per-goroutine state needed to produce a partial block.
type scratch struct {
	rng rand.ChaCha8
	blk [BlockSize]byte
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// ReadAt reads len(p) bytes starting at byte offset off into p, with the
// io.ReaderAt contract: it returns io.EOF when fewer than len(p) bytes
// remain. It returns the same bytes Reader gives at that offset, holds no
// state between calls and may be called concurrently.
func (s Spec) ReadAt(p []byte, off int64) (int, error) {
	if err := s.Validate(); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, fmt.Errorf("source: read at %d: negative offset", off)
	}
	if off >= s.Size {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	var err error
	if int64(len(p)) > s.Size-off {
		p = p[:s.Size-off]
		err = io.EOF
	}
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	n := 0
	for n < len(p) {
		pos := off + int64(n)
		b, in := pos/BlockSize, int(pos%BlockSize)
		end := min(s.blockLen(b), in+len(p)-n) // end within block b
		if in == 0 {
			s.fill(p[n:n+end], b, &sc.rng)
		} else {
			s.fill(sc.blk[:end], b, &sc.rng)
			copy(p[n:], sc.blk[in:end])
		}
		n += end - in
	}
	return n, err
}

// Reader returns a reader that streams the Size bytes of s from the start.
// It holds one block (BlockSize bytes) of scratch, whatever the size. If s
// is invalid, every Read returns the Validate error. The reader is not safe
// for concurrent use.
func (s Spec) Reader() io.Reader {
	if err := s.Validate(); err != nil {
		return errReader{err}
	}
	return &reader{spec: s}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// reader streams a Spec. buf holds the not yet returned rest of the block
// last generated into sc.blk; reads of whole blocks at a block boundary are
// generated straight into the caller's slice instead.
type reader struct {
	spec Spec
	pos  int64 // bytes returned so far
	sc   *scratch
	buf  []byte // unread bytes of the current block, a suffix of sc.blk
}

func (r *reader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if r.sc == nil {
		r.sc = new(scratch)
	}
	n := 0
	for n < len(p) {
		if len(r.buf) > 0 {
			c := copy(p[n:], r.buf)
			r.buf = r.buf[c:]
			n += c
			r.pos += int64(c)
			continue
		}
		if r.pos >= r.spec.Size {
			break
		}
		b := r.pos / BlockSize // r.pos is block-aligned here
		bl := r.spec.blockLen(b)
		if len(p)-n >= bl {
			r.spec.fill(p[n:n+bl], b, &r.sc.rng)
			n += bl
			r.pos += int64(bl)
			continue
		}
		r.spec.fill(r.sc.blk[:bl], b, &r.sc.rng)
		r.buf = r.sc.blk[:bl]
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

var (
	_ io.ReaderAt = Spec{}
	_ io.Reader   = (*reader)(nil)
)
