package trace

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Writer writes one trace. It buffers its output and allocates nothing per
// event, so it can sit on the measured path. It is not safe for concurrent
// use: the caller serialises events in simulated-time order (fanbench's
// scheduler runs one task at a time).
//
// The first error, of the underlying writer or of an event out of order,
// is sticky: every later call returns it and writes nothing.
type Writer struct {
	w      *bufio.Writer
	err    error
	nsites int
	last   int64 // time of the last event, ns
	n      int64 // events written
	closed bool
	buf    [1 + 6*binary.MaxVarintLen64]byte
}

// NewWriter returns a Writer to w that has written the magic, the version
// and h; an error doing so is returned by the first call that reports one.
// The site table is checked against the format's limits.
func NewWriter(w io.Writer, h Header) *Writer {
	tw := &Writer{w: bufio.NewWriterSize(w, 64<<10), nsites: len(h.Sites)}
	switch {
	case len(h.Sites) > MaxSites:
		tw.err = fmt.Errorf("trace: %d sites, more than the format's %d", len(h.Sites), MaxSites)
		return tw
	case len(h.Labels) > MaxLabels:
		tw.err = fmt.Errorf("trace: %d labels, more than the format's %d", len(h.Labels), MaxLabels)
		return tw
	}
	b := []byte(Magic)
	b = binary.AppendUvarint(b, Version)
	var err error
	str := func(what, s string) {
		if len(s) > MaxString && err == nil {
			err = fmt.Errorf("trace: header %s is %d bytes, more than the format's %d", what, len(s), MaxString)
		}
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	str("scenario", h.Scenario)
	str("strategy", h.Strategy)
	str("limiter", h.Limiter)
	b = binary.AppendUvarint(b, h.Seed)
	if h.Rep < 0 {
		err = errors.Join(err, fmt.Errorf("trace: negative repetition %d", h.Rep))
	}
	b = binary.AppendUvarint(b, uint64(h.Rep))
	keys := make([]string, 0, len(h.Labels))
	for k := range h.Labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		str("label key", k)
		str("label "+k, h.Labels[k])
	}
	b = binary.AppendUvarint(b, uint64(len(h.Sites)))
	for _, s := range h.Sites {
		str("site name", s)
	}
	if err != nil {
		tw.err = err
		return tw
	}
	_, tw.err = tw.w.Write(b)
	return tw
}

// Write appends e to the trace. It returns an error, which sticks, when
// e.Kind is not an event, e.T is before the previous event's time, the
// site is outside the table, a capacity is negative or above MaxCap, or
// Touched is negative or above Cap. It does not know which buffers are
// live; a Reader checks that.
func (w *Writer) Write(e Event) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		w.err = errors.New("trace: write after Close")
		return w.err
	}
	if err := w.check(e); err != nil {
		w.err = fmt.Errorf("trace: event %d (%v): %w", w.n+1, e, err)
		return w.err
	}
	b := append(w.buf[:0], byte(e.Kind))
	b = binary.AppendUvarint(b, uint64(e.T-w.last))
	b = binary.AppendUvarint(b, e.ID)
	switch e.Kind {
	case Alloc:
		b = binary.AppendUvarint(b, e.Task)
		b = binary.AppendUvarint(b, uint64(e.Site))
		b = binary.AppendUvarint(b, uint64(e.Cap))
		b = binary.AppendUvarint(b, uint64(e.Touched))
	case Touch:
		b = binary.AppendUvarint(b, uint64(e.Touched))
	case Grow:
		b = binary.AppendUvarint(b, uint64(e.Cap))
		b = binary.AppendUvarint(b, uint64(e.Touched))
	}
	if _, err := w.w.Write(b); err != nil {
		w.err = err
		return err
	}
	w.last = e.T
	w.n++
	return nil
}

func (w *Writer) check(e Event) error {
	switch {
	case e.Kind < Alloc || e.Kind > Free:
		return fmt.Errorf("not an event kind")
	case e.T < w.last:
		return fmt.Errorf("time %d ns before the previous event's %d ns", e.T, w.last)
	case e.Touched < 0:
		return fmt.Errorf("negative touched bytes")
	}
	switch e.Kind {
	case Alloc:
		if e.Site < 0 || e.Site >= w.nsites {
			return fmt.Errorf("site %d outside the table of %d", e.Site, w.nsites)
		}
		fallthrough
	case Grow:
		if e.Cap < 0 || e.Cap > MaxCap {
			return fmt.Errorf("capacity outside [0, %d]", int64(MaxCap))
		}
		if e.Touched > e.Cap {
			return fmt.Errorf("touched %d above capacity %d", e.Touched, e.Cap)
		}
	}
	return nil
}

// Flush writes any buffered data to the underlying writer.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	w.err = w.w.Flush()
	return w.err
}

// Close writes the end record and flushes. It does not close the
// underlying writer. A second Close returns the first's result.
func (w *Writer) Close() error {
	if w.closed || w.err != nil {
		return w.err
	}
	w.closed = true
	b := append(w.buf[:0], byte(End))
	b = binary.AppendUvarint(b, uint64(w.n))
	if _, err := w.w.Write(b); err != nil {
		w.err = err
		return err
	}
	w.err = w.w.Flush()
	return w.err
}
