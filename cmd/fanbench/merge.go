package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/batch"
	"github.com/fanbench/fanbench/cmd/fanbench/internal/fit"
	"github.com/fanbench/fanbench/cmd/fanbench/internal/merge"
	"github.com/fanbench/fanbench/cmd/fanbench/internal/revcompare"
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
	dirs, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(dirs) == 0 {
		fs.Usage()
		fs.stderr.Write(fs.text.Bytes())
		return usageError(errors.New("merge: give the shards' results directories"))
	}
	for _, d := range dirs {
		if merge.SameDir(d, *out) {
			return usageError(fmt.Errorf("merge: -o %s is one of the shards; give another directory", *out))
		}
	}
	if parseOnly(ctx) {
		return nil
	}
	if revcompare.IsDir(dirs[0]) {
		return revcompare.Merge(stdout, stderr, *out, dirs)
	}
	joined, lock, err := merge.Into(*out, dirs, stderr)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	switch joined.Kind {
	case "fit":
		return fit.Merge(stdout, stderr, *out, joined)
	case "run":
	default:
		return usageError(fmt.Errorf("merge: the shards are of a %q batch, which merge does not know", joined.Kind))
	}
	return batch.Merged(stdout, stderr, *out, dirs, joined)
}
