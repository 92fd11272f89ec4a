package heaptrack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// ErrNoPrint is returned, wrapped, when a capture needs heaptrack_print and
// it is not installed.
var ErrNoPrint = errors.New("heaptrack_print not found (install Debian's heaptrack package, or pass heaptrack_print's text)")

// PrintArgs are the flags Print gives heaptrack_print: the peak consumers
// only, every stack whole (merged stacks show one representative's frames
// for a whole group), and enough of them to account for the peak.
var PrintArgs = []string{"--print-peaks=1", "--merge-backtraces=0", "--print-allocators=0", "--print-temporary=0", "--print-leaks=0", "--peak-limit=1000"}

// Print runs heaptrack_print on the capture at path and returns its text.
func Print(ctx context.Context, path string) ([]byte, error) {
	hp, err := exec.LookPath("heaptrack_print")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, ErrNoPrint)
	}
	cmd := exec.CommandContext(ctx, hp, append([]string{"--file", path}, PrintArgs...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("heaptrack_print %s: %w: %s", path, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// IsCapture reports whether data opens like a heaptrack capture rather than
// heaptrack_print's text: zstd or gzip compressed (heaptrack writes
// .zst, or .gz when built without zstd).
func IsCapture(data []byte) bool {
	return bytes.HasPrefix(data, []byte{0x28, 0xb5, 0x2f, 0xfd}) || bytes.HasPrefix(data, []byte{0x1f, 0x8b})
}

// Open reads the file at path: heaptrack_print's text, or a capture, which
// it prints with Print first. The text of a printed capture is returned
// too, for keeping beside the results.
func Open(ctx context.Context, path string) (*Capture, []byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	if IsCapture(data) {
		if data, err = Print(ctx, path); err != nil {
			return nil, nil, err
		}
		c, err := Parse(bytes.NewReader(data), path+" (heaptrack_print)")
		return c, data, err
	}
	c, err := Parse(bytes.NewReader(data), path)
	return c, data, err
}
