package scenarios

import "fmt"

// Bounds on a scenario file's structure, checked on its bytes before the
// YAML parser sees them. goccy/go-yaml's time and memory grow faster than
// linearly with nesting: 64 KiB of '[' took 19-34 s and 6.4 GB to refuse.
// A real scenario nests 4 deep (budgets → item → key → value) and holds
// about 60 values.
const (
	// MaxDepth is the deepest nesting of mappings and lists, block or flow.
	MaxDepth = 16
	// MaxNodes is the most keys, list items and flow collections a file may
	// hold.
	MaxNodes = 2048
)

// checkStructure scans data as YAML's lexer would, well enough to bound
// its structure, and returns an *Error at the first place where nesting
// passes MaxDepth or the node count passes MaxNodes. It counts flow
// collections ([ and {, outside quotes and comments), block nesting
// (indentation levels, and each "- " that opens a list item), keys ("k:"
// followed by a space or the line's end) and items (", " in a flow, "- "
// in a block). It overestimates rather than underestimates: it may count
// a colon inside a plain value as a key, never miss a real one. It takes
// linear time and no memory beyond the indentation stack.
func checkStructure(file string, data []byte) error {
	var (
		flow    int   // depth of [ and { open
		indents []int // indentation of the open block levels
		nodes   int
		quote   byte // the open quote, 0 when none
	)
	fail := func(line, col int, format string, args ...any) error {
		return &Error{Pos: Position{File: file, Line: line, Col: col}, Msg: fmt.Sprintf(format, args...)}
	}
	over := func(line, col, depth int) error {
		if depth > MaxDepth {
			return fail(line, col, "nested more than %d levels deep: a scenario file nests 4 deep (budgets, an item, a key, a value)", MaxDepth)
		}
		if nodes > MaxNodes {
			return fail(line, col, "more than %d keys, items and collections: a scenario file holds about 60", MaxNodes)
		}
		return nil
	}
	line, start := 1, 0
	for start <= len(data) {
		end := start
		for end < len(data) && data[end] != '\n' {
			end++
		}
		l := data[start:end]
		i := 0
		block := len(indents)
		if quote == 0 && flow == 0 {
			// A new line outside any flow or quote: its indentation closes
			// or opens block levels.
			for i < len(l) && l[i] == ' ' {
				i++
			}
			if i < len(l) && l[i] != '#' && l[i] != '\r' {
				for len(indents) > 0 && indents[len(indents)-1] >= i {
					indents = indents[:len(indents)-1]
				}
				indents = append(indents, i)
				block = len(indents)
			}
			// Each "- " opens a list item, nested in the one before.
			for i+1 < len(l) && l[i] == '-' && (l[i+1] == ' ' || l[i+1] == '\t') || i+1 == len(l) && i < len(l) && l[i] == '-' {
				block++
				nodes++
				if err := over(line, i+1, block); err != nil {
					return err
				}
				i += 2
				for i < len(l) && l[i] == ' ' {
					i++
				}
			}
			if err := over(line, i+1, block); err != nil {
				return err
			}
		}
		tokenStart := true // at the start of a token: a quote opens here
		for ; i < len(l); i++ {
			c := l[i]
			if quote != 0 {
				switch {
				case quote == '"' && c == '\\':
					i++ // the escaped character
				case c == quote:
					if quote == '\'' && i+1 < len(l) && l[i+1] == '\'' {
						i++ // '' inside single quotes
						continue
					}
					quote = 0
				}
				continue
			}
			switch {
			case c == '#' && (i == 0 || l[i-1] == ' ' || l[i-1] == '\t'):
				i = len(l) // a comment to the line's end
				continue
			case (c == '"' || c == '\'') && tokenStart:
				quote = c
			case c == '[' || c == '{':
				flow++
				nodes++
				if err := over(line, i+1, block+flow); err != nil {
					return err
				}
			case c == ']' || c == '}':
				if flow > 0 {
					flow--
				}
			case c == ',' && flow > 0:
				nodes++
			case c == ':' && (i+1 == len(l) || l[i+1] == ' ' || l[i+1] == '\t' || flow > 0 && (l[i+1] == ',' || l[i+1] == ']' || l[i+1] == '}')):
				nodes++
			}
			if err := over(line, i+1, block+flow); err != nil {
				return err
			}
			tokenStart = c == ' ' || c == '\t' || c == '[' || c == '{' || c == ',' || c == ':' || c == '-'
		}
		line++
		start = end + 1
	}
	return nil
}
