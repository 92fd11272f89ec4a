package main

import (
	"context"
	"fmt"
	"io"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/outputs"
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

func cmdReport(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newCommandFlags("report", reportUsage, stdout, stderr)
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	dir := "results"
	switch len(pos) {
	case 0:
	case 1:
		dir = pos[0]
	default:
		return usageError(fmt.Errorf("report: one results directory, got %d arguments", len(pos)))
	}
	if parseOnly(ctx) {
		return nil
	}
	return outputs.Report(stdout, stderr, dir)
}
