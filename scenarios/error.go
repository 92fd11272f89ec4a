package scenarios

import (
	"strconv"
	"strings"
)

// Position is a place in a scenario file. Line and Col count from 1; a zero
// Line stands for the file as a whole, a zero Col for the whole line.
type Position struct {
	// File is where the scenario came from: a path as given to Load, or
	// "builtin:NAME.yaml" for a built-in.
	File string
	Line int
	Col  int
}

// String returns "file:line:col", dropping the parts that are unknown:
// "file:line" without a column, "file" without a line, "line:col" without
// a file.
func (p Position) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		if p.File != "" {
			b.WriteByte(':')
		}
		b.WriteString(strconv.Itoa(p.Line))
		if p.Col > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(p.Col))
		}
	}
	return b.String()
}

// Error is a problem with a scenario file: where it is, the field it
// concerns and what is wrong. Every error Parse returns is an *Error, and so
// is every error Validate returns.
type Error struct {
	// Pos is where the problem is: the key of the field, the item of a
	// list, or the character where the YAML syntax breaks.
	Pos Position
	// Field is the dotted path of the field, such as "network.faults.fail";
	// list items are indexed from 0, as in "budgets[1].max". It is empty
	// for problems of the file as a whole (YAML syntax, an empty file).
	Field string
	// Msg says what is wrong, without the position or the field.
	Msg string
}

// Error returns "file:line:col: field: msg", without the parts that are
// empty.
func (e *Error) Error() string {
	var b strings.Builder
	if p := e.Pos.String(); p != "" {
		b.WriteString(p)
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}
