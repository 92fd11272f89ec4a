package benchout

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchunit"

	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/result"
)

// BaseName is the benchmark's base name: every line is
// BenchmarkUpload/scenario=…/mode=…/limiter=….
const BaseName = "Upload"

// Units returns every unit Write may put on a result line, as written
// ("ns/op", not the tidied "sec/op"), in the order of a line: the metrics
// of package result (result.Metrics), whose Unit constants say what each
// measures.
func Units() []string { return result.MetricUnits(nil) }

// assume is a metric's statistical assumption for benchmath.
func assume(m result.Metric) string {
	if m.Exact {
		return "exact"
	}
	return "nothing"
}

// UnitMetadata returns the metadata records Write puts at the top of a file:
// better=lower for every unit, and assume=exact or assume=nothing. Each
// record's Unit is the tidied unit, as benchfmt.Reader indexes it, and its
// OrigUnit the unit as written. The nothing is written although it is the
// default, so that a file states every unit's assumption itself.
func UnitMetadata() []*benchfmt.UnitMetadata {
	var ms []*benchfmt.UnitMetadata
	for _, m := range result.Metrics() {
		_, tidy := benchunit.Tidy(1, m.Unit)
		ms = append(ms,
			&benchfmt.UnitMetadata{UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: tidy, Key: "better"}, OrigUnit: m.Unit, Value: "lower"},
			&benchfmt.UnitMetadata{UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: tidy, Key: "assume"}, OrigUnit: m.Unit, Value: assume(m)},
		)
	}
	return ms
}

// Config is the file configuration Write puts before the results: keys that
// hold for every record of the file. A string field that is empty, or a
// number that is 0, is not written.
//
// Nothing per commit belongs here unless asked for: benchstat puts results
// whose file keys differ into separate tables and compares nothing across
// them, so two files with different commit: values need
// `benchstat -ignore commit`. Keys that depend on which cases ran (payment,
// transport, memory limit) belong to the scenario, not here: a file of one
// scenario would otherwise carry keys that a file of two lacks, and benchstat
// would split them too.
type Config struct {
	GOOS   string // goos
	GOARCH string // goarch
	CPU    string // cpu: the processor's model name
	// GOMAXPROCS is written as gomaxprocs.
	GOMAXPROCS int
	// GOGC is written as gogc, spelled as the GOGC variable is: "100", "off".
	GOGC string
	// GoVersion is the child's toolchain, written as go-version.
	GoVersion string
	// Version is fanbench's version, written as fanbench-version. It should
	// name a release, not a commit: a value that differs between two files
	// splits benchstat's tables like commit: does.
	Version string
	// Allocator is the client allocator policy, written as allocator.
	Allocator string
	// Commit is written as commit: only when set. benchstat then needs
	// `-ignore commit` to compare files of two commits, or `-col commit` to
	// make the commit the comparison's axis.
	Commit string
	// Extra holds further keys in order. Each key must start with a
	// lowercase letter and hold no whitespace, uppercase letter or colon
	// (benchfmt ignores any other line silently), and must not repeat a key
	// above.
	Extra []Key
	// Notes are written as `# ` comment lines before the results, each on
	// one line: things a reader of the file should know that must not
	// split benchstat's tables as a key would (the batch, the commit, an
	// interruption). benchstat and fanbench compare skip them.
	Notes []string
}

// Key is one file configuration line, `key: value`.
type Key struct {
	Key, Value string
}

// ConfigOf returns the Config that the records Write turns into results (OK,
// not profiling runs) share: each of
// goos, goarch, cpu, gomaxprocs, gogc, go-version and allocator is set when
// every OK record has the same value, and left out otherwise. Version and
// Commit are the caller's to set.
func ConfigOf(recs []*result.Record) Config {
	var c Config
	first := true
	for _, r := range recs {
		if r == nil || r.Status != result.OK || r.Profile {
			continue
		}
		e := r.Env
		gogc := strconv.Itoa(e.GOGC)
		if e.GOGC < 0 {
			gogc = "off"
		}
		if first {
			c = Config{GOOS: e.GOOS, GOARCH: e.GOARCH, CPU: e.CPU, GOMAXPROCS: e.GOMAXPROCS, GOGC: gogc, GoVersion: e.GoVersion, Allocator: r.Memory.Allocator}
			first = false
			continue
		}
		keep(&c.GOOS, e.GOOS)
		keep(&c.GOARCH, e.GOARCH)
		keep(&c.CPU, e.CPU)
		keep(&c.GOGC, gogc)
		keep(&c.GoVersion, e.GoVersion)
		keep(&c.GOMAXPROCS, e.GOMAXPROCS)
		keep(&c.Allocator, r.Memory.Allocator)
	}
	return c
}

// keep clears *have unless it equals v.
func keep[T comparable](have *T, v T) {
	if *have != v {
		var zero T
		*have = zero
	}
}

// keys returns c's lines in order, or an error naming a malformed key or
// value.
func (c Config) keys() ([]benchfmt.Config, error) {
	var out []benchfmt.Config
	seen := map[string]bool{}
	add := func(k, v string) error {
		if seen[k] {
			return fmt.Errorf("benchout: config key %q given twice", k)
		}
		seen[k] = true
		if err := checkKey(k); err != nil {
			return err
		}
		v = strings.TrimSpace(v)
		if strings.ContainsAny(v, "\r\n") {
			return fmt.Errorf("benchout: config key %q: value %q holds a line break", k, v)
		}
		if v != "" {
			out = append(out, benchfmt.Config{Key: k, Value: []byte(v), File: true})
		}
		return nil
	}
	itoa := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	for _, kv := range []Key{
		{"goos", c.GOOS},
		{"goarch", c.GOARCH},
		{"cpu", c.CPU},
		{"gomaxprocs", itoa(c.GOMAXPROCS)},
		{"gogc", c.GOGC},
		{"go-version", c.GoVersion},
		{"fanbench-version", c.Version},
		{"allocator", c.Allocator},
		{"commit", c.Commit},
	} {
		if err := add(kv.Key, kv.Value); err != nil {
			return nil, err
		}
	}
	for _, kv := range c.Extra {
		if err := add(kv.Key, kv.Value); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Lines returns the configuration lines Write puts before the results,
// "key: value", in order: a key whose value is empty is left out. It fails
// as Write does on a malformed key or value.
func (c Config) Lines() ([]string, error) {
	keys, err := c.keys()
	if err != nil {
		return nil, err
	}
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.Key + ": " + string(k.Value)
	}
	return out, nil
}

// ConfigOfLines returns the Config whose Lines are lines: each known key
// sets its field, any other goes to Extra in order. It fails on a line that
// is not "key: value" or repeats a key.
func ConfigOfLines(lines []string) (Config, error) {
	var c Config
	seen := map[string]bool{}
	for _, l := range lines {
		k, v, ok := strings.Cut(l, ": ")
		if !ok || checkKey(k) != nil {
			return Config{}, fmt.Errorf("benchout: config line %q is not key: value", l)
		}
		if seen[k] {
			return Config{}, fmt.Errorf("benchout: config key %q given twice", k)
		}
		seen[k] = true
		switch k {
		case "goos":
			c.GOOS = v
		case "goarch":
			c.GOARCH = v
		case "cpu":
			c.CPU = v
		case "gomaxprocs":
			n, err := strconv.Atoi(v)
			if err != nil {
				return Config{}, fmt.Errorf("benchout: config line %q: not a number", l)
			}
			c.GOMAXPROCS = n
		case "gogc":
			c.GOGC = v
		case "go-version":
			c.GoVersion = v
		case "fanbench-version":
			c.Version = v
		case "allocator":
			c.Allocator = v
		case "commit":
			c.Commit = v
		default:
			c.Extra = append(c.Extra, Key{k, v})
		}
	}
	return c, nil
}

// checkKey reports whether benchfmt.Reader would read k as a configuration
// key: it starts with a lowercase letter and holds no whitespace, uppercase
// letter or colon.
func checkKey(k string) error {
	for i, r := range k {
		if i == 0 && !unicode.IsLower(r) || unicode.IsSpace(r) || unicode.IsUpper(r) || r == ':' {
			return fmt.Errorf("benchout: config key %q: must start with a lowercase letter and hold no whitespace, uppercase letter or colon", k)
		}
	}
	if k == "" {
		return fmt.Errorf("benchout: empty config key")
	}
	return nil
}

// NameValue encodes s as a value of a benchmark name key (…/key=value/…):
//   - ':' is dropped, so the limiter "fixed:64" becomes "fixed64" and
//     "warm:64" becomes "warm64" (benchproc's filter and projection syntax
//     would need every such value quoted);
//   - whitespace and any of / = @ , ( ) " * become '_' (whitespace would end
//     the name, '/' would start a new key, and the rest are benchproc syntax);
//   - a leading '-' becomes '_'.
//
// Everything else, including '-' and '.', is kept: "seed-20mb" stays as it
// is.
func NameValue(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == ':':
			continue
		case unicode.IsSpace(r) || strings.ContainsRune(`/=@,()"*`, r) || i == 0 && r == '-':
			b.WriteByte('_')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Name returns r's benchmark name without the "Benchmark" prefix, as
// benchfmt.Result.Name holds it:
// Upload/scenario=<s>/mode=<strategy>/limiter=<limiter>, then
// /client=<profile> when r ran a client other than client.Default and
// /uploader=<name> when it ran an uploader other than
// result.DefaultUploader (so that the defaults' names stay those of
// fanbench before client profiles and uploaders had names, and a
// comparison with an older build still pairs them), each value encoded by
// NameValue, then "-<GOMAXPROCS>" when r ran with GOMAXPROCS above 1, as
// go test names benchmarks. If the name would otherwise end in '-' and
// digits, which a reader takes for GOMAXPROCS, that '-' becomes '_'.
func Name(r *result.Record) string {
	// mode= is the strategy's key, kept under its old name: renaming it
	// would break comparisons with older results (package doc, Names).
	name := BaseName + "/scenario=" + NameValue(r.Scenario) + "/mode=" + NameValue(r.Strategy) + "/limiter=" + NameValue(r.Limiter)
	if r.Client != "" && r.Client != client.Default {
		name += "/client=" + NameValue(r.Client)
	}
	if u := r.UploaderName(); u != result.DefaultUploader {
		name += "/uploader=" + NameValue(u)
	}
	if i := strings.LastIndexByte(name, '-'); i >= 0 && i < len(name)-1 && strings.Trim(name[i+1:], "0123456789") == "" {
		name = name[:i] + "_" + name[i+1:]
	}
	if r.Env.GOMAXPROCS > 1 {
		name += "-" + strconv.Itoa(r.Env.GOMAXPROCS)
	}
	return name
}

// Values returns r's figures in the units of Units, tidied as
// benchfmt.Reader tidies them (ns/op becomes sec/op with OrigValue and
// OrigUnit keeping the nanoseconds). A metric r has no figure for
// (result.Metric.Absent: model-peak-B when the model does not cover the
// run, peak-RSS-B without a VmHWM reading) is left out.
func Values(r *result.Record) []benchfmt.Value {
	ms := result.Metrics()
	vals := make([]benchfmt.Value, 0, len(ms))
	for _, m := range ms {
		if m.Absent != nil && m.Absent(r) {
			continue
		}
		v := float64(m.Of(r))
		tv, tu := benchunit.Tidy(v, m.Unit)
		if tu == m.Unit {
			vals = append(vals, benchfmt.Value{Value: v, Unit: m.Unit})
		} else {
			vals = append(vals, benchfmt.Value{Value: tv, Unit: tu, OrigValue: v, OrigUnit: m.Unit})
		}
	}
	return vals
}

// Write writes recs to w in the Go benchmark format: the unit metadata, the
// file configuration cfg, and one result line per OK record, in order. A
// record with another status is written as a `# warning:` comment naming it
// as the runner's job does (<scenario>/<strategy>-<limiter>-<rep>, the
// record's path under runs/) with its status and error; benchstat skips it.
// A profiling run (Record.Profile) is not a sample either, since its heap
// and RSS peaks are not comparable with the measured runs'; it gets a
// comment too.
//
// Write returns an error, before writing anything, for a nil record, a record
// without a scenario or strategy, a malformed Config, or two different
// values that NameValue would encode alike; otherwise the first write error.
func Write(w io.Writer, recs []*result.Record, cfg Config) error {
	config, err := cfg.keys()
	if err != nil {
		return err
	}
	if err := checkRecords(recs); err != nil {
		return err
	}

	ew := &errWriter{w: w}
	bw := benchfmt.NewWriter(ew)
	for _, m := range UnitMetadata() {
		bw.Write(m)
	}
	if ew.err != nil {
		return ew.err
	}
	io.WriteString(ew, "\n")
	for _, n := range cfg.Notes {
		fmt.Fprintf(ew, "# %s\n", oneLine(n))
	}

	res := &benchfmt.Result{Config: config, Iters: 1}
	for _, r := range recs {
		rep := fmt.Sprint(r.Rep)
		if r.Profile {
			rep = "profile" // as the runner names its files
		}
		job := fmt.Sprintf("%s/%s-%s-%s", flat(r.Scenario), flat(r.Strategy), jobLimiter(r.Limiter), rep)
		switch {
		case r.Status != result.OK:
			fmt.Fprintf(ew, "# warning: %s: %s: %s\n", job, flat(string(r.Status)), oneLine(r.Error))
			continue
		case r.Profile:
			fmt.Fprintf(ew, "# %s: profiling run, not a sample (its heap and RSS peaks follow forced GCs)\n", job)
			continue
		}
		res.Name = benchfmt.Name(Name(r))
		res.Values = Values(r)
		bw.Write(res)
		if ew.err != nil {
			break
		}
	}
	if ew.err != nil {
		return fmt.Errorf("benchout: %w", ew.err)
	}
	return nil
}

// checkRecords rejects records Write cannot name, and names that would
// merge two different cases.
func checkRecords(recs []*result.Record) error {
	enc := map[[2]string]string{} // (key, encoded value) → original value
	for i, r := range recs {
		if r == nil {
			return fmt.Errorf("benchout: record %d is nil", i)
		}
		if r.Scenario == "" || r.Strategy == "" {
			return fmt.Errorf("benchout: record %d (%s/%s rep %d): no scenario or strategy", i, r.Scenario, r.Strategy, r.Rep)
		}
		for _, kv := range []Key{{"scenario", r.Scenario}, {"mode", r.Strategy}, {"limiter", r.Limiter}} {
			k := [2]string{kv.Key, NameValue(kv.Value)}
			if have, ok := enc[k]; ok && have != kv.Value {
				return fmt.Errorf("benchout: %s values %q and %q would both be written as %s=%s", kv.Key, have, kv.Value, kv.Key, k[1])
			}
			enc[k] = kv.Value
		}
	}
	return nil
}

// jobLimiter spells a limiter as the runner's record paths do.
func jobLimiter(s string) string {
	return flat(strings.NewReplacer(":", "_", "/", "_", " ", "_").Replace(s))
}

// flat keeps s on one line and in one field.
func flat(s string) string { return strings.Join(strings.Fields(s), "_") }

// oneLine keeps a comment on one line.
func oneLine(s string) string {
	if s == "" {
		return "no error recorded"
	}
	return strings.Join(strings.Fields(s), " ")
}

// errWriter keeps the first write error and drops later writes.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
