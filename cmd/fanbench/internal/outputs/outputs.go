// Package outputs writes the files a batch leaves in its results directory
// beside its runs' records, and takes the directory for a batch:
//
//  1. Take locks the directory for the batch and moves an earlier batch's
//     files aside (result.LockDir, Lock.Retire).
//  2. After the runs, Bench writes results.bench (benchfmt, for benchstat
//     and fanbench compare) and Reports writes report.html and summary.md.
package outputs

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/exit"
	"github.com/fanbench/fanbench/cmd/fanbench/internal/revision"
	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/limiter"
	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/uploader"
	"github.com/fanbench/fanbench/reports/benchout"
	"github.com/fanbench/fanbench/reports/html"
	"github.com/fanbench/fanbench/reports/summary"
)

// BenchFile is the benchfmt file of a results directory.
const BenchFile = "results.bench"

// Take takes the results directory dir for the batch id: a second batch
// into it is refused, and the files of an earlier one (what, e.g. "batch"
// or "comparison") are moved to its previous/, which it says on w. Every
// error is bad input (exit.Usage). The caller unlocks the lock when the
// batch ends.
func Take(dir, id, what string, w io.Writer) (*result.Lock, error) {
	lock, err := result.LockDir(dir, id)
	if err != nil {
		return nil, exit.UsageError(err)
	}
	moved, err := lock.Retire()
	if err != nil {
		lock.Unlock()
		return nil, exit.UsageError(err)
	}
	if len(moved) > 0 {
		fmt.Fprintf(w, "fanbench: moved an earlier %s's %s to %s\n", what, strings.Join(moved, ", "), filepath.Join(dir, result.PreviousDir))
	}
	return lock, nil
}

// Bench writes the finished measured runs of res as benchfmt to
// DIR/results.bench with the file configuration cfg and returns the bytes;
// a cfg without a fanbench version gets this binary's (merge passes the
// shards' own). The batch, the code's commit and an interruption are comments, which
// benchstat and compare skip: a commit: key would split benchstat's tables
// between two commits.
func Bench(dir string, res *result.Results, cfg benchout.Config) ([]byte, error) {
	cfg.Version = cmp.Or(cfg.Version, revision.Release())
	cfg.Notes = append(cfg.Notes, fmt.Sprintf("batch %s, code %s", res.Batch.ID, cmp.Or(res.Batch.Commit, "of unknown commit")))
	cfg.Notes = append(cfg.Notes, clientNotes(res.Records)...)
	cfg.Notes = append(cfg.Notes, uploaderNotes(res.Records)...)
	if l := res.Batch.InterruptedLine(); l != "" {
		cfg.Notes = append(cfg.Notes, l+": the results below are the finished runs only")
	}
	var b bytes.Buffer
	if err := benchout.Write(&b, res.Records, cfg); err != nil {
		return nil, err
	}
	return b.Bytes(), result.WriteFileAtomic(filepath.Join(dir, BenchFile), b.Bytes())
}

// clientNotes names, one line each, the client profiles the records ran
// and the ant-client commit each follows. A result line names a client
// other than the default in its name (/client=…); these lines say it for
// all, without a file key that would split benchstat's tables.
func clientNotes(recs []*result.Record) []string {
	var names []string
	for _, r := range recs {
		if r.Client != "" && !slices.Contains(names, r.Client) {
			names = append(names, r.Client)
		}
	}
	var notes []string
	for _, n := range names {
		line := "client " + n
		if p, err := client.Lookup(n); err == nil {
			line += fmt.Sprintf(" (ant-client %s, %s)", p.Commit, p.Date)
		}
		if n == client.Default {
			line += ", the default: its result names carry no /client= key"
		}
		notes = append(notes, line)
	}
	return notes
}

// uploaderNotes names, one line each, the uploaders the records ran, with
// what each follows. A result line names an uploader other than the
// default in its name (/uploader=…); these lines say it for all, as the
// client notes do.
func uploaderNotes(recs []*result.Record) []string {
	var names []string
	for _, r := range recs {
		if n := r.UploaderName(); !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	var notes []string
	for _, n := range names {
		line := "uploader " + n
		if d, err := uploader.Lookup(n); err == nil {
			line += ": " + d.Summary
		}
		if n == uploader.Default {
			line += "; the default: its result names carry no /uploader= key"
		}
		notes = append(notes, line)
	}
	return notes
}

// Reports writes DIR/report.html and DIR/summary.md of res atomically and
// returns their paths.
func Reports(dir string, res *result.Results) ([]string, error) {
	var page, md bytes.Buffer
	opts := html.DefaultOptions
	opts.Dir, opts.Batch, opts.ByteBudget = dir, res.Batch, limiter.BudgetOf
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

// Write writes res into dir as a batch ends: results.json, results.bench
// with the configuration cfg, report.html and summary.md. It returns
// results.bench's bytes and the reports' paths.
func Write(dir string, res *result.Results, cfg benchout.Config) (bench []byte, reports []string, err error) {
	if err := result.WriteResults(dir, res); err != nil {
		return nil, nil, err
	}
	if bench, err = Bench(dir, res, cfg); err != nil {
		return nil, nil, err
	}
	reports, err = Reports(dir, res)
	return bench, reports, err
}

// Report is fanbench report: it writes report.html and summary.md of the
// newest batch in dir (result.LoadDir), saying on stderr when its records
// come from runs/ alone, and prints their paths on stdout.
func Report(stdout, stderr io.Writer, dir string) error {
	res, err := result.LoadDir(dir)
	if err != nil {
		return exit.UsageError(fmt.Errorf("report: %w", err))
	}
	if res.Batch.FromRuns {
		fmt.Fprintf(stderr, "fanbench: batch %s wrote no results.json (killed?): reporting its %d records in %s\n",
			cmp.Or(res.Batch.ID, "of unknown ID"), len(res.Records), filepath.Join(dir, result.RunsDir))
	}
	paths, err := Reports(dir, res)
	if err != nil {
		return err
	}
	for _, p := range paths {
		fmt.Fprintln(stdout, p)
	}
	return nil
}
