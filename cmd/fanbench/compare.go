package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/plan"
	"github.com/fanbench/fanbench/cmd/fanbench/internal/revcompare"
	"github.com/fanbench/fanbench/harness/limiter"
	"github.com/fanbench/fanbench/harness/upload/strategy"
	"github.com/fanbench/fanbench/reports/compare"
)

const compareUsage = `usage: fanbench compare [flags] OLD NEW
       fanbench compare -base REV [-head REV] [-count N] [flags] [SCENARIO...]

Compares two results: benchfmt files, or results directories (their
results.bench), as benchstat would, and gives a verdict per metric. Exits 1
when a gating metric regressed significantly beyond its tolerance (or a
benchmark of OLD has no finished run in NEW), 4 when nothing regressed but
some gating metric could not be judged (too few samples a side for the U
test: at least 4 a side at alpha 0.05), 2 on unusable input (a missing or
corrupt file, a NaN or infinite value, no benchmark in common, a -metrics or
-tolerance unit that neither file holds), 0 otherwise. Unlike benchstat, a
differing commit: key does not split the comparison, and parse errors are
reported, not dropped.

With -base, it compares two commits of this git repository instead. It
builds fanbench at -base in a temporary git worktree, and at -head the same
way or, without -head, from the working tree as it is (uncommitted changes
included; the report says so). It runs the scenarios (default smoke) with
both builds interleaved in one job: each run of the plan once with each
build, back to back, the build that goes first alternating by round, so that
the machine's drift touches both alike. Each side's results.json,
results.bench and peak profiles (one profiling run per case and side,
unless -profile=false) go under -o (base/ and head/), and the two are
compared as above; summary.md names the largest change of a site's live
bytes at the peak, and fanbench pprof DIR shows the head's peak profile
against the base's. The plan is this fanbench's (its scenarios, flags and job format),
which both builds must be able to read. -count is the runs per side and case
(default 6: with fewer than 4 a side, the U test at alpha 0.05 cannot call
any difference significant). Exits 2 also for an unknown revision, a failed
build, a build that cannot read this fanbench's jobs, or a crashed run; 1
also when the head fails (oom, timeout, crash) more runs of a case than the
base. With -shard i/n (or JOB_COMPLETION_INDEX, TEST_SHARD_INDEX), it runs
its share of the cases on both sides and leaves the verdict to fanbench
merge, which joins the shards' directories and judges them all at once.

Examples:
  fanbench compare results-main results-pr
  fanbench compare -tolerance peak-live-B=0.01 old.bench new.bench
  fanbench compare -metrics peak-live-B,peak-RSS-B,ns/op old/ new/
  fanbench compare -base main
  fanbench compare -base HEAD~3 -head HEAD seed-20mb
  fanbench compare -base HEAD~1 -count 10 -strategies copy-per-peer,streamed -o /tmp/cmp smoke seed-20mb
  fanbench compare -base main -shard 2/4 -o cmp-2 smoke seed-20mb   # then: fanbench merge -o cmp cmp-*

Flags:
`

func cmdCompare(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newCommandFlags("compare", compareUsage, stdout, stderr)
	opts := compare.DefaultOptions
	alpha := fs.Float64("alpha", opts.Alpha, "significance level of the U test")
	metrics := fs.String("metrics", strings.Join(opts.Metrics, ","), "comma-separated units whose regression fails the comparison; each must be in a file (default: those of these the files hold)")
	tol := fs.String("tolerance", "", "per-unit tolerances, e.g. peak-live-B=0.01,peak-RSS-B=0.1 (default 0.05 each)")
	var rc revcompare.Options
	f, o := &rc.Flags, &rc.Run
	fs.StringVar(&rc.Base, "base", "", "compare the commit REV (any git revision) against -head, running both here")
	fs.StringVar(&rc.Head, "head", "", "with -base: the commit to compare against the base (default: the working tree)")
	fs.IntVar(&f.Count, "count", 6, "with -base: runs per side of each case")
	fs.StringVar(&o.Out, "o", "results/compare", "with -base: results directory, one subdirectory per side")
	fs.StringVar(&f.Strategies, "strategies", "", "with -base: comma-separated buffer strategies: "+strings.Join(strategy.Names(), ", ")+" (default: the scenario's)")
	fs.StringVar(&f.Strategies, "modes", "", modesNote)
	fs.StringVar(&f.Limiters, "limiter", "", "with -base: comma-separated store concurrency policies: "+strings.Join(limiter.Forms, ", ")+" (default: the scenario's)")
	fs.BoolVar(&o.Cache, "cache", true, "with -base: reuse encrypted spills across runs (in the user cache directory)")
	fs.DurationVar(&f.Timeout, "timeout", 0, "with -base: time limit of each run (default: the scenario's)")
	fs.IntVar(&o.GOGC, "gogc", 100, "with -base: GOGC of each run (-1 for off)")
	fs.Uint64Var(&o.Order, "order", 1, "with -base: seed of the shuffled case order within each round")
	fs.BoolVar(&o.Profile, "profile", true, "with -base: add one profiling run per case and side, whose peak profiles fanbench pprof DIR sets against each other")
	var shards plan.ShardFlags
	shards.Register(fs.FlagSet)
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	f.Given = plan.Visited(fs.FlagSet)
	opts.Alpha = *alpha
	opts.Metrics = nil // the default units that the files hold
	if f.Given["metrics"] {
		if opts.Metrics = plan.SplitList(*metrics); len(opts.Metrics) == 0 {
			return usageError(errors.New("-metrics: name at least one unit, e.g. peak-live-B"))
		}
	}
	if *tol != "" {
		if opts.Tolerance, err = compare.ParseTolerance(*tol); err != nil {
			return usageError(fmt.Errorf("-tolerance: %w", err))
		}
	}

	if f.Given["base"] {
		rc.Scenarios, rc.Compare = pos, opts
		return revcompare.Command(ctx, stdout, stderr, rc, &shards, parseOnly(ctx))
	}
	if only := revcompare.OnlyWithBase(f.Given); only != "" {
		return usageError(fmt.Errorf("compare: %s only with -base", only))
	}
	if len(pos) != 2 {
		return usageError(errors.New("compare: want OLD and NEW, or -base REV"))
	}
	if parseOnly(ctx) {
		return nil
	}
	return revcompare.Files(stdout, pos[0], pos[1], opts)
}
