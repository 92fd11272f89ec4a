package golden

import (
	"fmt"
	"strings"
)

// op is one line of an edit script: a line of want kept (' '), removed
// ('-') or a line of got added ('+'), with its line numbers (from 1) in
// want and in got, 0 in the text it is not in.
type op struct {
	kind   byte
	wl, gl int
	text   string
}

// Diff shows how got differs from want, line by line: each run of changes
// as a hunk "@@ want L,N got M,K @@" with the removed lines of want (-) and
// the added lines of got (+), each numbered, and up to context unchanged
// lines around them. A line inserted or removed shows as one line, not as
// every later line moved. The edit script is a shortest one (Myers, "An
// O(ND) Difference Algorithm and Its Variations", 1986).
func Diff(want, got string) string {
	return format(edits(strings.Split(want, "\n"), strings.Split(got, "\n")), 1)
}

// edits returns a shortest edit script from a to b.
func edits(a, b []string) []op {
	// The common prefix and suffix need no search.
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var out []op
	for i := range pre {
		out = append(out, op{' ', i + 1, i + 1, a[i]})
	}
	out = append(out, myers(a[pre:len(a)-suf], b[pre:len(b)-suf], pre)...)
	for i := range suf {
		out = append(out, op{' ', len(a) - suf + i + 1, len(b) - suf + i + 1, a[len(a)-suf+i]})
	}
	return out
}

// myers returns a shortest edit script from a to b, whose lines are
// numbered from off+1 in their texts.
func myers(a, b []string, off int) []op {
	n, m := len(a), len(b)
	max := n + m
	v := make([]int, 2*max+2) // v[k+max]: the furthest x on diagonal k
	var trace [][]int
	for d := 0; d <= max; d++ {
		trace = append(trace, append([]int(nil), v...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || k != d && v[k-1+max] < v[k+1+max] {
				x = v[k+1+max] // down: insert b[y]
			} else {
				x = v[k-1+max] + 1 // right: delete a[x]
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[k+max] = x
			if x >= n && y >= m {
				return backtrack(trace, a, b, off, d, max)
			}
		}
	}
	return nil // unreachable: d = n + m always reaches the end
}

// backtrack walks the search of myers back from (len(a), len(b)) at depth
// d and returns the edit script in order.
func backtrack(trace [][]int, a, b []string, off, d, max int) []op {
	x, y := len(a), len(b)
	var rev []op
	for ; d >= 0; d-- {
		v := trace[d]
		k := x - y
		var prevK int
		if k == -d || k != d && v[k-1+max] < v[k+1+max] {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := v[prevK+max]
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			x, y = x-1, y-1
			rev = append(rev, op{' ', off + x + 1, off + y + 1, a[x]})
		}
		if d == 0 {
			break
		}
		if x == prevX {
			y--
			rev = append(rev, op{'+', 0, off + y + 1, b[y]})
		} else {
			x--
			rev = append(rev, op{'-', off + x + 1, 0, a[x]})
		}
	}
	out := make([]op, len(rev))
	for i, o := range rev {
		out[len(rev)-1-i] = o
	}
	return out
}

// format writes the changes of ops in hunks, each with up to context
// unchanged lines before and after.
func format(ops []op, context int) string {
	var b strings.Builder
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		// A hunk: from context lines before the change to context lines
		// after the last change that is within 2×context of the next.
		start := max(0, i-context)
		end := i
		for j := i; j < len(ops); j++ {
			if ops[j].kind != ' ' {
				end = j + 1
			} else if j-end >= 2*context {
				break
			}
		}
		end = min(len(ops), end+context)
		fmt.Fprintf(&b, "@@ %s @@\n", span(ops[start:end]))
		for _, o := range ops[start:end] {
			n := o.wl
			if o.kind == '+' {
				n = o.gl
			}
			fmt.Fprintf(&b, "%c%5d %q\n", o.kind, n, o.text)
		}
		i = end
	}
	return b.String()
}

// span names the lines of want and got a hunk covers: "want 3,2 got 3,3"
// (the first line and the count).
func span(ops []op) string {
	var w, g []int
	for _, o := range ops {
		if o.wl > 0 {
			w = append(w, o.wl)
		}
		if o.gl > 0 {
			g = append(g, o.gl)
		}
	}
	return fmt.Sprintf("want %s got %s", lines(w), lines(g))
}

func lines(ns []int) string {
	if len(ns) == 0 {
		return "none"
	}
	return fmt.Sprintf("%d,%d", ns[0], len(ns))
}
