package heaptrack

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
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
		return nil, fmt.Errorf("heaptrack_print %s: %w: %s", path, err, firstLines(stderr.String(), 3))
	}
	if m := callsRe.FindSubmatch(stdout.Bytes()); m == nil || string(m[1]) == "0" {
		return nil, notCapture(ctx, path, stderr.String())
	}
	return stdout.Bytes(), nil
}

// callsRe finds heaptrack_print's count of allocation calls, which it
// prints as 0 for a file it could not read as a capture: it exits 0
// whatever it was given.
var callsRe = regexp.MustCompile(`(?m)^calls to allocation functions: (\d+)`)

// failedPrefix starts each line heaptrack_print could not parse, on its
// stderr.
const failedPrefix = "failed to parse line: "

// notCapture says why heaptrack_print read no allocation from the file at
// path, whose stderr it printed: not a heaptrack capture, positioned where
// that can be told (the decompressed first line, or the compression), or
// the capture of a process that allocated nothing.
func notCapture(ctx context.Context, path, stderr string) error {
	var failed int
	var first string
	for _, l := range strings.Split(stderr, "\n") {
		if rest, ok := strings.CutPrefix(l, failedPrefix); ok {
			if failed == 0 {
				first = rest
			}
			failed++
		}
	}
	line, known, err := firstDecompressed(ctx, path)
	switch {
	case err != nil:
		return fmt.Errorf("%s: not a heaptrack capture: %w", path, err)
	case known && line == "":
		return fmt.Errorf("%s: not a heaptrack capture: it decompresses to nothing", path)
	case known && !strings.HasPrefix(line, "v "):
		return fmt.Errorf("%s: decompressed line 1: not a heaptrack capture: it starts %q, where a capture starts with heaptrack's version line \"v …\"", path, clip(line))
	case failed > 0:
		return fmt.Errorf("%s: not a heaptrack capture: heaptrack_print read no allocation from it and could not parse %d of its lines, the first %q", path, failed, clip(first))
	}
	return fmt.Errorf("%s: not a heaptrack capture, or one of a process that allocated nothing: heaptrack_print read no allocation from it", path)
}

// firstDecompressed returns the first line of the capture at path,
// decompressed (gzip here, zstd with the zstd command when installed), and
// whether it could tell: known is false for a zstd capture without the
// zstd command. A compression it cannot undo is an error.
func firstDecompressed(ctx context.Context, path string) (line string, known bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", false, err
	}
	defer f.Close()
	var head [4]byte
	n, _ := io.ReadFull(f, head[:])
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", false, err
	}
	switch {
	case bytes.HasPrefix(head[:n], gzipMagic):
		zr, err := gzip.NewReader(f)
		if err != nil {
			return "", false, fmt.Errorf("byte 0: not a gzip stream: %w", err)
		}
		line, err := readLine(zr)
		if err != nil {
			return "", false, fmt.Errorf("gzip: %w", err)
		}
		return line, true, nil
	case bytes.HasPrefix(head[:n], zstdMagic):
		zstd, err := exec.LookPath("zstd")
		if err != nil {
			return "", false, nil
		}
		cmd := exec.CommandContext(ctx, zstd, "-dcq")
		cmd.Stdin = f
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			return "", false, err
		}
		if err := cmd.Start(); err != nil {
			return "", false, err
		}
		line, rerr := readLine(out)
		cmd.Process.Kill() // the first line is all it needs
		werr := cmd.Wait()
		if line == "" && werr != nil && stderr.Len() > 0 {
			msg := strings.TrimPrefix(firstLines(stderr.String(), 1), `/*stdin*\ : `)
			return "", false, fmt.Errorf("zstd cannot decompress it: %s", msg)
		}
		return line, rerr == nil, nil
	}
	return "", false, nil
}

// readLine reads the first line of r, at most 4 KiB of it.
func readLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	return strings.TrimRight(line, "\n"), nil
}

var (
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
	gzipMagic = []byte{0x1f, 0x8b}
)

// clip shortens s for a message.
func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// firstLines returns the first n non-empty lines of s, joined by "; ".
func firstLines(s string, n int) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && len(out) < n {
			out = append(out, l)
		}
	}
	return strings.Join(out, "; ")
}

// IsCapture reports whether data opens like a heaptrack capture rather than
// heaptrack_print's text: zstd or gzip compressed (heaptrack writes
// .zst, or .gz when built without zstd).
func IsCapture(data []byte) bool {
	return bytes.HasPrefix(data, zstdMagic) || bytes.HasPrefix(data, gzipMagic)
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
