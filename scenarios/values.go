package scenarios

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// mapStart is where a mapping starts: its first key for a block mapping,
// its brace for a flow mapping.
func (d *decoder) mapStart(n ast.Node) Position {
	if m, ok := n.(*ast.MappingNode); ok && !m.IsFlowStyle && len(m.Values) > 0 && m.Values[0].Key != nil {
		return nodePos(d.file, m.Values[0].Key)
	}
	return nodePos(d.file, n)
}

// mapping decodes the mapping at f with keys, in the file's order, and
// returns the names it set. It rejects unknown and repeated keys.
func (d *decoder) mapping(f field, keys []key) (map[string]bool, error) {
	if err := d.plain(f); err != nil {
		return nil, err
	}
	m, ok := f.val.(*ast.MappingNode)
	if !ok {
		return nil, d.wrongType(f, "a mapping of "+keyNames(keys))
	}
	set := make(map[string]bool, len(m.Values))
	for _, mv := range m.Values {
		kf := field{path: f.path, pos: nodePos(d.file, mv.Key)}
		name, err := d.keyName(kf, mv.Key)
		if err != nil {
			return nil, err
		}
		kf.path = join(f.path, name)
		kf.val = mv.Value
		if set[name] {
			return nil, d.errorf(kf, "duplicate key (first set at line %d)", d.pos[kf.path].Line)
		}
		i := slices.IndexFunc(keys, func(k key) bool { return k.name == name })
		if i >= 0 && keys[i].set == nil {
			return nil, d.errorf(kf, "%s", goneKeys[kf.path])
		}
		if i < 0 {
			var names []string
			for _, k := range keys {
				if k.set != nil {
					names = append(names, k.name)
				}
			}
			return nil, d.errorf(kf, "unknown field (known: %s)%s", keyNames(keys), suggest(name, names))
		}
		set[name] = true
		d.pos[kf.path] = kf.pos
		if err := keys[i].set(kf); err != nil {
			return nil, err
		}
	}
	return set, nil
}

// keyName returns the text of a mapping key, which must be a plain scalar.
func (d *decoder) keyName(f field, k ast.MapKeyNode) (string, error) {
	switch k := k.(type) {
	case *ast.StringNode:
		return k.Value, nil
	case *ast.MergeKeyNode:
		return "", d.errorf(f, "YAML merge keys (<<) are not supported in scenario files")
	case ast.ScalarNode:
		// A number, boolean or null as a key: no field has such a name.
		return k.String(), nil
	}
	return "", d.errorf(f, "a key must be a field name, not %s", describe(k))
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func keyNames(keys []key) string {
	var names []string
	for _, k := range keys {
		if k.set != nil {
			names = append(names, k.name)
		}
	}
	return strings.Join(names, ", ")
}

// plain rejects the YAML features a scenario does not use, and values left
// empty, with a message that says so.
func (d *decoder) plain(f field) error {
	switch n := f.val.(type) {
	case nil, *ast.NullNode:
		return d.errorf(f, "has no value")
	case *ast.AnchorNode:
		return d.errorf(f, "YAML anchors (&%s) are not supported in scenario files", n.Name)
	case *ast.AliasNode:
		return d.errorf(f, "YAML aliases (*%s) are not supported in scenario files", n.Value)
	case *ast.TagNode:
		return d.errorf(f, "YAML tags (%s) are not supported in scenario files", tokenValue(n))
	}
	return nil
}

func (d *decoder) wrongType(f field, want string) error {
	return d.errorf(f, "want %s, got %s", want, describe(f.val))
}

// describe names a node's kind and value for messages: `the integer 5`.
func describe(n ast.Node) string {
	switch n := n.(type) {
	case *ast.StringNode:
		return strconv.Quote(n.Value)
	case *ast.IntegerNode:
		return "the integer " + tokenValue(n)
	case *ast.FloatNode:
		return "the number " + tokenValue(n)
	case *ast.BoolNode:
		return "the boolean " + tokenValue(n)
	case *ast.InfinityNode, *ast.NanNode:
		return tokenValue(n)
	case *ast.MappingNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.LiteralNode:
		return "a block string"
	case *ast.MappingKeyNode:
		return "a complex key (?)"
	}
	return fmt.Sprint(n.Type())
}

// tokenValue is the text of n's token as written, or "" if it has none.
func tokenValue(n ast.Node) string {
	if tk := n.GetToken(); tk != nil {
		return tk.Value
	}
	return ""
}

// quoted reports whether a string node was written in quotes, so that "5"
// is a string even where a number would be read from 5.
func quoted(n *ast.StringNode) bool {
	return n.Token != nil && (n.Token.Type == token.SingleQuoteType || n.Token.Type == token.DoubleQuoteType)
}

func (d *decoder) str(f field) (string, error) {
	if err := d.plain(f); err != nil {
		return "", err
	}
	switch n := f.val.(type) {
	case *ast.StringNode:
		return n.Value, nil
	case *ast.LiteralNode:
		if n.Value != nil {
			return n.Value.Value, nil
		}
	}
	return "", d.wrongType(f, "a string")
}

// list returns the items of the sequence at f, each with its indexed path
// and position, recorded for Spec.Pos.
func (d *decoder) list(f field) ([]field, error) {
	if err := d.plain(f); err != nil {
		return nil, err
	}
	seq, ok := f.val.(*ast.SequenceNode)
	if !ok {
		return nil, d.wrongType(f, "a list")
	}
	items := make([]field, len(seq.Values))
	for i, v := range seq.Values {
		items[i] = field{path: fmt.Sprintf("%s[%d]", f.path, i), pos: nodePos(d.file, v), val: v}
		d.pos[items[i].path] = items[i].pos
	}
	return items, nil
}

func (d *decoder) strList(f field) ([]string, error) {
	items, err := d.list(f)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(items))
	for i, item := range items {
		if out[i], err = d.str(item); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// strOrList decodes one string, or a list of them.
func (d *decoder) strOrList(f field) ([]string, error) {
	if _, ok := f.val.(*ast.SequenceNode); ok {
		l, err := d.strList(f)
		if err == nil && len(l) == 0 {
			err = d.errorf(f, "lists nothing (omit the key for the default)")
		}
		return l, err
	}
	v, err := d.str(f)
	return []string{v}, err
}

func (d *decoder) boolean(f field) (bool, error) {
	if err := d.plain(f); err != nil {
		return false, err
	}
	if n, ok := f.val.(*ast.BoolNode); ok {
		return n.Value, nil
	}
	return false, d.wrongType(f, "true or false")
}

// integer decodes a whole number that fits an int.
func (d *decoder) integer(f field) (int, error) {
	if err := d.plain(f); err != nil {
		return 0, err
	}
	switch n := f.val.(type) {
	case *ast.IntegerNode:
		switch v := n.Value.(type) {
		case int64:
			if v >= math.MinInt && v <= math.MaxInt {
				return int(v), nil
			}
		case uint64:
			if v <= math.MaxInt {
				return int(v), nil
			}
		}
		return 0, d.errorf(f, "%s is out of range", tokenValue(n))
	case *ast.StringNode:
		if !quoted(n) && isDigits(strings.TrimPrefix(n.Value, "-")) {
			return 0, d.errorf(f, "%s is out of range", n.Value)
		}
	}
	return 0, d.wrongType(f, "a whole number")
}

// uint decodes a whole number ≥ 0 that fits a uint64.
func (d *decoder) uint(f field) (uint64, error) {
	if err := d.plain(f); err != nil {
		return 0, err
	}
	switch n := f.val.(type) {
	case *ast.IntegerNode:
		switch v := n.Value.(type) {
		case int64:
			if v >= 0 {
				return uint64(v), nil
			}
		case uint64:
			return v, nil
		}
		return 0, d.errorf(f, "must be ≥ 0 (got %s)", tokenValue(n))
	case *ast.StringNode:
		if !quoted(n) && isDigits(strings.TrimPrefix(n.Value, "-")) {
			return 0, d.errorf(f, "%s is out of range (at most %d)", n.Value, uint64(math.MaxUint64))
		}
	}
	return 0, d.wrongType(f, "a whole number ≥ 0")
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// number decodes a finite number. An unquoted string that Go reads as a
// number counts: the YAML parser leaves 1e-3 as a string.
func (d *decoder) number(f field) (float64, error) {
	if err := d.plain(f); err != nil {
		return 0, err
	}
	var v float64
	switch n := f.val.(type) {
	case *ast.IntegerNode:
		switch x := n.Value.(type) {
		case int64:
			v = float64(x)
		case uint64:
			v = float64(x)
		}
	case *ast.FloatNode:
		v = n.Value
	case *ast.StringNode:
		x, err := strconv.ParseFloat(n.Value, 64)
		if quoted(n) || err != nil {
			return 0, d.wrongType(f, "a number")
		}
		v = x
	case *ast.InfinityNode, *ast.NanNode:
	default:
		return 0, d.wrongType(f, "a number")
	}
	if math.IsInf(v, 0) || math.IsNaN(v) || isNonFinite(f.val) {
		return 0, d.errorf(f, "must be a finite number (got %s)", f.val)
	}
	return v, nil
}

func isNonFinite(n ast.Node) bool {
	switch n.(type) {
	case *ast.InfinityNode, *ast.NanNode:
		return true
	}
	return false
}

// size decodes a byte count: a whole number of bytes, or a string with a
// unit such as 20MiB.
func (d *decoder) size(f field) (int64, error) {
	if err := d.plain(f); err != nil {
		return 0, err
	}
	switch n := f.val.(type) {
	case *ast.IntegerNode:
		if v, ok := n.Value.(int64); ok && v >= 0 {
			return v, nil
		}
		if v, ok := n.Value.(uint64); ok && v <= math.MaxInt64 {
			return int64(v), nil
		}
		return 0, d.errorf(f, "%s is not a size in bytes (want a number and an optional unit: %s; e.g. 20MiB)", tokenValue(n), byteUnitList)
	case *ast.StringNode:
		v, err := ParseBytes(n.Value)
		if err != nil {
			return 0, d.errorf(f, "%v", err)
		}
		return v, nil
	}
	return 0, d.wrongType(f, "a size in bytes such as 20MiB")
}

// sizes decodes source.size: one byte count, or a list of them to sweep
// (a list of one is that size alone).
func (d *decoder) sizes(f field) (int64, []int64, error) {
	if _, ok := f.val.(*ast.SequenceNode); !ok {
		n, err := d.size(f)
		return n, nil, err
	}
	items, err := d.list(f)
	if err != nil {
		return 0, nil, err
	}
	if len(items) == 0 {
		return 0, nil, d.errorf(f, "lists no size")
	}
	out := make([]int64, len(items))
	for i, item := range items {
		if out[i], err = d.size(item); err != nil {
			return 0, nil, err
		}
	}
	if len(out) == 1 {
		return out[0], nil, nil
	}
	return 0, out, nil
}

// positiveSize decodes a byte count > 0.
func (d *decoder) positiveSize(f field) (int64, error) {
	v, err := d.size(f)
	if err == nil && v == 0 {
		err = d.errorf(f, "must be > 0 (remove the key for no limit)")
	}
	return v, err
}

// bandwidth decodes bits per second from a string with a unit.
func (d *decoder) bandwidth(f field) (float64, error) {
	if err := d.plain(f); err != nil {
		return 0, err
	}
	switch n := f.val.(type) {
	case *ast.StringNode:
		v, err := parseBandwidth(n.Value)
		if err != nil {
			return 0, d.errorf(f, "%v", err)
		}
		return v, nil
	case *ast.IntegerNode, *ast.FloatNode:
		return 0, d.errorf(f, "%s needs a unit: %s (e.g. 100Mbit)", tokenValue(n), bandwidthUnitList)
	}
	return 0, d.wrongType(f, "a bandwidth such as 100Mbit")
}

// duration decodes a Go duration such as 20ms or 1m30s; a bare 0 is 0.
func (d *decoder) duration(f field) (time.Duration, error) {
	if err := d.plain(f); err != nil {
		return 0, err
	}
	switch n := f.val.(type) {
	case *ast.StringNode:
		v, err := time.ParseDuration(n.Value)
		if err != nil {
			return 0, d.errorf(f, "%q is not a duration (e.g. 20ms, 1m30s)", n.Value)
		}
		return v, nil
	case *ast.IntegerNode:
		if n.Value == int64(0) || n.Value == uint64(0) {
			return 0, nil
		}
		return 0, d.errorf(f, "%s needs a unit (e.g. 20ms, 10m)", tokenValue(n))
	case *ast.FloatNode:
		return 0, d.errorf(f, "%s needs a unit (e.g. 20ms, 10m)", tokenValue(n))
	}
	return 0, d.wrongType(f, "a duration such as 20ms")
}
