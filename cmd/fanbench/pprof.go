package main

import (
	"context"
	"io"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/plan"
	"github.com/fanbench/fanbench/cmd/fanbench/internal/pprofui"
	"github.com/fanbench/fanbench/harness/upload/strategy"
)

const pprofUsage = `usage: fanbench pprof [DIR] [flags]

Opens the heap profile taken at the peak of a case's profiling run (the run
fanbench run adds to each case unless -profile=false) in pprof's web UI,
served on a loopback address only, until interrupted. With -base, it opens
the difference against another strategy's peak profile of the same scenario
and limiter (pprof's -diff_base): positive where -strategy holds more than the
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
  fanbench pprof results -top -strategy copy-per-peer -base shared-buffer
  fanbench pprof /tmp/cap -scenario cap-sweep-1gb -limiter fixed:64 -base streamed
  fanbench pprof results/compare -top -strategy shared-buffer
  fanbench pprof results-pr -base-dir results-main -top
  fanbench pprof results -http 127.0.0.1:8080 -browser=false

Flags:
`

// modeNote is the help of -mode, the old name of -strategy.
const modeNote = "the old name of -strategy, kept as an alias for now"

func cmdPprof(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newCommandFlags("pprof", pprofUsage, stdout, stderr)
	r := pprofui.Request{Options: pprofui.Options{Stdout: stdout, Stderr: stderr}, ParseOnly: parseOnly(ctx)}
	fs.StringVar(&r.Scenario, "scenario", "", "scenario (default: the only one in DIR)")
	fs.StringVar(&r.Strategy, "strategy", strategy.CopyPerPeer.String(), "buffer strategy whose peak profile to open")
	fs.StringVar(&r.Strategy, "mode", strategy.CopyPerPeer.String(), modeNote)
	fs.StringVar(&r.Limiter, "limiter", "", "store limiter of the case, e.g. aimd or fixed:64 (default: the only one run for the scenario and strategy)")
	fs.StringVar(&r.Base, "base", "", "strategy whose peak profile (same scenario and limiter) is subtracted, as pprof -diff_base")
	fs.StringVar(&r.BaseDir, "base-dir", "", "results directory (another commit's) whose peak profile of the same case is subtracted, as pprof -diff_base")
	fs.BoolVar(&r.Top, "top", false, "print pprof's text top view on stdout instead of serving the web UI")
	fs.StringVar(&r.HTTP, "http", "127.0.0.1:0", "loopback host:port of the web UI (port 0: any free port)")
	fs.BoolVar(&r.Browser, "browser", true, "open a browser on the web UI (pprof's choice: $BROWSER, chrome, firefox, xdg-open…)")
	var err error
	if r.Dirs, err = fs.parse(args); err != nil {
		return err
	}
	r.Given = plan.Visited(fs.FlagSet)
	return pprofui.Command(ctx, r)
}
