package main

import (
	"context"
	"io"
	"strings"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/batch"
	"github.com/fanbench/fanbench/cmd/fanbench/internal/plan"
	"github.com/fanbench/fanbench/harness/alloc"
	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/limiter"
	"github.com/fanbench/fanbench/harness/upload/strategy"
)

const runUsage = `usage: fanbench run [flags] [SCENARIO...]

Runs scenarios (built-in names or YAML files; default seed-20mb, the 20 MB
upload of ant-client PR #82's heaptrack capture) for each of their buffer
strategies and store limiters, each run in a fresh child process, and prints
the medians: the exact peak of live tracked bytes beside the analytic model's
prediction, the Go heap's peak and the peak RSS. Records (JSON), benchfmt
(results.bench) and heap profiles go under the results directory.

Exits 1 when a run ended in a way its scenario does not expect (a crash or
a timeout always; an oom or an error unless the scenario's expect: says
so), 3 when a scenario's budget is broken (one line per breach), 2 on bad
flags or scenarios, 0 otherwise.

Flags override the scenario's settings when given.

Examples:
  fanbench run
  fanbench run -count 6 -o /tmp/seed
  fanbench run smoke vm4g-300mb
  fanbench run -strategies copy-per-peer,shared-buffer -limiter fixed:64
  fanbench run -size 1073741824 -limiter warm:64 -memlimit 4GiB
  fanbench run -client newest -limiter budget
  fanbench run -format bench -count 6 | tee new.txt
  fanbench run docs/sweep.yaml                  # sizes × caps, one case each
  fanbench run -shard 2/4 -o shard-2 cap-sweep-1gb   # then fanbench merge

Flags:
`

// modesNote is the help of -modes, the old name of -strategies.
const modesNote = "the old name of -strategies, kept as an alias for now"

func cmdRun(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newCommandFlags("run", runUsage, stdout, stderr)
	var f plan.Flags
	var shards plan.ShardFlags
	r := batch.Request{Flags: &f, Shards: &shards, ParseOnly: parseOnly(ctx)}
	o := &r.Options
	o.Child = childProgram
	fs.StringVar(&f.Strategies, "strategies", "", "comma-separated buffer strategies: "+strings.Join(strategy.Names(), ", ")+" (default: the scenario's)")
	fs.StringVar(&f.Strategies, "modes", "", modesNote)
	fs.StringVar(&f.Limiters, "limiter", "", "comma-separated store concurrency policies: "+strings.Join(limiter.Forms, ", ")+" (default: the scenario's)")
	fs.IntVar(&f.Count, "count", 0, "repetitions of each case, interleaved (default: the scenario's)")
	fs.StringVar(&o.Out, "o", "results", "results directory, taken by one batch at a time; an earlier batch's files are moved to its previous/")
	fs.DurationVar(&f.Timeout, "timeout", 0, "time limit of each run (default: the scenario's)")
	fs.IntVar(&o.GOGC, "gogc", 100, "GOGC of each run (-1 for off)")
	fs.StringVar(&f.MemLimit, "memlimit", "", "emulated machine memory, e.g. 4GiB: a run whose client's resident memory reaches it is killed (oom) (default: the scenario's)")
	fs.StringVar(&f.Uploader, "uploader", "", plan.UploaderHelp())
	fs.StringVar(&f.Clients, "client", "", "comma-separated client profiles to model, one variant each: "+strings.Join(client.Names(), ", ")+" (default: the scenario's, else "+client.Default+"; fanbench clients lists them)")
	fs.StringVar(&f.Allocator, "allocator", "", "allocator of the client's buffers: "+strings.Join(alloc.Policies(), ", ")+" (default: the scenario's, else the client's own: glibc)")
	fs.StringVar(&f.Size, "size", "", "source size: bytes, or a number and a unit as in scenario files (20MiB, 1.5GiB, 300MB) (default: the scenario's)")
	fs.Uint64Var(&f.Seed, "seed", 0, "source seed (default: the scenario's)")
	fs.BoolVar(&f.Transport, "transport", true, "model the transport's own copies (default: the scenario's)")
	fs.StringVar(&f.Payment, "payment", "", "payment mode: auto, single or merkle (default: the scenario's)")
	fs.BoolVar(&o.Cache, "cache", true, "reuse encrypted spills across runs (in the user cache directory)")
	fs.Uint64Var(&o.Order, "order", 1, "seed of the shuffled run order within each round")
	fs.StringVar(&r.Format, "format", "table", "what to print on stdout: table (medians), or bench (benchfmt, for benchstat; progress and paths go to stderr)")
	fs.BoolVar(&o.Trace, "trace", false, "write each run's client buffer events to traces/ for fanbench calibrate (a replay by a real Rust process)")
	fs.BoolVar(&o.Profile, "profile", true, "add one run per case that writes the exact profile of the client's buffers at the peak (kept apart from the medians)")
	shards.Register(fs.FlagSet)
	// Flags may come before, between or after the scenario names.
	var err error
	if r.Names, err = fs.parse(args); err != nil {
		return err
	}
	f.Given = plan.Visited(fs.FlagSet)
	return batch.Command(ctx, stdout, stderr, r)
}
