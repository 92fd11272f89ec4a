package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/reports/html"
	"github.com/fanbench/fanbench/reports/summary"
)

const reportUsage = `usage: fanbench report [DIR]

Writes DIR/report.html (one self-contained page: live bytes over time per
strategy with the model's peak and the memory limit, live bytes by site,
heap and RSS, peak against cap for sweeps, the results table and the peak
profiles' top sites) and DIR/summary.md (a short Markdown summary for a pull
request) from the records in DIR/results.json. fanbench run does this at its
end; DIR defaults to results.

Examples:
  fanbench report
  fanbench report /tmp/seed
`

func cmdReport(_ context.Context, stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, reportUsage) }
	if err := fs.Parse(args); err != nil {
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
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		return usageError{fmt.Errorf("report: %w", err)}
	}
	var recs []*result.Record
	if err := json.Unmarshal(b, &recs); err != nil {
		return usageError{fmt.Errorf("report: %s: %w", filepath.Join(dir, "results.json"), err)}
	}
	// The budget verdicts fanbench run found, kept beside the records.
	var sum summary.Options
	if b, err := os.ReadFile(filepath.Join(dir, budgetsFile)); err == nil {
		var v budgetVerdicts
		if err := json.Unmarshal(b, &v); err != nil {
			return usageError{fmt.Errorf("report: %s: %w", filepath.Join(dir, budgetsFile), err)}
		}
		sum.Budgets, sum.Breaches = v.Checked, v.Breaches
	}
	paths, err := writeReports(dir, recs, sum)
	if err != nil {
		return err
	}
	for _, p := range paths {
		fmt.Fprintln(stdout, p)
	}
	return nil
}

// budgetsFile holds the budget verdicts of the last fanbench run into a
// results directory, so fanbench report can write them again.
const budgetsFile = "budgets.json"

type budgetVerdicts struct {
	Checked  bool     `json:"checked"`
	Breaches []string `json:"breaches"`
}

// writeReports writes DIR/report.html and DIR/summary.md atomically and
// returns their paths.
func writeReports(dir string, recs []*result.Record, sum summary.Options) ([]string, error) {
	var page, md bytes.Buffer
	opts := html.DefaultOptions
	opts.Dir, opts.Budgets, opts.Breaches = dir, sum.Budgets, sum.Breaches
	if err := html.Write(&page, recs, opts); err != nil {
		return nil, fmt.Errorf("report.html: %w", err)
	}
	if err := summary.Write(&md, recs, sum); err != nil {
		return nil, fmt.Errorf("summary.md: %w", err)
	}
	pagePath, mdPath := filepath.Join(dir, "report.html"), filepath.Join(dir, "summary.md")
	v, err := json.Marshal(budgetVerdicts{Checked: sum.Budgets, Breaches: sum.Breaches})
	if err != nil {
		return nil, err
	}
	if err := result.WriteFileAtomic(filepath.Join(dir, budgetsFile), append(v, '\n')); err != nil {
		return nil, err
	}
	if err := result.WriteFileAtomic(pagePath, page.Bytes()); err != nil {
		return nil, err
	}
	if err := result.WriteFileAtomic(mdPath, md.Bytes()); err != nil {
		return nil, err
	}
	return []string{pagePath, mdPath}, nil
}
