package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/fanbench/fanbench/reports/compare"
)

const compareUsage = `usage: fanbench compare [flags] OLD NEW

Compares two results: benchfmt files, or results directories (their
results.bench), as benchstat would, and gives a verdict per metric. Exits 1
when a gating metric regressed significantly beyond its tolerance, 2 on
unusable input (a missing or corrupt file, no benchmark in common), 0
otherwise. Unlike benchstat, a differing commit: key does not split the
comparison, and parse errors are reported, not dropped.

Examples:
  fanbench compare results-main results-pr
  fanbench compare -tolerance peak-live-B=0.01 old.bench new.bench
  fanbench compare -metrics peak-live-B,peak-RSS-B,ns/op old/ new/

Flags:
`

func cmdCompare(_ context.Context, stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, compareUsage); fs.PrintDefaults() }
	opts := compare.DefaultOptions
	alpha := fs.Float64("alpha", opts.Alpha, "significance level of the U test")
	metrics := fs.String("metrics", strings.Join(opts.Metrics, ","), "comma-separated units whose regression fails the comparison")
	tol := fs.String("tolerance", "", "per-unit tolerances, e.g. peak-live-B=0.01,peak-RSS-B=0.1 (default 0.05 each)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return usageError{errors.New("compare: want OLD and NEW")}
	}
	opts.Alpha = *alpha
	opts.Metrics = strings.Split(*metrics, ",")
	if *tol != "" {
		opts.Tolerance = map[string]float64{}
		for _, kv := range strings.Split(*tol, ",") {
			unit, v, ok := strings.Cut(kv, "=")
			f, err := strconv.ParseFloat(v, 64)
			if !ok || err != nil || f < 0 {
				return usageError{fmt.Errorf("-tolerance: %q is not unit=fraction", kv)}
			}
			opts.Tolerance[unit] = f
		}
	}
	rep, err := compare.Files(fs.Arg(0), fs.Arg(1), opts)
	if err != nil {
		return exitError{2, err}
	}
	if err := rep.WriteText(stdout); err != nil {
		return err
	}
	if code := rep.ExitCode(); code != 0 {
		return exitError{code, errors.New("a gating metric regressed")}
	}
	return nil
}
