// Command fanbench measures what an Autonomi uploader's buffer handling does
// to memory. See the README for the subcommands.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/fanbench/fanbench/harness/runner"
)

func main() {
	runner.MaybeChild() // a child process runs its job here and exits
	ctx, stop := interruptible(context.Background())
	err := run(ctx, os.Stdout, os.Stderr, os.Args[1:])
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "fanbench:", err)
		os.Exit(exitCode(err))
	}
}

// interrupted is the cause of a context cancelled by a signal.
type interrupted struct{ sig syscall.Signal }

func (i *interrupted) Error() string { return "interrupted by " + signalName(i.sig) }

// signalName is "SIGINT", "SIGTERM", or the signal's number.
func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return fmt.Sprintf("signal %d", int(s))
}

// interruptible returns a context that the first SIGINT or SIGTERM cancels
// with an *interrupted cause, so that a command can stop its child, write
// what it has and exit 128 + the signal. After the first, the signals have
// their default effect again: a second one ends the process at once.
func interruptible(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			signal.Reset(os.Interrupt, syscall.SIGTERM)
			sig, _ := s.(syscall.Signal)
			cancel(&interrupted{sig})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}

// interruption returns the signal that cancelled ctx, or nil if ctx was not
// cancelled by one.
func interruption(ctx context.Context) *interrupted {
	var i *interrupted
	if errors.As(context.Cause(ctx), &i) {
		return i
	}
	return nil
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

// commandFlags is a command's flag set with its usage text: -h prints the
// usage and the flags on stdout and is no error (exit 0), as Go's tools do;
// a bad flag prints its error and them on stderr (exit 2).
type commandFlags struct {
	*flag.FlagSet
	stdout, stderr io.Writer
	text           bytes.Buffer // the usage, as the flag package last asked for it
}

func newCommandFlags(name, usage string, stdout, stderr io.Writer) *commandFlags {
	c := &commandFlags{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), stdout: stdout, stderr: stderr}
	c.SetOutput(stderr) // the flag package's error messages
	c.Usage = func() {
		c.text.Reset()
		c.text.WriteString(usage)
		out := c.Output()
		c.SetOutput(&c.text)
		c.PrintDefaults()
		c.SetOutput(out)
	}
	return c
}

// parse parses args. After -h it prints the usage on stdout and returns
// flag.ErrHelp, which main takes for success; after a bad flag it prints
// the usage on stderr, after the flag package's message, and returns a
// usageError.
func (c *commandFlags) parse(args []string) error {
	err := c.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		c.stdout.Write(c.text.Bytes())
		return err
	case err != nil:
		c.stderr.Write(c.text.Bytes())
		return usageError{err}
	}
	return nil
}

// parseOnlyKey marks a context in which a command parses and checks its
// command line (flags, scenarios, shard) and then returns nil, doing
// nothing: the test that every fanbench command line of docs/ci parses
// runs them so.
type parseOnlyKey struct{}

// parseOnly reports whether ctx asks only for the command line's check.
func parseOnly(ctx context.Context) bool { return ctx.Value(parseOnlyKey{}) != nil }

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
	var i *interrupted
	switch {
	case errors.As(err, &i):
		return 128 + int(i.sig)
	case errors.As(err, &e):
		return e.code
	case errors.Is(err, flag.ErrHelp):
		return 0 // -h: the usage went to stdout
	case errors.As(err, &u):
		return exitUsage
	}
	return exitFail
}

const usage = `usage: fanbench <command> [flags]

Commands:
  run       run a scenario for every buffer strategy and print the figures
  compare   compare two results with a verdict and an exit code
  fit       find the highest store cap and byte budget that fit a memory limit
  merge     join the results of a batch's shards into one
  report    write report.html and summary.md for a results directory
  pprof     open a run's peak heap profile in pprof (web UI on loopback, or -top)
  calibrate replay a results directory's traced runs in a real Rust process
  import-heaptrack  map a heaptrack capture's peak onto fanbench's buffer sites
  scenarios list the built-in scenarios
  clients   list the client profiles (ant-client commits) a run can model
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
	case "clients":
		return cmdClients(ctx, stdout, stderr, args[1:])
	case "compare":
		return cmdCompare(ctx, stdout, stderr, args[1:])
	case "fit":
		return cmdFit(ctx, stdout, stderr, args[1:])
	case "merge":
		return cmdMerge(ctx, stdout, stderr, args[1:])
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
