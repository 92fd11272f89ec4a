package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/upload/strategy"
	"github.com/google/pprof/driver"
)

const pprofUsage = `usage: fanbench pprof [DIR] [flags]

Opens the heap profile taken at the peak of a case's profiling run (the run
fanbench run adds to each case unless -profile=false) in pprof's web UI,
served on a loopback address only, until interrupted. With -base, it opens
the difference against another strategy's peak profile of the same scenario
and limiter (pprof's -diff_base): positive where -mode holds more than the
base. With -base-dir, it opens the difference against the same case's peak
profile in another results directory: another commit's. With -top, it prints
pprof's text top view on stdout instead and serves nothing; in a difference
the site that grew most comes first.

DIR is a results directory (fanbench run's -o, default results); the case is
chosen from the records of its newest batch (results.json, or runs/ when the
batch was killed before writing it): -scenario may be left out when DIR
holds one scenario, -limiter when the scenario ran one limiter for that
strategy. A directory of fanbench compare -base (its -o, holding base/ and
head/) stands for its head with -base-dir its base: head's peak against
base's.

Examples:
  fanbench pprof results
  fanbench pprof results -top -mode copy-per-peer -base shared-buffer
  fanbench pprof /tmp/cap -scenario cap-sweep-1gb -limiter fixed:64 -base streamed
  fanbench pprof results/compare -top -mode shared-buffer
  fanbench pprof results-pr -base-dir results-main -top
  fanbench pprof results -http 127.0.0.1:8080 -browser=false

Flags:
`

// pprofReportName is the file name pprof's -output is given for -top; the
// driver's Writer hands it stdout instead of creating a file.
const pprofReportName = "fanbench-pprof-stdout"

func cmdPprof(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newCommandFlags("pprof", pprofUsage, stdout, stderr)
	scenario := fs.String("scenario", "", "scenario (default: the only one in DIR)")
	mode := fs.String("mode", strategy.CopyPerPeer.String(), "buffer strategy whose peak profile to open")
	limiter := fs.String("limiter", "", "store limiter of the case, e.g. aimd or fixed:64 (default: the only one run for the scenario and strategy)")
	base := fs.String("base", "", "strategy whose peak profile (same scenario and limiter) is subtracted, as pprof -diff_base")
	baseDir := fs.String("base-dir", "", "results directory (another commit's) whose peak profile of the same case is subtracted, as pprof -diff_base")
	top := fs.Bool("top", false, "print pprof's text top view on stdout instead of serving the web UI")
	httpAddr := fs.String("http", "127.0.0.1:0", "loopback host:port of the web UI (port 0: any free port)")
	browser := fs.Bool("browser", true, "open a browser on the web UI (pprof's choice: $BROWSER, chrome, firefox, xdg-open…)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	dir := "results"
	switch len(pos) {
	case 0:
	case 1:
		dir = pos[0]
	default:
		return usageError{fmt.Errorf("one results directory expected, got %q", pos)}
	}
	if *top && (set["http"] || set["browser"]) {
		return usageError{errors.New("-top prints the text view and serves nothing: drop -http and -browser")}
	}
	if _, err := strategy.Parse(*mode); err != nil {
		return usageError{fmt.Errorf("-mode: %w", err)}
	}
	if *base != "" && *baseDir != "" {
		return usageError{errors.New("-base and -base-dir: subtract another strategy's profile, or another commit's, not both")}
	}
	if *baseDir == "" {
		// A directory of fanbench compare -base: head against base.
		if h, b := filepath.Join(dir, "head"), filepath.Join(dir, "base"); isDir(h) && isDir(b) && !isDir(filepath.Join(dir, result.RunsDir)) {
			fmt.Fprintf(stderr, "fanbench: %s is a comparison: the head's peak profile against the base's\n", dir)
			dir, *baseDir = h, b
		}
	}
	if *base != "" {
		if _, err := strategy.Parse(*base); err != nil {
			return usageError{fmt.Errorf("-base: %w", err)}
		}
		if *base == *mode {
			return usageError{fmt.Errorf("-base: %s is -mode itself; the difference would be empty", *base)}
		}
	}
	var ln net.Listener
	if !*top {
		// Listen before reading anything, so a refused address is refused
		// first; the listener resolves port 0 to the port pprof announces.
		if ln, err = listenLoopback(*httpAddr); err != nil {
			return usageError{fmt.Errorf("-http: %w", err)}
		}
		defer ln.Close()
	}

	recs, err := readRecords(dir, stderr)
	if err != nil {
		return usageError{err}
	}
	prof, err := choosePeakProfile(dir, recs, *scenario, *mode, *limiter)
	if err != nil {
		return usageError{err}
	}
	pargs := []string{"-symbolize=none"}
	fmt.Fprintf(stderr, "fanbench: peak profile of %s/%s (%s): %s\n", prof.Scenario, prof.Strategy, prof.Limiter, prof.path)
	var bp *peakProfile
	switch {
	case *base != "":
		bp, err = chooseBaseProfile(dir, recs, prof, *base)
	case *baseDir != "":
		var baseRecs []*result.Record
		if baseRecs, err = readRecords(*baseDir, stderr); err != nil {
			return usageError{fmt.Errorf("-base-dir: %w", err)}
		}
		bp, err = sameCase(*baseDir, baseRecs, prof)
	}
	if err != nil {
		return usageError{err}
	}
	if bp != nil {
		fmt.Fprintf(stderr, "fanbench: minus the peak profile of %s/%s (%s): %s\n", bp.Scenario, bp.Strategy, bp.Limiter, bp.path)
		pargs = append(pargs, "-diff_base", bp.path)
	}
	ui := &pprofUI{w: stderr, browser: *browser}
	opts := &driver.Options{
		Writer: stdoutWriter{stdout},
		UI:     ui,
	}
	if *top {
		pargs = append(pargs, "-top", "-output", pprofReportName)
	} else {
		pargs = append(pargs, "-http", ln.Addr().String(), "-output=")
		if !*browser {
			pargs = append(pargs, "-no_browser")
		}
		opts.HTTPServer = serveLoopback(ctx, ln)
	}
	opts.Flagset = &pprofFlags{fs: flag.NewFlagSet("pprof", flag.ContinueOnError), args: append(pargs, prof.path), out: stderr}
	if err := driver.PProf(opts); err != nil {
		return fmt.Errorf("pprof: %w", err)
	}
	return nil
}

// parseInterspersed parses flags that may come after positional arguments
// (fanbench pprof DIR -top) and returns the positional ones.
func parseInterspersed(fs *commandFlags, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil // everything after -- is positional
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// listenLoopback listens on addr, refusing any host that is not a loopback
// address; an empty host means 127.0.0.1, not every interface.
func listenLoopback(addr string) (net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if !isLoopbackHost(host) {
		return nil, fmt.Errorf("%q is not a loopback host (127.0.0.1, ::1 or localhost): the web UI serves this machine only", host)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, err
	}
	if a, ok := ln.Addr().(*net.TCPAddr); !ok || !a.IP.IsLoopback() {
		ln.Close()
		return nil, fmt.Errorf("%s resolved to %s, not a loopback address", host, ln.Addr())
	}
	return ln, nil
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// serveLoopback returns the driver's HTTP server: pprof's handlers under
// /ui/ (as pprof's own server mounts them) on ln, for loopback clients
// addressing a loopback host only (no DNS rebinding), until ctx ends.
func serveLoopback(ctx context.Context, ln net.Listener) func(*driver.HTTPServerArgs) error {
	return func(args *driver.HTTPServerArgs) error {
		ui := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			client, _, err := net.SplitHostPort(req.RemoteAddr)
			if err != nil || !isLoopbackHost(client) || !isLoopbackHost(hostOnly(req.Host)) {
				http.Error(w, "permission denied", http.StatusForbidden)
				return
			}
			h := args.Handlers[req.URL.Path]
			if h == nil {
				http.NotFound(w, req)
				return
			}
			h.ServeHTTP(w, req)
		})
		mux := http.NewServeMux()
		mux.Handle("/ui/", http.StripPrefix("/ui", ui))
		mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			u := *req.URL
			u.Path = "/ui" + req.URL.Path
			http.Redirect(w, req, u.RequestURI(), http.StatusTemporaryRedirect)
		}))
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		stop := context.AfterFunc(ctx, func() { srv.Close() })
		defer stop()
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}

// peakProfile is a profiling run's record with its profile's path.
type peakProfile struct {
	*result.Record
	path string
}

// readRecords loads the records of the newest batch in DIR (see
// result.LoadDir), saying on w when they come from runs/ alone.
func readRecords(dir string, w io.Writer) ([]*result.Record, error) {
	res, err := result.LoadDir(dir)
	if err != nil {
		return nil, err
	}
	if res.Batch.FromRuns {
		fmt.Fprintf(w, "fanbench: batch %s wrote no results.json (killed?): reading its %d records in %s\n",
			cmp.Or(res.Batch.ID, "of unknown ID"), len(res.Records), filepath.Join(dir, result.RunsDir))
	}
	return res.Records, nil
}

// choosePeakProfile picks the profiling run of (scenario, mode, limiter),
// filling in scenario and limiter when only one is possible.
func choosePeakProfile(dir string, recs []*result.Record, scenario, mode, limiter string) (*peakProfile, error) {
	var profiling []*result.Record
	for _, r := range recs {
		if r.Profile {
			profiling = append(profiling, r)
		}
	}
	if len(profiling) == 0 {
		return nil, fmt.Errorf("%s holds no profiling run, so no peak profile (was it run with -profile=false?)", dir)
	}
	scens := distinct(profiling, func(r *result.Record) string { return r.Scenario })
	switch {
	case scenario == "" && len(scens) == 1:
		scenario = scens[0]
	case scenario == "":
		return nil, fmt.Errorf("%s holds several scenarios; choose one with -scenario: %s", dir, strings.Join(scens, ", "))
	case !slices.Contains(scens, scenario):
		return nil, fmt.Errorf("-scenario: no profiling run of %q in %s; scenarios there: %s", scenario, dir, strings.Join(scens, ", "))
	}
	inScen := filter(profiling, func(r *result.Record) bool { return r.Scenario == scenario })
	ofMode := filter(inScen, func(r *result.Record) bool { return r.Strategy == mode })
	if len(ofMode) == 0 {
		return nil, fmt.Errorf("-mode: no profiling run of %s in %s; strategies there: %s", mode, scenario,
			strings.Join(distinct(inScen, func(r *result.Record) string { return r.Strategy }), ", "))
	}
	lims := distinct(ofMode, func(r *result.Record) string { return r.Limiter })
	switch {
	case limiter == "" && len(lims) == 1:
		limiter = lims[0]
	case limiter == "":
		return nil, fmt.Errorf("%s/%s ran several limiters; choose one with -limiter: %s", scenario, mode, strings.Join(lims, ", "))
	case !slices.Contains(lims, limiter):
		return nil, fmt.Errorf("-limiter: no profiling run of %s/%s with %q; limiters there: %s", scenario, mode, limiter, strings.Join(lims, ", "))
	}
	r := filter(ofMode, func(r *result.Record) bool { return r.Limiter == limiter })[0]
	return profileOf(dir, r)
}

// chooseBaseProfile picks the profiling run of strategy base in p's
// scenario and limiter.
func chooseBaseProfile(dir string, recs []*result.Record, p *peakProfile, base string) (*peakProfile, error) {
	same := filter(recs, func(r *result.Record) bool {
		return r.Profile && r.Scenario == p.Scenario && r.Limiter == p.Limiter
	})
	for _, r := range same {
		if r.Strategy == base {
			return profileOf(dir, r)
		}
	}
	return nil, fmt.Errorf("-base: no profiling run of %s in %s (%s); strategies there: %s", base, p.Scenario, p.Limiter,
		strings.Join(distinct(same, func(r *result.Record) string { return r.Strategy }), ", "))
}

// sameCase picks the profiling run of p's case (scenario, strategy,
// limiter) among the records of another results directory.
func sameCase(dir string, recs []*result.Record, p *peakProfile) (*peakProfile, error) {
	for _, r := range recs {
		if r.Profile && r.Scenario == p.Scenario && r.Strategy == p.Strategy && r.Limiter == p.Limiter {
			return profileOf(dir, r)
		}
	}
	var cases []string
	for _, r := range recs {
		if c := fmt.Sprintf("%s/%s (%s)", r.Scenario, r.Strategy, r.Limiter); r.Profile && !slices.Contains(cases, c) {
			cases = append(cases, c)
		}
	}
	return nil, fmt.Errorf("-base-dir: no profiling run of %s/%s (%s) in %s; profiling runs there: %s",
		p.Scenario, p.Strategy, p.Limiter, dir, cmp.Or(strings.Join(cases, ", "), "none"))
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func profileOf(dir string, r *result.Record) (*peakProfile, error) {
	name := fmt.Sprintf("%s/%s (%s)", r.Scenario, r.Strategy, r.Limiter)
	if r.PeakProfile == "" {
		why := "its record names none"
		if r.Status != result.OK {
			why = fmt.Sprintf("the run ended %s: %s", r.Status, r.Error)
		}
		return nil, fmt.Errorf("the profiling run of %s has no peak profile: %s", name, why)
	}
	p := filepath.Join(dir, r.PeakProfile)
	if _, err := os.Stat(p); err != nil {
		return nil, fmt.Errorf("the peak profile of %s: %w", name, err)
	}
	return &peakProfile{r, p}, nil
}

func filter(rs []*result.Record, keep func(*result.Record) bool) []*result.Record {
	var out []*result.Record
	for _, r := range rs {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

// distinct returns the sorted distinct values of f over rs.
func distinct(rs []*result.Record, f func(*result.Record) string) []string {
	var out []string
	for _, r := range rs {
		if v := f(r); !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

// pprofFlags is the driver's command line: the arguments fanbench built,
// parsed by a flag set of its own (not the process's flag.CommandLine).
type pprofFlags struct {
	fs    *flag.FlagSet
	args  []string
	out   io.Writer
	extra []string
}

func (p *pprofFlags) Bool(n string, d bool, u string) *bool          { return p.fs.Bool(n, d, u) }
func (p *pprofFlags) Int(n string, d int, u string) *int             { return p.fs.Int(n, d, u) }
func (p *pprofFlags) Float64(n string, d float64, u string) *float64 { return p.fs.Float64(n, d, u) }
func (p *pprofFlags) String(n, d, u string) *string                  { return p.fs.String(n, d, u) }
func (p *pprofFlags) ExtraUsage() string                             { return strings.Join(p.extra, "\n") }
func (p *pprofFlags) AddExtraUsage(eu string)                        { p.extra = append(p.extra, eu) }

func (p *pprofFlags) StringList(n, d, u string) *[]*string {
	list := &[]*string{}
	p.fs.Func(n, u, func(v string) error { *list = append(*list, &v); return nil })
	return list
}

// Parse returns the profile sources, or nil (after usage) when the
// arguments do not parse: the driver then reports that no source was given.
func (p *pprofFlags) Parse(usage func()) []string {
	p.fs.SetOutput(p.out)
	p.fs.Usage = usage
	if err := p.fs.Parse(p.args); err != nil || p.fs.NArg() == 0 {
		return nil
	}
	return p.fs.Args()
}

// stdoutWriter is the driver's Writer: the report file pprofReportName is
// stdout.
type stdoutWriter struct{ w io.Writer }

func (s stdoutWriter) Open(name string) (io.WriteCloser, error) {
	if name != pprofReportName {
		return nil, fmt.Errorf("fanbench pprof writes no file (asked for %s)", name)
	}
	return nopCloser{s.w}, nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// pprofUI is the driver's UI: messages to stderr (serialised, since the
// web handlers print concurrently), no interactive shell.
type pprofUI struct {
	mu      sync.Mutex
	w       io.Writer
	browser bool
}

func (u *pprofUI) ReadLine(string) (string, error)     { return "", io.EOF }
func (u *pprofUI) Print(args ...any)                   { u.print(args) }
func (u *pprofUI) IsTerminal() bool                    { return false }
func (u *pprofUI) WantBrowser() bool                   { return u.browser }
func (u *pprofUI) SetAutoComplete(func(string) string) {}

func (u *pprofUI) PrintErr(args ...any) {
	if fmt.Sprint(args...) == "Generating report in "+pprofReportName {
		return // the report goes to stdout, not to a file
	}
	u.print(args)
}

func (u *pprofUI) print(args []any) {
	s := fmt.Sprint(args...)
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	io.WriteString(u.w, s)
}
