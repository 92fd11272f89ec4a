package heaptrack

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Capture is what heaptrack_print said of one heaptrack capture. Byte
// figures are bytes, as heaptrack_print rounded them.
type Capture struct {
	// File is the name the text was read under, for messages.
	File string
	// PeakHeap is the "peak heap memory consumption"; when the text lacks
	// that line (an excerpt), it is the sum of the consumers' peaks and
	// PeakFromSummary is false.
	PeakHeap        int64
	PeakFromSummary bool
	// PeakRSS is the "peak RSS (including heaptrack overhead)", Leaked
	// the "total memory leaked"; 0 when absent.
	PeakRSS int64
	Leaked  int64
	// Consumers are the PEAK MEMORY CONSUMERS, in the text's order.
	Consumers []Consumer
	// Merged says the text used heaptrack_print's merged layout (its
	// default), whose shared frames are one representative's.
	Merged bool
}

// Consumer is one stack's memory at the heap's peak.
type Consumer struct {
	// Peak is its bytes at the peak; Calls its allocation calls.
	Peak  int64
	Calls int64
	// Frames is its stack, innermost (the allocation function) first. In
	// the merged layout the first Shared frames are its group's, printed
	// once for the group, from one representative backtrace.
	Frames []Frame
	Shared int
	// Line is the line of the text where it starts.
	Line int
	// Elided marks the "and X from N other places" of a merged group:
	// Places stacks heaptrack_print did not show; Frames holds only the
	// group's shared frames.
	Elided bool
	Places int
}

// Frame is one frame of a stack: the function as heaptrack_print printed
// it (demangled or not), and its "at" (file:line) and "in" (module) lines
// when given.
type Frame struct {
	Func string
	At   string
	In   string
}

// SyntaxError is text that is not heaptrack_print's, with its position.
type SyntaxError struct {
	File string
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

const peakSection = "PEAK MEMORY CONSUMERS"

var (
	sectionRe  = regexp.MustCompile(`^[A-Z][A-Z ]+[A-Z]$`)
	topRe      = regexp.MustCompile(`^(\S+) peak memory consumed over (\d+) calls from$`)
	subRe      = regexp.MustCompile(`^\s*(\S+) consumed over (\d+) calls from:$`)
	otherRe    = regexp.MustCompile(`^\s*and (\S+) from (\d+) other places$`)
	summaryRes = map[string]*regexp.Regexp{
		"peak":   regexp.MustCompile(`^peak heap memory consumption:\s*(.+?)\s*$`),
		"rss":    regexp.MustCompile(`^peak RSS \(including heaptrack overhead\):\s*(.+?)\s*$`),
		"leaked": regexp.MustCompile(`^total memory leaked:\s*(.+?)\s*$`),
	}
	sizeRe = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*([KMGT]i?)?B?$`)
)

// ParseSize reads one of heaptrack_print's sizes ("272.74M", "773B",
// "570.98 MB", "4.00GiB") as bytes: K, M, G, T decimal, Ki, Mi, Gi, Ti
// binary, rounded to the byte. It reads another program's rounded output,
// not a size a user gives fanbench: those are read by
// quantity.ParseBytes, which takes exact sizes only.
func ParseSize(s string) (int64, error) {
	m := sizeRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	mult := map[string]float64{"": 1, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
		"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40}[m[2]]
	v *= mult
	if v > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return int64(math.Round(v)), nil
}

// group is one consumer block of the peak section while it is read.
type group struct {
	top    Consumer
	subs   []Consumer
	inSub  bool
	other  *Consumer
	closed bool
}

func (g *group) frames() *[]Frame {
	if g.inSub {
		return &g.subs[len(g.subs)-1].Frames
	}
	return &g.top.Frames
}

// consumers returns the group's consumers: itself when heaptrack_print
// showed no backtraces under it, else each backtrace with the shared
// frames before its own, and the elided rest.
func (g *group) consumers() []Consumer {
	if len(g.subs) == 0 && g.other == nil {
		return []Consumer{g.top}
	}
	var out []Consumer
	for _, s := range g.subs {
		s.Frames = append(append([]Frame{}, g.top.Frames...), s.Frames...)
		s.Shared = len(g.top.Frames)
		out = append(out, s)
	}
	if g.other != nil {
		o := *g.other
		o.Frames = append([]Frame{}, g.top.Frames...)
		o.Shared = len(o.Frames)
		out = append(out, o)
	}
	return out
}

// Parse reads heaptrack_print's text; name is the file's name for
// messages.
func Parse(r io.Reader, name string) (*Capture, error) {
	c := &Capture{File: name}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20) // mangled names can be long
	var (
		n          int
		first      string
		section    string
		sectionAt  int
		g          *group
		sawSection bool
	)
	fail := func(line int, format string, args ...any) error {
		return &SyntaxError{File: name, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	flush := func() {
		if g != nil {
			c.Consumers = append(c.Consumers, g.consumers()...)
			g = nil
		}
	}
	for sc.Scan() {
		n++
		raw := sc.Bytes()
		if bytes.IndexByte(raw, 0) >= 0 {
			return nil, fail(n, "binary data, not heaptrack_print's text (a heaptrack capture? it needs heaptrack_print to be read)")
		}
		line := strings.TrimRight(string(raw), " \t\r")
		trim := strings.TrimSpace(line)
		if first == "" && trim != "" {
			first = trim
		}
		if trim == "" {
			continue
		}
		if sectionRe.MatchString(line) {
			flush()
			section, sectionAt = line, n
			if section == peakSection {
				sawSection = true
			}
			continue
		}
		if done, err := c.summary(trim, n, name); err != nil {
			return nil, err
		} else if done {
			flush()
			section = ""
			continue
		}
		if section != peakSection {
			continue
		}
		if m := topRe.FindStringSubmatch(line); m != nil {
			flush()
			peak, err := ParseSize(m[1])
			if err != nil {
				return nil, fail(n, "consumer: %v", err)
			}
			calls, _ := strconv.ParseInt(m[2], 10, 64)
			g = &group{top: Consumer{Peak: peak, Calls: calls, Line: n}}
			continue
		}
		if g == nil {
			// heaptrack_print's warnings before the first consumer
			// (older versions warn that merged peaks are approximate).
			continue
		}
		if m := subRe.FindStringSubmatch(line); m != nil {
			peak, err := ParseSize(m[1])
			if err != nil {
				return nil, fail(n, "backtrace: %v", err)
			}
			calls, _ := strconv.ParseInt(m[2], 10, 64)
			if g.other != nil {
				return nil, fail(n, "backtrace after the group's \"other places\" line")
			}
			g.subs = append(g.subs, Consumer{Peak: peak, Calls: calls, Line: n})
			g.inSub = true
			c.Merged = true
			continue
		}
		if m := otherRe.FindStringSubmatch(line); m != nil {
			peak, err := ParseSize(m[1])
			if err != nil {
				return nil, fail(n, "other places: %v", err)
			}
			places, _ := strconv.Atoi(m[2])
			if peak > 0 {
				g.other = &Consumer{Peak: peak, Line: n, Elided: true, Places: places}
			}
			c.Merged = true
			continue
		}
		if g.other != nil {
			return nil, fail(n, "frame %q after the group's \"other places\" line", trim)
		}
		fr := g.frames()
		switch {
		case strings.HasPrefix(trim, "at ") && line != trim:
			if len(*fr) == 0 {
				return nil, fail(n, "location %q before any frame", trim)
			}
			(*fr)[len(*fr)-1].At = strings.TrimPrefix(trim, "at ")
		case strings.HasPrefix(trim, "in ") && line != trim:
			if len(*fr) == 0 {
				return nil, fail(n, "module %q before any frame", trim)
			}
			(*fr)[len(*fr)-1].In = strings.TrimPrefix(trim, "in ")
		default:
			*fr = append(*fr, Frame{Func: trim})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	flush()
	if !sawSection && !c.PeakFromSummary {
		if first == "" {
			return nil, fail(1, "empty, not heaptrack_print's text")
		}
		if len(first) > 60 {
			first = first[:60] + "…"
		}
		return nil, fail(1, "not heaptrack_print's text: no %q section and no \"peak heap memory consumption:\" line (it starts %q)", peakSection, first)
	}
	if !sawSection {
		return nil, fail(n, "no %q section: heaptrack_print prints it with --print-peaks (its default)", peakSection)
	}
	if len(c.Consumers) == 0 {
		return nil, fail(sectionAt, "the %q section lists no consumer", peakSection)
	}
	if !c.PeakFromSummary {
		for _, k := range c.Consumers {
			c.PeakHeap += k.Peak
		}
	}
	return c, nil
}

// summary reads a summary line into c and reports whether it was one.
func (c *Capture) summary(line string, n int, name string) (bool, error) {
	for k, re := range summaryRes {
		m := re.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		v, err := ParseSize(m[1])
		if err != nil {
			return false, &SyntaxError{File: name, Line: n, Msg: fmt.Sprintf("%s: %v", strings.SplitN(line, ":", 2)[0], err)}
		}
		switch k {
		case "peak":
			c.PeakHeap, c.PeakFromSummary = v, true
		case "rss":
			c.PeakRSS = v
		case "leaked":
			c.Leaked = v
		}
		return true, nil
	}
	if strings.HasPrefix(line, "total runtime:") || strings.HasPrefix(line, "calls to allocation functions:") ||
		strings.HasPrefix(line, "temporary memory allocations:") {
		return true, nil
	}
	return false, nil
}
