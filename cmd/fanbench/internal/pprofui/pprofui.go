// Package pprofui opens heap profiles in pprof's driver
// (github.com/google/pprof/driver) for fanbench pprof: its text top view on
// a writer, or its web UI served on a loopback address only, to loopback
// clients only, until the context ends.
package pprofui

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/pprof/driver"
)

// reportName is the file name pprof's -output is given for the top view;
// the driver's Writer hands it the caller's writer instead of creating a
// file.
const reportName = "fanbench-pprof-stdout"

// Options say what to open and how.
type Options struct {
	// Profile is the profile's path; Base, when set, the profile
	// subtracted from it (pprof's -diff_base).
	Profile, Base string
	// Top prints the text top view on Stdout instead of serving the web UI
	// on Listener.
	Top      bool
	Listener net.Listener
	// Browser opens a browser on the web UI.
	Browser bool
	// Stdout takes the top view, Stderr the driver's messages.
	Stdout, Stderr io.Writer
}

// Open runs pprof's driver on o.Profile: the top view, or the web UI until
// ctx ends.
func Open(ctx context.Context, o Options) error {
	args := []string{"-symbolize=none"}
	if o.Base != "" {
		args = append(args, "-diff_base", o.Base)
	}
	opts := &driver.Options{Writer: stdoutWriter{o.Stdout}, UI: &ui{w: o.Stderr, browser: o.Browser}}
	if o.Top {
		args = append(args, "-top", "-output", reportName)
	} else {
		args = append(args, "-http", o.Listener.Addr().String(), "-output=")
		if !o.Browser {
			args = append(args, "-no_browser")
		}
		opts.HTTPServer = serveLoopback(ctx, o.Listener)
	}
	opts.Flagset = &flags{fs: flag.NewFlagSet("pprof", flag.ContinueOnError), args: append(args, o.Profile), out: o.Stderr}
	if err := driver.PProf(opts); err != nil {
		return fmt.Errorf("pprof: %w", err)
	}
	return nil
}

// Listen listens on addr, refusing any host that is not a loopback
// address; an empty host means 127.0.0.1, not every interface.
func Listen(addr string) (net.Listener, error) {
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

// flags is the driver's command line: the arguments fanbench built,
// parsed by a flag set of its own (not the process's flag.CommandLine).
type flags struct {
	fs    *flag.FlagSet
	args  []string
	out   io.Writer
	extra []string
}

func (p *flags) Bool(n string, d bool, u string) *bool          { return p.fs.Bool(n, d, u) }
func (p *flags) Int(n string, d int, u string) *int             { return p.fs.Int(n, d, u) }
func (p *flags) Float64(n string, d float64, u string) *float64 { return p.fs.Float64(n, d, u) }
func (p *flags) String(n, d, u string) *string                  { return p.fs.String(n, d, u) }
func (p *flags) ExtraUsage() string                             { return strings.Join(p.extra, "\n") }
func (p *flags) AddExtraUsage(eu string)                        { p.extra = append(p.extra, eu) }

func (p *flags) StringList(n, d, u string) *[]*string {
	list := &[]*string{}
	p.fs.Func(n, u, func(v string) error { *list = append(*list, &v); return nil })
	return list
}

// Parse returns the profile sources, or nil (after usage) when the
// arguments do not parse: the driver then reports that no source was given.
func (p *flags) Parse(usage func()) []string {
	p.fs.SetOutput(p.out)
	p.fs.Usage = usage
	if err := p.fs.Parse(p.args); err != nil || p.fs.NArg() == 0 {
		return nil
	}
	return p.fs.Args()
}

// stdoutWriter is the driver's Writer: the report file reportName is
// stdout.
type stdoutWriter struct{ w io.Writer }

func (s stdoutWriter) Open(name string) (io.WriteCloser, error) {
	if name != reportName {
		return nil, fmt.Errorf("fanbench pprof writes no file (asked for %s)", name)
	}
	return nopCloser{s.w}, nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// ui is the driver's UI: messages to stderr (serialised, since the
// web handlers print concurrently), no interactive shell.
type ui struct {
	mu      sync.Mutex
	w       io.Writer
	browser bool
}

func (u *ui) ReadLine(string) (string, error)     { return "", io.EOF }
func (u *ui) Print(args ...any)                   { u.print(args) }
func (u *ui) IsTerminal() bool                    { return false }
func (u *ui) WantBrowser() bool                   { return u.browser }
func (u *ui) SetAutoComplete(func(string) string) {}

func (u *ui) PrintErr(args ...any) {
	if fmt.Sprint(args...) == "Generating report in "+reportName {
		return // the report goes to stdout, not to a file
	}
	u.print(args)
}

func (u *ui) print(args []any) {
	s := fmt.Sprint(args...)
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	io.WriteString(u.w, s)
}
