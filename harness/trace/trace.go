package trace

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Version is the format version this package writes and reads.
const Version = 1

// Magic opens every trace file.
const Magic = "FBTRACE\n"

// Dir and Ext name where a traced run's trace goes in a results
// directory: Dir/<scenario>/<strategy>-<limiter>-<rep>Ext, beside the
// record runs/<scenario>/<strategy>-<limiter>-<rep>.json.
const (
	Dir = "traces"
	Ext = ".trace"
)

// Limits a reader enforces, so a foreign or corrupt file is an error
// rather than an absurd allocation.
const (
	// MaxCap is the largest capacity, in bytes, an event may carry (1 TiB).
	MaxCap = 1 << 40
	// MaxSites is the largest site table.
	MaxSites = 256
	// MaxLabels is the largest number of header labels.
	MaxLabels = 256
	// MaxString is the longest header string, in bytes.
	MaxString = 4096
)

// PathFor returns the trace path, relative to a results directory, of the
// run whose record is at recordPath (relative to the same directory:
// runs/<scenario>/<name>.json gives traces/<scenario>/<name>.trace; a path
// outside runs/ keeps only its file name).
func PathFor(recordPath string) string {
	rel, err := filepath.Rel("runs", recordPath)
	if err != nil || strings.HasPrefix(rel, "..") {
		rel = filepath.Base(recordPath)
	}
	return filepath.Join(Dir, rel[:len(rel)-len(filepath.Ext(rel))]+Ext)
}

// RecordFor is the inverse of PathFor: the record path, relative to the
// results directory, of the trace at tracePath (relative to it too).
func RecordFor(tracePath string) string {
	rel, err := filepath.Rel(Dir, tracePath)
	if err != nil || strings.HasPrefix(rel, "..") {
		rel = filepath.Base(tracePath)
	}
	return filepath.Join("runs", rel[:len(rel)-len(filepath.Ext(rel))]+".json")
}

// Kind is an event's type; its value is the byte that opens the event.
type Kind uint8

const (
	End   Kind = 0x00 // the end record; never returned by Reader.Event
	Alloc Kind = 0x01 // a buffer is allocated
	Touch Kind = 0x02 // more of a live buffer is written
	Grow  Kind = 0x03 // a live buffer is reallocated larger
	Free  Kind = 0x04 // a live buffer is freed
)

// String returns the kind's lowercase name.
func (k Kind) String() string {
	switch k {
	case End:
		return "end"
	case Alloc:
		return "alloc"
	case Touch:
		return "touch"
	case Grow:
		return "grow"
	case Free:
		return "free"
	}
	return fmt.Sprintf("kind(0x%02x)", uint8(k))
}

// Header describes the traced run. The writer is given it and stores it
// as is; only Sites has a meaning to the format.
type Header struct {
	Scenario string
	Strategy string
	Limiter  string
	Seed     uint64
	Rep      int // 1-based repetition; 0 unknown
	// Labels are further facts about the run (e.g. "payment": "single"),
	// written in key order.
	Labels map[string]string
	// Sites is the site table: an event's Site indexes it.
	Sites []string
}

// Event is one buffer event. Which fields mean something depends on Kind:
// ID always; Task, Site, Cap and Touched for Alloc; Cap and Touched for
// Grow; Touched for Touch.
type Event struct {
	Kind Kind
	// T is the simulated time of the event, in nanoseconds since the traced
	// phase began.
	T int64
	// ID names the buffer while it is live.
	ID uint64
	// Task is the simulated task that allocated the buffer.
	Task uint64
	// Site indexes Header.Sites.
	Site int
	// Cap is the capacity after the event, in bytes.
	Cap int64
	// Touched is the bytes written from the buffer's start so far, in all.
	Touched int64
}

// String formats the event for messages and tests, e.g.
// "alloc t=5 id=3 task=1 site=2 cap=16 touched=10".
func (e Event) String() string {
	switch e.Kind {
	case Alloc:
		return fmt.Sprintf("alloc t=%d id=%d task=%d site=%d cap=%d touched=%d", e.T, e.ID, e.Task, e.Site, e.Cap, e.Touched)
	case Touch:
		return fmt.Sprintf("touch t=%d id=%d touched=%d", e.T, e.ID, e.Touched)
	case Grow:
		return fmt.Sprintf("grow t=%d id=%d cap=%d touched=%d", e.T, e.ID, e.Cap, e.Touched)
	case Free:
		return fmt.Sprintf("free t=%d id=%d", e.T, e.ID)
	}
	return fmt.Sprintf("%v t=%d", e.Kind, e.T)
}
