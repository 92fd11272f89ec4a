package scenarios

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// MaxFileSize is the largest scenario file Parse accepts, in bytes. Real
// scenarios are about 1 KiB. With MaxDepth and MaxNodes, which bound the
// structure inside, it keeps the YAML parser quick on any input.
const MaxFileSize = 64 << 10

// Parse decodes a scenario file. file names it in positions (a path, or
// "builtin:NAME.yaml"). A file longer than MaxFileSize, nested deeper than
// MaxDepth or holding more than MaxNodes values is refused before it is
// parsed. Decoding is strict: unknown keys, duplicate keys,
// values of the wrong type or unit, impossible values and YAML anchors,
// aliases and tags are errors. It fills in the defaults and validates the
// result. Every error is an *Error; Parse does not panic on any input.
func Parse(file string, data []byte) (*Spec, error) {
	s, err := parse(file, data)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Load reads and parses the scenario file at path. Errors reading the file
// are returned as they are (they name the path); errors in its content are
// *Error values positioned in it.
func Load(path string) (*Spec, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// One byte more than the limit, so Parse sees a file that is too long.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("scenarios: %w", err)
	}
	return Parse(path, data)
}

func parse(file string, data []byte) (*Spec, error) {
	if len(data) > MaxFileSize {
		line, col := lineCol(data, MaxFileSize)
		return nil, &Error{Pos: Position{File: file, Line: line, Col: col},
			Msg: fmt.Sprintf("file too long: a scenario file is at most %d KiB", MaxFileSize>>10)}
	}
	if err := checkStructure(file, data); err != nil {
		return nil, err
	}
	doc, err := parseYAML(file, data)
	if err != nil {
		return nil, err
	}
	d := &decoder{file: file}
	s, err := d.spec(doc)
	if err != nil {
		return nil, err
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// lineCol returns the 1-based line and column (in bytes) of data[off].
func lineCol(data []byte, off int) (line, col int) {
	before := data[:off]
	line = 1 + strings.Count(string(before), "\n")
	col = off + 1
	if i := strings.LastIndexByte(string(before), '\n'); i >= 0 {
		col = off - i
	}
	return line, col
}

// parseYAML parses data into the body of its single document. It lets
// duplicate keys through, so the decoder can report them with the field's
// name.
func parseYAML(file string, data []byte) (body ast.Node, err error) {
	defer func() {
		// The parser is third-party code; an input it cannot handle must
		// not bring the harness down.
		if r := recover(); r != nil {
			body, err = nil, &Error{Pos: Position{File: file, Line: 1, Col: 1}, Msg: fmt.Sprintf("the YAML parser failed: %v", r)}
		}
	}()
	f, err := parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
	if err != nil {
		return nil, syntaxError(file, err)
	}
	for _, doc := range f.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if _, ok := doc.Body.(*ast.NullNode); ok {
			continue
		}
		if body != nil {
			return nil, &Error{Pos: nodePos(file, doc.Body), Msg: "a second YAML document: a scenario file holds one"}
		}
		body = doc.Body
	}
	if body == nil {
		return nil, &Error{Pos: Position{File: file, Line: 1, Col: 1},
			Msg: "empty scenario: want a mapping with at least name, description and source"}
	}
	return body, nil
}

// syntaxError converts an error of the YAML parser to an *Error at the
// token it names.
func syntaxError(file string, err error) *Error {
	var ye yaml.Error
	if errors.As(err, &ye) {
		e := &Error{Pos: Position{File: file}, Msg: "YAML syntax: " + ye.GetMessage()}
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			e.Pos.Line, e.Pos.Col = tk.Position.Line, tk.Position.Column
		}
		return e
	}
	return &Error{Pos: Position{File: file}, Msg: "YAML syntax: " + err.Error()}
}

// nodePos is the position of n's token.
func nodePos(file string, n ast.Node) Position {
	p := Position{File: file}
	if n == nil {
		return p
	}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		p.Line, p.Col = tk.Position.Line, tk.Position.Column
	}
	return p
}

// decoder turns the YAML tree of a scenario into a Spec, recording where
// each field was set.
type decoder struct {
	file string
	pos  map[string]Position
}

// field is one value being decoded: its dotted path, where it was set (its
// key, or the list item) and its node.
type field struct {
	path string
	pos  Position
	val  ast.Node
}

func (d *decoder) errorf(f field, format string, args ...any) error {
	return &Error{Pos: f.pos, Field: f.path, Msg: fmt.Sprintf(format, args...)}
}

// key is a field a mapping may hold and how to decode it.
type key struct {
	name string
	set  func(field) error // nil for a key in goneKeys
}

// goneKeys are keys that were removed, by dotted path, with why: such a
// key is refused with that reason and left out of the known keys.
var goneKeys = map[string]string{
	"network.scale": "removed: time is virtual now (a discrete-event clock), so there is nothing to scale; delete the key",
}

func (d *decoder) spec(body ast.Node) (*Spec, error) {
	s := &Spec{
		Payment:   DefaultPayment,
		Transport: true,
		Network:   DefaultNetwork,
		Count:     DefaultCount,
		Timeout:   DefaultTimeout,
		File:      d.file,
		Source:    Source{Seed: DefaultSeed},
	}
	d.pos = map[string]Position{}
	s.pos = d.pos
	// caps and byte_budgets are shorthands for limiters, appended to them.
	var caps, budgets []sweepItem
	top := field{pos: d.mapStart(body), val: body}
	d.pos[""] = top.pos
	if _, ok := body.(*ast.MappingNode); !ok {
		if err := d.plain(top); err != nil {
			return nil, err
		}
		return nil, &Error{Pos: top.pos, Msg: "the top level must be a mapping of fields (name: …, description: …, source: …), not " + describe(body)}
	}

	set, err := d.mapping(top, []key{
		{"name", func(f field) (err error) { s.Name, err = d.str(f); return }},
		{"description", func(f field) (err error) { s.Description, err = d.str(f); return }},
		{"source", func(f field) error { return d.source(f, &s.Source) }},
		{"payment", func(f field) (err error) { s.Payment, err = d.str(f); return }},
		{"strategies", func(f field) (err error) { s.Strategies, err = d.strList(f); return }},
		{"baseline", func(f field) (err error) { s.Baseline, err = d.str(f); return }},
		{"limiters", func(f field) (err error) { s.Limiters, err = d.strList(f); return }},
		{"caps", func(f field) (err error) { caps, err = d.caps(f); return }},
		{"byte_budgets", func(f field) (err error) { budgets, err = d.byteBudgets(f); return }},
		{"transport", func(f field) (err error) { s.Transport, err = d.boolean(f); return }},
		{"network", func(f field) error { return d.network(f, &s.Network) }},
		{"memory_limit", func(f field) (err error) { s.MemoryLimit, err = d.positiveSize(f); return }},
		{"client", func(f field) (err error) { s.Clients, err = d.strOrList(f); return }},
		{"uploader", func(f field) (err error) { s.Uploader, err = d.str(f); return }},
		{"allocator", func(f field) (err error) { s.Allocator, err = d.str(f); return }},
		{"count", func(f field) (err error) { s.Count, err = d.integer(f); return }},
		{"timeout", func(f field) (err error) { s.Timeout, err = d.duration(f); return }},
		{"budgets", func(f field) (err error) { s.Budgets, err = d.budgets(f); return }},
		{"expect", func(f field) (err error) { s.Expect, err = d.expectations(f); return }},
	})
	if err != nil {
		return nil, err
	}
	for _, req := range []string{"name", "description", "source"} {
		if !set[req] {
			return nil, d.errorf(field{path: req, pos: top.pos}, "missing (required)")
		}
	}
	if s.Strategies == nil {
		s.Strategies = Strategies()
	}
	if s.Limiters == nil && caps == nil && budgets == nil {
		s.Limiters = slices.Clone(DefaultLimiters)
	}
	for _, it := range append(caps, budgets...) {
		d.pos[fmt.Sprintf("limiters[%d]", len(s.Limiters))] = it.pos
		s.Limiters = append(s.Limiters, it.limiter)
	}
	return s, nil
}

// sweepItem is a limiter that a caps or byte_budgets item stands for, and
// where that item was written.
type sweepItem struct {
	limiter string
	pos     Position
}

// caps decodes a list of fixed caps ≥ 1, each standing for fixed:N.
func (d *decoder) caps(f field) ([]sweepItem, error) {
	items, err := d.list(f)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, d.errorf(f, "lists no cap (omit the key)")
	}
	out := make([]sweepItem, len(items))
	for i, item := range items {
		n, err := d.integer(item)
		if err != nil {
			return nil, err
		}
		if n < 1 {
			return nil, d.errorf(item, "a cap must be ≥ 1 (got %d)", n)
		}
		out[i] = sweepItem{fmt.Sprintf("fixed:%d", n), item.pos}
	}
	return out, nil
}

// byteBudgets decodes a list of in-flight byte budgets > 0, each standing
// for budget:SIZE (the AIMD limiter under that budget).
func (d *decoder) byteBudgets(f field) ([]sweepItem, error) {
	items, err := d.list(f)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, d.errorf(f, "lists no budget (omit the key)")
	}
	out := make([]sweepItem, len(items))
	for i, item := range items {
		n, err := d.positiveSize(item)
		if err != nil {
			return nil, err
		}
		out[i] = sweepItem{BudgetLimiter(n, ""), item.pos}
	}
	return out, nil
}

func (d *decoder) source(f field, src *Source) error {
	set, err := d.mapping(f, []key{
		{"size", func(f field) (err error) { src.Size, src.Sizes, err = d.sizes(f); return }},
		{"seed", func(f field) (err error) { src.Seed, err = d.uint(f); return }},
		{"compressibility", func(f field) (err error) { src.Compressibility, err = d.number(f); return }},
	})
	if err == nil && !set["size"] {
		err = d.errorf(field{path: f.path + ".size", pos: f.pos}, "missing (required: the file size, e.g. 20MiB)")
	}
	return err
}

func (d *decoder) network(f field, n *Network) error {
	_, err := d.mapping(f, []key{
		{"peers", func(f field) (err error) { n.Peers, err = d.integer(f); return }},
		{"uplink", func(f field) (err error) { n.UplinkBitsPerSec, err = d.bandwidth(f); return }},
		{"latency", func(f field) (err error) { n.Latency, err = d.duration(f); return }},
		{"jitter", func(f field) (err error) { n.Jitter, err = d.duration(f); return }},
		{"scale", nil},
		{"faults", func(f field) error {
			_, err := d.mapping(f, []key{
				{"dead", func(f field) (err error) { n.Faults.Dead, err = d.number(f); return }},
				{"fail", func(f field) (err error) { n.Faults.Fail, err = d.number(f); return }},
				{"timeout", func(f field) (err error) { n.Faults.Timeout, err = d.number(f); return }},
				{"already_exists", func(f field) (err error) { n.Faults.AlreadyExists, err = d.number(f); return }},
			})
			return err
		}},
	})
	return err
}

func (d *decoder) budgets(f field) ([]Budget, error) {
	items, err := d.list(f)
	if err != nil {
		return nil, err
	}
	bs := make([]Budget, 0, len(items))
	for _, item := range items {
		item.pos = d.mapStart(item.val)
		d.pos[item.path] = item.pos
		b := Budget{Pos: item.pos}
		var maxField *field
		_, err := d.mapping(item, []key{
			{"strategy", func(f field) (err error) { b.Strategy, err = d.str(f); return }},
			{"metric", func(f field) (err error) { b.Metric, err = d.str(f); return }},
			{"max", func(f field) error { maxField = &f; return nil }},
			{"max_model_ratio", func(f field) (err error) {
				if b.MaxModelRatio, err = d.number(f); err == nil && !(b.MaxModelRatio > 0) {
					err = d.errorf(f, "must be > 0 (got %v)", b.MaxModelRatio)
				}
				return err
			}},
		})
		if err != nil {
			return nil, err
		}
		if maxField != nil {
			// The unit of max depends on the metric, which may come after it.
			if b.Max, err = d.budgetMax(*maxField, item, b.Metric); err != nil {
				return nil, err
			}
		}
		bs = append(bs, b)
	}
	return bs, nil
}

func (d *decoder) expectations(f field) ([]Expectation, error) {
	items, err := d.list(f)
	if err != nil {
		return nil, err
	}
	es := make([]Expectation, 0, len(items))
	for _, item := range items {
		item.pos = d.mapStart(item.val)
		d.pos[item.path] = item.pos
		e := Expectation{Pos: item.pos}
		_, err := d.mapping(item, []key{
			{"strategy", func(f field) (err error) { e.Strategy, err = d.str(f); return }},
			{"limiter", func(f field) (err error) { e.Limiter, err = d.str(f); return }},
			{"outcome", func(f field) (err error) { e.Outcome, err = d.str(f); return }},
		})
		if err != nil {
			return nil, err
		}
		es = append(es, e)
	}
	return es, nil
}

// budgetMax decodes an absolute budget: a duration for ns/op, a byte count
// for the -B metrics.
func (d *decoder) budgetMax(f, item field, metric string) (float64, error) {
	if err := checkMetric(metric); err != nil {
		at := field{path: item.path + ".metric", pos: item.pos}
		if p, ok := d.pos[at.path]; ok {
			at.pos = p
		}
		return 0, d.errorf(at, "%v", err)
	}
	var v float64
	if metric == "ns/op" {
		t, err := d.duration(f)
		if err != nil {
			return 0, err
		}
		v = float64(t)
	} else {
		n, err := d.size(f)
		if err != nil {
			return 0, err
		}
		v = float64(n)
	}
	if !(v > 0) {
		return 0, d.errorf(f, "must be > 0 (got %s)", f.val)
	}
	return v, nil
}
