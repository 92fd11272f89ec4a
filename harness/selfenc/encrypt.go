package selfenc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/xorname"
)

// Chunk is one encrypted chunk as Encrypt emits it.
type Chunk struct {
	// Address is the BLAKE3 hash of Content: the chunk's network address.
	Address xorname.Name
	// Content is the encrypted chunk. It belongs to Encrypt and is valid
	// only during the emit call: copy it to keep it.
	Content []byte
}

// Options configures Encrypt. The zero value is ready to use.
type Options struct {
	// Workers is the number of goroutines that compress and encrypt
	// chunks; 0 means runtime.GOMAXPROCS(0).
	Workers int
	// Meter is told about the tracked buffers: deferred plaintext of chunks
	// 0 and 1 at buffer.Deferred, encrypted output at buffer.Encrypt. Nil
	// means buffer.Nop. The buffers are Go slices: the encryption phase is
	// setup, before the client's memory is measured.
	Meter buffer.Meter
}

// Encrypt self-encrypts the size bytes read from r and calls emit once per
// encrypted chunk, then returns the root data map (at most 3 entries).
//
// Chunks are emitted in the uploader's order (shared/reference/uploader.md
// §3.2): data chunks 2 … N−1, then 0 and 1, then the chunks of each
// data-map shrink level in index order. emit runs on the calling goroutine,
// one call at a time; chunk.Content is reused once emit returns. An error
// from emit stops the encryption and is returned, wrapped.
//
// Encrypt reads exactly size bytes and fails if r ends early. It streams:
// memory is a few chunks per worker plus the two deferred chunks (see the
// package doc), whatever the size. It stops early if ctx is cancelled.
func Encrypt(ctx context.Context, r io.Reader, size int64, opts Options, emit func(Chunk) error) (DataMap, error) {
	if size < MinEncryptableBytes {
		return DataMap{}, fmt.Errorf("selfenc: size: must be ≥ %d bytes (got %d)", MinEncryptableBytes, size)
	}
	if r == nil || emit == nil {
		return DataMap{}, errors.New("selfenc: Encrypt needs a reader and an emit function")
	}
	p, err := newPipeline(opts)
	if err != nil {
		return DataMap{}, err
	}
	m, err := p.run(ctx, r, size, 0, func(c indexed) error {
		defer c.out.Release()
		return emit(Chunk{Address: c.addr, Content: c.out.B})
	})
	if err != nil {
		return DataMap{}, fmt.Errorf("selfenc: encrypting %d bytes: %w", size, err)
	}
	m, err = p.shrink(ctx, m, emit)
	if err != nil {
		return DataMap{}, fmt.Errorf("selfenc: shrinking data map: %w", err)
	}
	return m, nil
}

// pipeline holds what one Encrypt call shares across its levels.
type pipeline struct {
	heap    *buffer.Heap
	sealers []*sealer // one per worker, reused across levels
}

func newPipeline(opts Options) (*pipeline, error) {
	w := opts.Workers
	switch {
	case w < 0:
		return nil, fmt.Errorf("selfenc: workers: must not be negative (got %d)", w)
	case w == 0:
		w = runtime.GOMAXPROCS(0)
	}
	p := &pipeline{heap: buffer.GoHeap(opts.Meter), sealers: make([]*sealer, w)}
	for i := range p.sealers {
		p.sealers[i] = newSealer()
	}
	return p, nil
}

// shrink replaces m by encrypted serialisations of itself, one level up
// each time, until it has at most 3 entries, and emits their chunks in index
// order (self_encryption 0.35 src/lib.rs shrink_data_map). A map of N > 3
// entries serialises to more than 3 bytes, so each level yields at least 3
// chunks; below 3 × MaxChunkSize of map (about 157,000 entries) exactly 3.
func (p *pipeline) shrink(ctx context.Context, m DataMap, emit func(Chunk) error) (DataMap, error) {
	for len(m.Chunks) > 3 {
		level := m.level() + 1
		b, err := m.MarshalBinary()
		if err != nil {
			return DataMap{}, err
		}
		// shrink_data_map encrypts the map with the non-streaming encrypt,
		// which returns all chunks of the level, and stores them in index
		// order; hold them (tracked at buffer.Encrypt) and emit them so.
		var held []indexed
		next, err := p.run(ctx, bytes.NewReader(b), int64(len(b)), level, func(c indexed) error {
			held = append(held, c)
			return nil
		})
		slices.SortFunc(held, func(a, b indexed) int { return a.index - b.index })
		for i, c := range held {
			if err == nil {
				if e := emit(Chunk{Address: c.addr, Content: c.out.B}); e != nil {
					err = fmt.Errorf("emitting level %d chunk %d: %w", level, i, e)
				}
			}
			c.out.Release()
		}
		if err != nil {
			return DataMap{}, fmt.Errorf("level %d (%d-byte map): %w", level, len(b), err)
		}
		next.Child = level
		m = next
	}
	return m, nil
}

// indexed is an encrypted chunk on its way out of the pipeline. out is
// owned by whoever holds it and must be released.
type indexed struct {
	index int
	addr  xorname.Name
	out   *buffer.Buf
}

// job is one chunk travelling from the reader through a worker to the
// emitter. done receives exactly one result.
type job struct {
	index    int
	plain    []byte
	deferred *buffer.Buf // chunks 0 and 1: the tracked buffer behind plain
	src      xorname.Name
	sec      secrets
	done     chan result // capacity 1
}

type result struct {
	addr xorname.Name
	out  *buffer.Buf
	err  error
}

// run encrypts the size bytes of r at the given level and passes each chunk
// to out, in emission order (2 … N−1, 0, 1), on the calling goroutine; out
// takes ownership of the chunk's buffer. It returns the level's data map,
// unshrunk, with Child = NoChild.
//
// Three stages run concurrently: a reader that fills plaintext buffers and
// hashes them in order, len(p.sealers) workers that transform them, and the
// calling goroutine, which waits for results in emission order. A channel of
// capacity 2 × workers carries jobs in that order to the caller and bounds
// the encrypted buffers in flight; a free list of workers + 1 plaintext
// buffers bounds the reads ahead.
func (p *pipeline) run(ctx context.Context, r io.Reader, size int64, level int, out func(indexed) error) (DataMap, error) {
	n := ChunkCount(size)
	w := len(p.sealers)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)

	jobs := make(chan *job)
	order := make(chan *job, 2*w)
	free := make(chan []byte, w+1)
	for range w + 1 {
		free <- nil
	}

	g.Go(func() error { return p.read(gctx, r, size, level, jobs, order, free) })
	for _, s := range p.sealers {
		g.Go(func() error {
			for j := range jobs {
				j.done <- p.process(gctx, s, j)
				if j.deferred != nil {
					j.deferred.Release()
				} else {
					free <- j.plain
				}
			}
			return nil
		})
	}

	// Emit in order. After a failure keep draining so that every result's
	// buffer is released and the other stages can finish.
	infos := make([]ChunkInfo, n)
	var err error
	for j := range order {
		res := <-j.done
		if err != nil || res.err != nil {
			res.out.Release()
			if err == nil {
				err = fmt.Errorf("chunk %d: %w", j.index, res.err)
				cancel()
			}
			continue
		}
		infos[j.index] = ChunkInfo{Index: j.index, DstHash: res.addr, SrcHash: j.src, SrcSize: int64(len(j.plain))}
		if e := out(indexed{index: j.index, addr: res.addr, out: res.out}); e != nil {
			err = fmt.Errorf("emitting chunk %d: %w", j.index, e)
			cancel()
		}
	}
	// A reader failure cancels the workers, whose results then report the
	// cancellation; the reader's error is the one worth returning.
	if gerr := g.Wait(); gerr != nil && (err == nil || errors.Is(err, context.Canceled) && !errors.Is(gerr, context.Canceled)) {
		err = gerr
	}
	if err == nil {
		err = ctx.Err() // a cancellation that arrived after the last chunk
	}
	if err != nil {
		return DataMap{}, err
	}
	return DataMap{Chunks: infos, Child: NoChild}, nil
}

// read is the reader stage of run. It owns r, reads the n chunks in order,
// hashes them and dispatches jobs; chunks 0 and 1 wait in tracked buffers
// until the last chunk has been hashed. It closes jobs and order on return.
func (p *pipeline) read(ctx context.Context, r io.Reader, size int64, level int, jobs, order chan<- *job, free chan []byte) error {
	defer close(order)
	defer close(jobs)
	n := ChunkCount(size)
	src := make([]xorname.Name, n)
	var deferred [2]*buffer.Buf
	defer func() {
		for _, b := range deferred {
			b.Release() // only those not handed to a job
		}
	}()

	// dispatch sends j to the emitter, then to a worker. If ctx ends between
	// the two it answers j itself, so every job in order gets a result.
	dispatch := func(j *job) error {
		select {
		case order <- j:
		case <-ctx.Done():
			j.deferred.Release()
			return ctx.Err()
		}
		select {
		case jobs <- j:
			return nil
		case <-ctx.Done():
			j.deferred.Release()
			j.done <- result{err: ctx.Err()}
			return ctx.Err()
		}
	}

	for i := range n {
		if err := ctx.Err(); err != nil {
			return err
		}
		start, end := ChunkBounds(size, i)
		ln := int(end - start)
		var plain []byte
		if i < 2 {
			deferred[i] = buffer.New(p.heap, buffer.Deferred, ln, ln)
			deferred[i].B = deferred[i].B[:ln]
			plain = deferred[i].B
		} else {
			select {
			case plain = <-free:
			case <-ctx.Done():
				return ctx.Err()
			}
			if cap(plain) < ln {
				plain = make([]byte, ln)
			}
			plain = plain[:ln]
		}
		if _, err := io.ReadFull(r, plain); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("reading chunk %d (bytes %d to %d): %w", i, start, end, err)
		}
		src[i] = xorname.FromContent(plain)
		if i < 2 {
			continue
		}
		j := &job{index: i, plain: plain, src: src[i], sec: deriveSecrets(i, src, level), done: make(chan result, 1)}
		if err := dispatch(j); err != nil {
			return err
		}
	}
	for i, b := range deferred { // ranges over a copy
		deferred[i] = nil // the job owns it now
		j := &job{index: i, plain: b.B, deferred: b, src: src[i], sec: deriveSecrets(i, src, level), done: make(chan result, 1)}
		if err := dispatch(j); err != nil {
			return err
		}
	}
	return nil
}

// process transforms one chunk with s. The output buffer is tracked at
// buffer.Encrypt from allocation until its holder releases it.
func (p *pipeline) process(ctx context.Context, s *sealer, j *job) result {
	if err := ctx.Err(); err != nil {
		return result{err: err}
	}
	c := maxEncryptedLen(len(j.plain))
	out := buffer.New(p.heap, buffer.Encrypt, c, 0)
	b, err := s.seal(out.B, j.plain, &j.sec)
	if err != nil {
		out.Release()
		return result{err: err}
	}
	if cap(b) != c {
		// The bound was exceeded and the slice grew: account for the
		// buffer actually held.
		grown := buffer.Copy(p.heap, buffer.Encrypt, b)
		out.Release()
		out = grown
	} else {
		out.B = b
	}
	return result{addr: xorname.FromContent(out.B), out: out}
}
