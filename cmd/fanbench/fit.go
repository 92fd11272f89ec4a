package main

import (
	"context"
	"io"
	"strings"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/fit"
	"github.com/fanbench/fanbench/cmd/fanbench/internal/plan"
	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/upload/strategy"
)

const fitUsage = `usage: fanbench fit -memlimit SIZE [flags] [SCENARIO]

Answers the inverse question: for each buffer strategy, the highest fixed
store cap and the highest in-flight byte budget whose upload of SCENARIO
(default seed-20mb; -size to change the upload) completes under the memory
limit, which judges the client's resident memory as -memlimit does for run.

The analytic model proposes the highest cap whose predicted peak of live
bytes is under the limit, then again with the first run's ratio of resident
to live memory; measured runs, one per setting (the verdicts are exact),
confirm the answer (it completes) and the next step up (it is killed),
galloping and halving from the proposal, usually in a handful of runs. The byte budget holds the AIMD limiter at its ceiling (64), the most
it can reach. Writes DIR/fit.json (one object per strategy and upload),
DIR/fit.svg (predicted and measured peaks against the cap, with the limit),
every run's record, results.bench, report.html and summary.md, and prints
the setting to put in the client's configuration.

Exits 1 when a run neither completed nor was killed at the limit (a crash,
a timeout, a failed upload), 2 on bad flags, 0 otherwise.

Examples:
  fanbench fit -memlimit 1536MiB -size 314572800 -strategies shared-buffer
  fanbench fit -memlimit 4GiB -size 1GiB -o /tmp/fit
  fanbench fit vm4g-300mb
  fanbench fit -memlimit 3.5GB -shard 2/4 -o fit-2 docs/sweep.yaml

Flags:
`

func cmdFit(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newCommandFlags("fit", fitUsage, stdout, stderr)
	var f plan.Flags
	o := plan.Options{Child: childProgram}
	fs.StringVar(&f.MemLimit, "memlimit", "", "the memory limit on the client's resident memory, e.g. 4GiB (default: the scenario's)")
	fs.StringVar(&f.Size, "size", "", "source size: bytes, or a number and a unit (20MiB, 1.5GiB, 300MB) (default: the scenario's)")
	fs.StringVar(&f.Strategies, "strategies", "", "comma-separated buffer strategies: "+strings.Join(strategy.Names(), ", ")+" (default: the scenario's)")
	fs.StringVar(&f.Strategies, "modes", "", modesNote)
	fs.StringVar(&o.Out, "o", "results/fit", "results directory, taken by one batch at a time; an earlier batch's files are moved to its previous/")
	fs.Uint64Var(&f.Seed, "seed", 0, "source seed (default: the scenario's)")
	fs.BoolVar(&f.Transport, "transport", true, "model the transport's own copies (default: the scenario's)")
	fs.StringVar(&f.Payment, "payment", "", "payment mode: auto, single or merkle (default: the scenario's)")
	fs.StringVar(&f.Allocator, "allocator", "", "allocator of the client's buffers (default: the scenario's, else glibc)")
	fs.StringVar(&f.Uploader, "uploader", "", plan.UploaderHelp())
	fs.StringVar(&f.Clients, "client", "", "client profile to model: "+strings.Join(client.Names(), ", ")+" (default: the scenario's, else "+client.Default+")")
	fs.DurationVar(&f.Timeout, "timeout", 0, "time limit of each run (default: the scenario's)")
	fs.IntVar(&o.GOGC, "gogc", 100, "GOGC of each run (-1 for off)")
	fs.BoolVar(&o.Cache, "cache", true, "reuse encrypted spills across runs (in the user cache directory)")
	var shards plan.ShardFlags
	shards.Register(fs.FlagSet)
	names, err := fs.parse(args)
	if err != nil {
		return err
	}
	f.Given = plan.Visited(fs.FlagSet)
	return fit.Command(ctx, stdout, stderr, names, &f, o, &shards, parseOnly(ctx))
}
