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

	"github.com/fanbench/fanbench/cmd/fanbench/internal/exit"
	"github.com/fanbench/fanbench/cmd/fanbench/internal/revision"
	"github.com/fanbench/fanbench/harness/runner"
)

func main() {
	runner.MaybeChild() // a child process runs its job here and exits
	ctx, stop := exit.Interruptible(context.Background())
	err := run(ctx, os.Stdout, os.Stderr, os.Args[1:])
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "fanbench:", err)
		os.Exit(exitCode(err))
	}
}

// exitCode is the exit code err calls for (README, "Exit codes"): 128 + the
// signal for an interruption, the code an *exit.Error carries, 0 after -h,
// 1 otherwise.
func exitCode(err error) int {
	var e *exit.Error
	var i *exit.Interrupted
	switch {
	case errors.As(err, &i):
		return 128 + int(i.Sig)
	case errors.As(err, &e):
		return e.Code
	case errors.Is(err, flag.ErrHelp):
		return 0 // -h: the usage went to stdout
	}
	return exit.Fail
}

// usageError is bad command-line input: exit code 2.
func usageError(err error) error { return exit.UsageError(err) }

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

// parse parses args, flags before, between and after the other arguments
// (fanbench pprof DIR -top; everything after -- is an argument), and
// returns the other arguments. After -h it prints the usage on stdout and
// returns flag.ErrHelp, which main takes for success; after a bad flag it
// prints the usage on stderr, after the flag package's message, and
// returns a usage error.
func (c *commandFlags) parse(args []string) ([]string, error) {
	var pos []string
	for {
		err := c.Parse(args)
		switch {
		case errors.Is(err, flag.ErrHelp):
			c.stdout.Write(c.text.Bytes())
			return nil, err
		case err != nil:
			c.stderr.Write(c.text.Bytes())
			return nil, usageError(err)
		}
		rest := c.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// childProgram is the fanbench program run and fit start for each job,
// "" for this one: fanbench's own tests, built with -race, set a build
// without it (TestMain), since a race-instrumented child costs about ten
// times the CPU and the uploader's races are the harness packages' tests'.
var childProgram string

// parseOnlyKey marks a context in which a command parses and checks its
// command line (flags, scenarios, shard) and then returns nil, doing
// nothing: the tests of the command lines of docs/ci and of the usage
// texts' examples run them so.
type parseOnlyKey struct{}

// parseOnly reports whether ctx asks only for the command line's check.
func parseOnly(ctx context.Context) bool { return ctx.Value(parseOnlyKey{}) != nil }

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

// commands are fanbench's commands by name.
var commands = map[string]func(ctx context.Context, stdout, stderr io.Writer, args []string) error{
	"run": cmdRun, "report": cmdReport, "pprof": cmdPprof, "scenarios": cmdScenarios, "clients": cmdClients,
	"compare": cmdCompare, "fit": cmdFit, "merge": cmdMerge, "cache": cmdCache, "calibrate": cmdCalibrate,
	"import-heaptrack": cmdImportHeaptrack,
}

func run(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError(errors.New("no command"))
	}
	if cmd, ok := commands[args[0]]; ok {
		return cmd(ctx, stdout, stderr, args[1:])
	}
	switch args[0] {
	case "version":
		fmt.Fprintln(stdout, "fanbench", revision.Version())
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageError(fmt.Errorf("unknown command %q", args[0]))
}
