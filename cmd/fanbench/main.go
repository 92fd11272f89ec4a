// Command fanbench measures what an Autonomi uploader's buffer handling does
// to memory. See the README for the subcommands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/fanbench/fanbench/harness/runner"
)

func main() {
	runner.MaybeChild() // a child process runs its job here and exits
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Stdout, os.Stderr, os.Args[1:])
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "fanbench:", err)
		}
		os.Exit(exitCode(err))
	}
}

// usageError is bad command-line input.
type usageError struct{ error }

// exitError carries the exit code a command chose.
type exitError struct {
	code int
	error
}

func exitCode(err error) int {
	var u usageError
	var e exitError
	switch {
	case errors.As(err, &e):
		return e.code
	case errors.As(err, &u) || errors.Is(err, flag.ErrHelp):
		return 2
	}
	return 1
}

const usage = `usage: fanbench <command> [flags]

Commands:
  run       run a scenario for every buffer strategy and print the figures
  compare   compare two results with a verdict and an exit code
  report    write report.html and summary.md for a results directory
  pprof     open a run's peak heap profile in pprof (web UI on loopback, or -top)
  calibrate replay a results directory's traced runs in a real Rust process
  import-heaptrack  map a heaptrack capture's peak onto fanbench's buffer sites
  scenarios list the built-in scenarios
  cache     list the spill cache, check it, prune it
  version   print the version

Run 'fanbench <command> -h' for a command's flags.
`

func run(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{errors.New("no command")}
	}
	switch args[0] {
	case "run":
		return cmdRun(ctx, stdout, stderr, args[1:])
	case "report":
		return cmdReport(ctx, stdout, stderr, args[1:])
	case "pprof":
		return cmdPprof(ctx, stdout, stderr, args[1:])
	case "scenarios":
		return cmdScenarios(ctx, stdout, stderr, args[1:])
	case "compare":
		return cmdCompare(ctx, stdout, stderr, args[1:])
	case "cache":
		return cmdCache(ctx, stdout, stderr, args[1:])
	case "calibrate":
		return cmdCalibrate(ctx, stdout, stderr, args[1:])
	case "import-heaptrack":
		return cmdImportHeaptrack(ctx, stdout, stderr, args[1:])
	case "version":
		fmt.Fprintln(stdout, "fanbench", version())
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageError{fmt.Errorf("unknown command %q", args[0])}
}
