package trace

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"unicode/utf8"
)

// Reader reads a trace, shaped like bufio.Scanner:
//
//	r := trace.NewReader(f, "run.trace")
//	for r.Scan() {
//		e := r.Event()
//		…
//	}
//	if err := r.Err(); err != nil { … }
//
// It checks the whole format as it goes (see the package doc) and keeps
// the run's live-byte figures in Stats. A Reader is not safe for
// concurrent use.
type Reader struct {
	name string
	br   *bufio.Reader
	off  int64 // bytes consumed

	hdr     Header
	hdrRead bool
	err     error
	done    bool

	ev    Event
	n     int   // events read
	evOff int64 // offset of the current event's first byte

	live     map[uint64]live
	siteLive []int64
	stats    Stats
}

type live struct {
	cap, touched int64
	site         int
}

// Stats are a trace's figures, as far as it has been read: the live bytes
// (the sum of the capacities of the buffers allocated and not freed) and
// their peak, as fanbench's peak-live-B counts them.
type Stats struct {
	Events int
	// PeakLive is the highest live bytes, reached first by event
	// PeakEvent (counted from 1) at simulated time PeakT ns.
	PeakLive  int64
	PeakT     int64
	PeakEvent int
	// AtPeak is each site's live bytes at the peak, indexed like
	// Header.Sites.
	AtPeak []int64
	// Live is the live bytes now, in LiveBuffers buffers.
	Live        int64
	LiveBuffers int
	// Allocated is every capacity allocated in all: each alloc's and each
	// grow's new one.
	Allocated int64
	// End is the simulated time of the last event, ns.
	End int64
}

// SyntaxError is a trace that breaks the format. Its Error reads
// "trace FILE: event N at byte OFFSET: MSG" ("header", or "end record",
// in place of "event N" where the fault is there).
type SyntaxError struct {
	File string
	// Event is the 1-based number of the event at fault; 0 for the header.
	Event int
	// EndRecord marks a fault in the end record.
	EndRecord bool
	// Offset is the byte offset, from the file's start, of the event's (or
	// header field's) first byte.
	Offset int64
	Msg    string
}

func (e *SyntaxError) Error() string {
	switch {
	case e.EndRecord:
		return fmt.Sprintf("trace %s: end record at byte %d: %s", e.File, e.Offset, e.Msg)
	case e.Event == 0:
		return fmt.Sprintf("trace %s: header at byte %d: %s", e.File, e.Offset, e.Msg)
	}
	return fmt.Sprintf("trace %s: event %d at byte %d: %s", e.File, e.Event, e.Offset, e.Msg)
}

// NewReader returns a Reader of r; name is the file's name for messages.
// It reads nothing until Header or Scan is called.
func NewReader(r io.Reader, name string) *Reader {
	return &Reader{name: name, br: bufio.NewReaderSize(r, 64<<10), live: map[uint64]live{}}
}

// Header reads the header, if that has not been done, and returns it. The
// Reader owns the Header; its fields must not be changed.
func (r *Reader) Header() (*Header, error) {
	if !r.hdrRead && r.err == nil {
		r.hdrRead = true
		r.err = r.readHeader()
	}
	if r.err != nil && !r.headerOK() {
		return nil, r.err
	}
	return &r.hdr, nil
}

// headerOK reports whether the header was read whole.
func (r *Reader) headerOK() bool { return r.hdrRead && r.siteLive != nil }

// Scan advances to the next event, reading the header first if need be.
// It returns false at the end record or at the first error, which Err then
// returns.
func (r *Reader) Scan() bool {
	if _, err := r.Header(); err != nil || r.done || r.err != nil {
		return false
	}
	r.err = r.next()
	return r.err == nil && !r.done
}

// Event returns the event Scan read. It is valid until the next Scan.
func (r *Reader) Event() Event { return r.ev }

// Err returns the first error met, nil at a well-formed end.
func (r *Reader) Err() error { return r.err }

// Stats returns the figures of the events read so far; after the last
// Scan, the whole trace's. AtPeak is the Reader's; do not change it.
func (r *Reader) Stats() Stats { return r.stats }

func (r *Reader) syntax(format string, args ...any) error {
	return &SyntaxError{File: r.name, Event: r.n + 1, Offset: r.evOff, Msg: fmt.Sprintf(format, args...)}
}

func (r *Reader) readByte() (byte, error) {
	c, err := r.br.ReadByte()
	if err == nil {
		r.off++
	}
	return c, err
}

// ioError is a failure of the underlying reader, as opposed to a trace
// that breaks the format.
type ioError struct{ error }

func (r *Reader) ioFail(err error) error {
	return ioError{fmt.Errorf("trace %s: %w", r.name, err)}
}

// uvarint reads one varint field, named for messages.
func (r *Reader) uvarint(field string) (uint64, error) {
	var x uint64
	var s uint
	for i := range 10 {
		c, err := r.readByte()
		if err != nil {
			if err != io.EOF {
				return 0, r.ioFail(err)
			}
			if i == 0 {
				return 0, fmt.Errorf("truncated before %s", field)
			}
			return 0, fmt.Errorf("truncated in %s", field)
		}
		if c < 0x80 {
			if i == 9 && c > 1 {
				return 0, fmt.Errorf("%s: varint overflows 64 bits", field)
			}
			return x | uint64(c)<<s, nil
		}
		x |= uint64(c&0x7f) << s
		s += 7
	}
	return 0, fmt.Errorf("%s: varint longer than 10 bytes", field)
}

// fail turns a field's error into a SyntaxError at the current event,
// unless it is an I/O error.
func (r *Reader) fail(err error) error {
	var ioe ioError
	if errors.As(err, &ioe) {
		return ioe.error
	}
	return r.syntax("%v", err)
}

func (r *Reader) str(field string) (string, error) {
	n, err := r.uvarint(field + " length")
	if err != nil {
		return "", err
	}
	if n > MaxString {
		return "", fmt.Errorf("%s is %d bytes, more than the format's %d", field, n, MaxString)
	}
	b := make([]byte, n)
	for i := range b {
		c, err := r.readByte()
		if err != nil {
			if err == io.EOF {
				return "", fmt.Errorf("truncated in %s", field)
			}
			return "", r.ioFail(err)
		}
		b[i] = c
	}
	if !utf8.Valid(b) {
		return "", fmt.Errorf("%s is not UTF-8", field)
	}
	return string(b), nil
}

func (r *Reader) readHeader() error {
	hsyntax := func(off int64, format string, args ...any) error {
		return &SyntaxError{File: r.name, Offset: off, Msg: fmt.Sprintf(format, args...)}
	}
	var magic [len(Magic)]byte
	n, err := io.ReadFull(r.br, magic[:])
	r.off += int64(n)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return fmt.Errorf("trace %s: %w", r.name, err)
	}
	if string(magic[:n]) != Magic {
		if n == 0 {
			return hsyntax(0, "empty file, not a fanbench trace")
		}
		return hsyntax(0, "not a fanbench trace (starts with %q, want %q)", magic[:n], Magic)
	}
	field := func(err error) error {
		if err == nil {
			return nil
		}
		var ioe ioError
		if errors.As(err, &ioe) {
			return ioe.error
		}
		return hsyntax(r.off, "%v", err)
	}
	v, err := r.uvarint("version")
	if err != nil {
		return field(err)
	}
	if v != Version {
		return hsyntax(int64(len(Magic)), "format version %d; this reader knows version %d", v, Version)
	}
	h := &r.hdr
	if h.Scenario, err = r.str("scenario"); err != nil {
		return field(err)
	}
	if h.Strategy, err = r.str("strategy"); err != nil {
		return field(err)
	}
	if h.Limiter, err = r.str("limiter"); err != nil {
		return field(err)
	}
	if h.Seed, err = r.uvarint("seed"); err != nil {
		return field(err)
	}
	rep, err := r.uvarint("rep")
	if err != nil {
		return field(err)
	}
	if rep > math.MaxInt32 {
		return hsyntax(r.off, "repetition %d out of range", rep)
	}
	h.Rep = int(rep)
	nl, err := r.uvarint("label count")
	if err != nil {
		return field(err)
	}
	if nl > MaxLabels {
		return hsyntax(r.off, "%d labels, more than the format's %d", nl, MaxLabels)
	}
	if nl > 0 {
		h.Labels = make(map[string]string, nl)
	}
	for range nl {
		k, err := r.str("label key")
		if err != nil {
			return field(err)
		}
		if _, dup := h.Labels[k]; dup {
			return hsyntax(r.off, "label %q twice", k)
		}
		if h.Labels[k], err = r.str("label " + k); err != nil {
			return field(err)
		}
	}
	ns, err := r.uvarint("site count")
	if err != nil {
		return field(err)
	}
	if ns > MaxSites {
		return hsyntax(r.off, "%d sites, more than the format's %d", ns, MaxSites)
	}
	h.Sites = make([]string, ns)
	for i := range h.Sites {
		if h.Sites[i], err = r.str(fmt.Sprintf("site %d name", i)); err != nil {
			return field(err)
		}
	}
	r.siteLive = make([]int64, ns)
	r.stats.AtPeak = make([]int64, ns)
	return nil
}

// next reads one event or the end record.
func (r *Reader) next() error {
	r.evOff = r.off
	c, err := r.readByte()
	if err == io.EOF {
		return r.syntax("truncated: the file ends after %d events without its end record", r.n)
	}
	if err != nil {
		return fmt.Errorf("trace %s: %w", r.name, err)
	}
	k := Kind(c)
	if k == End {
		return r.end()
	}
	if k > Free {
		return r.syntax("unknown event kind 0x%02x", c)
	}
	e := Event{Kind: k}
	u := func(field string) int64 {
		if err != nil {
			return 0
		}
		var v uint64
		v, err = r.uvarint(k.String() + " " + field)
		if err == nil && v > math.MaxInt64 {
			err = fmt.Errorf("%s %s %d out of range", k, field, v)
		}
		return int64(v)
	}
	dt := u("dt")
	e.ID = uint64(u("id"))
	if err != nil {
		return r.fail(err)
	}
	if dt > math.MaxInt64-r.stats.End {
		return r.syntax("time passes 2^63-1 ns")
	}
	e.T = r.stats.End + dt
	b, isLive := r.live[e.ID]
	switch k {
	case Alloc:
		e.Task = uint64(u("task"))
		site := u("site")
		e.Cap = u("cap")
		e.Touched = u("touched")
		if err != nil {
			return r.fail(err)
		}
		switch {
		case isLive:
			return r.syntax("alloc of buffer %d, which is live", e.ID)
		case site >= int64(len(r.hdr.Sites)):
			return r.syntax("alloc: site %d outside the table of %d", site, len(r.hdr.Sites))
		case e.Cap > MaxCap:
			return r.syntax("alloc: capacity %d above the format's limit %d", e.Cap, int64(MaxCap))
		case e.Touched > e.Cap:
			return r.syntax("alloc: touched %d above capacity %d", e.Touched, e.Cap)
		}
		e.Site = int(site)
		b = live{cap: e.Cap, touched: e.Touched, site: e.Site}
		r.stats.LiveBuffers++
		r.stats.Allocated += e.Cap
		r.change(b.site, e.Cap)
	case Touch:
		e.Touched = u("touched")
		if err != nil {
			return r.fail(err)
		}
		switch {
		case !isLive:
			return r.syntax("touch of buffer %d, which is not live", e.ID)
		case e.Touched > b.cap:
			return r.syntax("touch: touched %d above buffer %d's capacity %d", e.Touched, e.ID, b.cap)
		case e.Touched < b.touched:
			return r.syntax("touch: touched %d below the %d already touched", e.Touched, b.touched)
		}
		b.touched = e.Touched
	case Grow:
		e.Cap = u("cap")
		e.Touched = u("touched")
		if err != nil {
			return r.fail(err)
		}
		switch {
		case !isLive:
			return r.syntax("grow of buffer %d, which is not live", e.ID)
		case e.Cap <= b.cap:
			return r.syntax("grow: capacity %d not above buffer %d's %d", e.Cap, e.ID, b.cap)
		case e.Cap > MaxCap:
			return r.syntax("grow: capacity %d above the format's limit %d", e.Cap, int64(MaxCap))
		case e.Touched > e.Cap:
			return r.syntax("grow: touched %d above capacity %d", e.Touched, e.Cap)
		case e.Touched < b.touched:
			return r.syntax("grow: touched %d below the %d already touched", e.Touched, b.touched)
		}
		r.stats.Allocated += e.Cap
		r.change(b.site, e.Cap-b.cap)
		b.cap, b.touched = e.Cap, e.Touched
	case Free:
		if !isLive {
			return r.syntax("free of buffer %d, which is not live", e.ID)
		}
		r.stats.LiveBuffers--
		r.change(b.site, -b.cap)
		delete(r.live, e.ID)
	}
	if k != Free {
		r.live[e.ID] = b
	}
	if k == Alloc {
		e.Site = b.site
	} else {
		e.Task, e.Site = 0, b.site
	}
	r.n++
	r.stats.Events = r.n
	r.stats.End = e.T
	if r.stats.Live > r.stats.PeakLive {
		r.stats.PeakLive, r.stats.PeakT, r.stats.PeakEvent = r.stats.Live, e.T, r.n
		copy(r.stats.AtPeak, r.siteLive)
	}
	r.ev = e
	return nil
}

// change adds d bytes to site s's live bytes and the total.
func (r *Reader) change(s int, d int64) {
	r.siteLive[s] += d
	r.stats.Live += d
}

func (r *Reader) end() error {
	count, err := r.uvarint("end count")
	if err != nil {
		var ioe ioError
		if errors.As(err, &ioe) {
			return ioe.error
		}
		return &SyntaxError{File: r.name, EndRecord: true, Offset: r.evOff, Msg: err.Error()}
	}
	if count != uint64(r.n) {
		return &SyntaxError{File: r.name, EndRecord: true, Offset: r.evOff,
			Msg: fmt.Sprintf("says %d events, the file has %d", count, r.n)}
	}
	if _, err := r.readByte(); err != io.EOF {
		if err != nil {
			return fmt.Errorf("trace %s: %w", r.name, err)
		}
		return &SyntaxError{File: r.name, EndRecord: true, Offset: r.evOff,
			Msg: fmt.Sprintf("data after the end record, at byte %d", r.off-1)}
	}
	r.done = true
	return nil
}
