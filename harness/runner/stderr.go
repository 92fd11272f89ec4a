package runner

import (
	"bytes"
	"fmt"
	"strings"
)

// Stderr of a child is kept in part for crash records: its first
// stderrHead bytes (where a panic or fatal error names itself, before any
// goroutine dump) and its last stderrTail bytes.
const (
	stderrHead = 2 << 10
	stderrTail = 8 << 10
)

// stderrBuffer keeps the head and the tail of a child's stderr, at most
// stderrHead + 2*stderrTail bytes whatever the child writes. Written by
// exec's copying goroutine, read after Wait.
type stderrBuffer struct {
	head  []byte
	tail  []byte
	total int64 // bytes written
}

func (b *stderrBuffer) Write(p []byte) (int, error) {
	n := len(p)
	b.total += int64(n)
	if room := stderrHead - len(b.head); room > 0 {
		k := min(room, len(p))
		b.head = append(b.head, p[:k]...)
		p = p[k:]
	}
	switch {
	case len(p) >= stderrTail:
		b.tail = append(b.tail[:0], p[len(p)-stderrTail:]...)
	case len(b.tail)+len(p) > 2*stderrTail:
		keep := stderrTail - len(p)
		b.tail = append(b.tail[:copy(b.tail, b.tail[len(b.tail)-keep:])], p...)
	default:
		b.tail = append(b.tail, p...)
	}
	return n, nil
}

// String is the head, a note of what was left out if anything, and the
// last stderrTail bytes.
func (b *stderrBuffer) String() string {
	t := b.tail
	if len(t) > stderrTail {
		t = t[len(t)-stderrTail:]
	}
	dropped := b.total - int64(len(b.head)) - int64(len(t))
	if dropped <= 0 {
		return string(b.head) + string(t)
	}
	if i := bytes.IndexByte(t, '\n'); i >= 0 && i < 256 {
		dropped += int64(i + 1)
		t = t[i+1:]
	}
	return fmt.Sprintf("%s\n[... %d bytes of stderr left out ...]\n%s", b.head, dropped, t)
}

// describe is "; stderr:\n<stderr>" for an error message, or a note that
// the child wrote nothing there.
func (b *stderrBuffer) describe() string {
	if b.total == 0 {
		return "; stderr empty"
	}
	return "; stderr:\n" + strings.TrimRight(b.String(), "\n")
}
