package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/runner"
	"github.com/fanbench/fanbench/reports/html"
	"github.com/fanbench/fanbench/reports/summary"
)

const reportUsage = `usage: fanbench report [DIR]

Writes DIR/report.html (one self-contained page: live bytes over time per
strategy with the model's peak and the memory limit, live bytes by site,
heap and RSS, peak against cap for sweeps, the results table and the peak
profiles' top sites) and DIR/summary.md (a short Markdown summary for a pull
request) from the newest batch in DIR: its results.json, or its records in
runs/ when the batch ended without writing one (killed) or results.json is
an earlier batch's. fanbench run does this at its end; DIR defaults to
results.

Examples:
  fanbench report
  fanbench report /tmp/seed
`

func cmdReport(_ context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newCommandFlags("report", reportUsage, stdout, stderr)
	if err := fs.parse(args); err != nil {
		return err
	}
	dir := "results"
	switch fs.NArg() {
	case 0:
	case 1:
		dir = fs.Arg(0)
	default:
		return usageError{fmt.Errorf("report: one results directory, got %d arguments", fs.NArg())}
	}
	res, err := result.LoadDir(dir)
	if err != nil {
		return usageError{fmt.Errorf("report: %w", err)}
	}
	if res.Batch.FromRuns {
		fmt.Fprintf(stderr, "fanbench: batch %s wrote no results.json (killed?): reporting its %d records in %s\n",
			cmp.Or(res.Batch.ID, "of unknown ID"), len(res.Records), filepath.Join(dir, result.RunsDir))
	}
	paths, err := writeReports(dir, res)
	if err != nil {
		return err
	}
	for _, p := range paths {
		fmt.Fprintln(stdout, p)
	}
	return nil
}

// writeReports writes DIR/report.html and DIR/summary.md of res atomically
// and returns their paths.
func writeReports(dir string, res *result.Results) ([]string, error) {
	var page, md bytes.Buffer
	opts := html.DefaultOptions
	opts.Dir, opts.Batch, opts.ByteBudget = dir, res.Batch, runner.LimiterBudget
	if err := html.Write(&page, res.Records, opts); err != nil {
		return nil, fmt.Errorf("report.html: %w", err)
	}
	if err := summary.Write(&md, res.Records, summary.Options{Batch: res.Batch}); err != nil {
		return nil, fmt.Errorf("summary.md: %w", err)
	}
	pagePath, mdPath := filepath.Join(dir, "report.html"), filepath.Join(dir, "summary.md")
	if err := result.WriteFileAtomic(pagePath, page.Bytes()); err != nil {
		return nil, err
	}
	if err := result.WriteFileAtomic(mdPath, md.Bytes()); err != nil {
		return nil, err
	}
	return []string{pagePath, mdPath}, nil
}
