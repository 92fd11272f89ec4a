package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/fit"
	"github.com/fanbench/fanbench/cmd/fanbench/internal/merge"
	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/reports/benchout"
	"github.com/fanbench/fanbench/reports/runs"
	"github.com/fanbench/fanbench/reports/table"
)

const mergeUsage = `usage: fanbench merge [-o DIR] SHARD_DIR...

Joins the parts of one batch that ran split between machines (fanbench run,
fit or compare -base with -shard i/n, a CI matrix, a Kubernetes Indexed Job)
into DIR, as if one machine had run it all: runs/ and profiles/,
results.json, batch.json, results.bench, report.html and summary.md (fit:
fit.json and fit.svg; compare: base/, head/, the verdict and summary.md).

Every shard must be given, each once, and all must be parts of the same
batch: the same kind, shard count, scenarios and settings (flags), fanbench
version and benchfmt configuration, none interrupted. Otherwise merge exits
2, naming the shards at fault and the cases missing. It then judges the
joined batch as its command would: run exits 1 when a run ended in a way
its scenario does not expect and 3 on a broken budget; compare gives its
verdict and exit code (1 regressed, 4 not judged); fit exits 1 when a search
could not conclude.

Examples:
  fanbench run -shard 1/3 -o shard-1 smoke   # and 2/3, 3/3 on other machines
  fanbench merge -o results shard-1 shard-2 shard-3
  fanbench merge -o results/compare compare-shard-*

Flags:
`

func cmdMerge(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newCommandFlags("merge", mergeUsage, stdout, stderr)
	out := fs.String("o", "results", "results directory of the joined batch, taken by one batch at a time; an earlier batch's files are moved to its previous/")
	var dirs []string
	for rest := args; ; {
		if err := fs.parse(rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		dirs = append(dirs, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(dirs) == 0 {
		fs.Usage()
		fs.stderr.Write(fs.text.Bytes())
		return usageError{errors.New("merge: give the shards' results directories")}
	}
	for _, d := range dirs {
		if same, _ := sameDir(d, *out); same {
			return usageError{fmt.Errorf("merge: -o %s is one of the shards; give another directory", *out)}
		}
	}
	if parseOnly(ctx) {
		return nil
	}
	if isCompareDir(dirs[0]) {
		return mergeCompare(ctx, stdout, stderr, *out, dirs)
	}
	joined, lock, err := joinInto(*out, dirs, stderr)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	res := joined.Results
	if joined.Kind == "fit" {
		return mergeFit(stdout, stderr, *out, joined)
	}
	if joined.Kind != "run" {
		return usageError{fmt.Errorf("merge: the shards are of a %q batch, which merge does not know", joined.Kind)}
	}
	if err := writeJoined(*out, joined); err != nil {
		return err
	}
	if err := table.Write(stdout, res.Records); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nmerged %d shards: %s\nrecords: %s\nbenchstat input: %s\nreport: %s\nsummary: %s\n", len(joined.Parts), strings.Join(dirs, ", "),
		filepath.Join(*out, result.ResultsFile), filepath.Join(*out, "results.bench"), filepath.Join(*out, "report.html"), filepath.Join(*out, "summary.md"))
	for _, b := range res.Batch.Breaches {
		fmt.Fprintln(stderr, b)
	}
	switch {
	case len(res.Batch.Unexpected) > 0:
		fmt.Fprintf(stderr, "%d run(s) ended in a way their scenario does not expect:\n%s\n", len(res.Batch.Unexpected), strings.Join(res.Batch.Unexpected, "\n"))
		return exitError{exitFail, fmt.Errorf("%d run(s) ended in a way their scenario does not expect", len(res.Batch.Unexpected))}
	case len(res.Batch.Breaches) > 0:
		return exitError{exitBudget, budgetError{res.Batch.Breaches}}
	}
	return nil
}

// joinInto reads and joins the shards in dirs and takes the results
// directory out for the joined batch (moving an earlier batch's files
// aside). Every error is a usageError: bad input, exit 2.
func joinInto(out string, dirs []string, stderr io.Writer) (*merge.Joined, *result.Lock, error) {
	var parts []*merge.Part
	for _, d := range dirs {
		p, err := merge.Read(d)
		if err != nil {
			return nil, nil, usageError{fmt.Errorf("merge: %w", err)}
		}
		parts = append(parts, p)
	}
	id := result.NewBatchID(time.Now())
	joined, err := merge.Join(parts, id)
	if err != nil {
		return nil, nil, usageError{err}
	}
	lock, err := result.LockDir(out, id)
	if err != nil {
		return nil, nil, usageError{err}
	}
	if moved, err := lock.Retire(); err != nil {
		lock.Unlock()
		return nil, nil, usageError{err}
	} else if len(moved) > 0 {
		fmt.Fprintf(stderr, "fanbench: moved an earlier batch's %s to %s\n", strings.Join(moved, ", "), filepath.Join(out, result.PreviousDir))
	}
	return joined, lock, nil
}

// writeJoined writes a joined batch as run writes one: runs/ and profiles/,
// batch.json and results.json, results.bench (with the shards' common
// configuration), report.html and summary.md.
func writeJoined(dir string, j *merge.Joined) error {
	if err := j.WriteRuns(dir); err != nil {
		return err
	}
	if err := result.WriteResults(dir, j.Results); err != nil {
		return err
	}
	cfg, err := benchout.ConfigOfLines(j.Config)
	if err != nil {
		return err
	}
	if _, err := writeBench(dir, j.Results, cfg); err != nil {
		return err
	}
	_, err = writeReports(dir, j.Results)
	return err
}

// sameDir reports whether a and b name the same existing directory.
func sameDir(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(sa, sb), nil
}

// mergeFit writes a joined fit: the runs and reports as writeJoined does,
// and every shard's answers in one fit.json and fit.svg, by upload size
// and strategy.
func mergeFit(stdout, stderr io.Writer, out string, j *merge.Joined) error {
	var entries []fit.Entry
	for _, p := range j.Parts {
		es, err := fit.ReadFile(p.Dir)
		if err != nil {
			return usageError{fmt.Errorf("merge: shard %d/%d: %w", p.Batch.Shard.Index, p.Batch.Shard.Count, err)}
		}
		entries = append(entries, es...)
	}
	slices.SortStableFunc(entries, func(a, b fit.Entry) int {
		return cmp.Or(cmp.Compare(a.Size, b.Size), strings.Compare(a.Scenario, b.Scenario), runs.CompareStrategies(a.Strategy, b.Strategy))
	})
	if err := writeJoined(out, j); err != nil {
		return err
	}
	if err := writeFitFiles(out, entries); err != nil {
		return err
	}
	if len(entries) > 0 {
		if err := fit.WriteText(stdout, entries); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "\nmerged %d shards\nanswers: %s\nchart: %s\nrecords: %s\n", len(j.Parts), filepath.Join(out, fit.File), filepath.Join(out, "fit.svg"), filepath.Join(out, result.ResultsFile))
	if u := j.Results.Batch.Unexpected; len(u) > 0 {
		fmt.Fprintln(stderr, strings.Join(u, "\n"))
		return exitError{exitFail, fmt.Errorf("%d search(es) could not conclude", len(u))}
	}
	return nil
}
