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

// The exit codes of fanbench, the same for every command (README, "Exit
// codes"). A run or comparison that fails for several reasons exits with
// the lowest of exitFail, exitBudget and exitNotJudged that applies.
const (
	exitFail      = 1 // a run ended unexpectedly, a gating metric regressed, or fanbench failed
	exitUsage     = 2 // bad flags, unusable input, a results directory in use or not writable
	exitBudget    = 3 // run: a scenario's budget was broken
	exitNotJudged = 4 // compare: nothing regressed, but a gating metric could not be judged
	// An interrupted command exits 128 + the signal: 130 for SIGINT, 143
	// for SIGTERM.
)

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
		return exitUsage
	}
	return exitFail
}

const usage = `usage: fanbench <command> [flags]

Commands:
  run       run a scenario for every buffer strategy and print the figures
  compare   compare two results with a verdict and an exit code
  report    write report.html and summary.md for a results directory
  pprof     open a run's peak heap profile in pprof (web UI on loopback, or -top)
  scenarios list the built-in scenarios
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
