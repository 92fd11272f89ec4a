package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"time"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/runner"
	"github.com/fanbench/fanbench/harness/spill"
	"github.com/fanbench/fanbench/harness/upload"
	"github.com/olekukonko/tablewriter"
)

const runUsage = `usage: fanbench run [flags]

Runs the default scenario (seed-20mb: the 20 MB upload of ant-client PR #82's
heaptrack capture, store cap cold-started at 8) once per buffer strategy and
prints the exact peak of live tracked bytes, in total and by site.

Examples:
  fanbench run
  fanbench run -modes copy-per-peer,shared-buffer -limiter fixed:64
  fanbench run -size 268435456 -limiter warm:64

Flags:
`

func cmdRun(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, runUsage); fs.PrintDefaults() }
	def := runner.SeedCase()
	modes := fs.String("modes", "copy-per-peer,shared-buffer,encode-once,streamed", "comma-separated buffer strategies")
	lim := fs.String("limiter", def.Limiter, "store concurrency policy: aimd, warm:N, fixed:N or budget")
	size := fs.Int64("size", def.Source.Size, "source size in bytes")
	seed := fs.Uint64("seed", def.Source.Seed, "source seed")
	transport := fs.Bool("transport", def.Transport, "model the transport's own copies")
	pay := fs.String("payment", def.Payment.String(), "payment mode: auto, single or merkle")
	scale := fs.Float64("scale", def.Net.Net.Scale, "simulated seconds per real second")
	cache := fs.Bool("cache", true, "reuse encrypted spills across runs (in the user cache directory)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("run: unexpected argument %q (scenario files come with the scenarios issue)", fs.Arg(0))}
	}
	c := def
	c.Limiter, c.Transport = *lim, *transport
	c.Source.Size, c.Source.Seed = *size, *seed
	c.Net.Net.Scale = *scale
	if *cache {
		c.CacheRoot = spill.DefaultBase()
	}
	var err error
	if c.Payment, err = payment.ParseMode(*pay); err != nil {
		return usageError{err}
	}
	if _, err := runner.ParseLimiter(c.Limiter); err != nil {
		return usageError{err}
	}
	var strategies []upload.Strategy
	for _, name := range strings.Split(*modes, ",") {
		s, err := upload.ParseStrategy(strings.TrimSpace(name))
		if err != nil {
			return usageError{fmt.Errorf("-modes: %w", err)}
		}
		strategies = append(strategies, s)
	}
	if err := c.Source.Validate(); err != nil {
		return usageError{err}
	}
	if err := c.Net.Net.Validate(); err != nil {
		return usageError{err}
	}

	fmt.Fprintf(stderr, "fanbench: %s, %d bytes, limiter %s, transport copies %v\n", c.Name, c.Source.Size, c.Limiter, c.Transport)
	table := tablewriter.NewWriter(stdout)
	table.Header("strategy", "peak live", "chunk", "copy", "encode", "proof", "transport", "stored", "mode", "caps", "streams", "sim time", "wall")
	start := time.Now()
	for i, s := range strategies {
		c.Strategy = s
		fmt.Fprintf(stderr, "[%d/%d] %s %s (%s elapsed)\n", i+1, len(strategies), c.Name, s, time.Since(start).Round(time.Second))
		o, err := runner.Run(ctx, c)
		if err != nil {
			return fmt.Errorf("%s/%s: %w", c.Name, s, err)
		}
		r := o.Result
		transportPeak := o.SitePeak[buffer.RetryClone] + o.SitePeak[buffer.ChannelClone] + o.SitePeak[buffer.Signable] + o.SitePeak[buffer.WireFrame]
		table.Append(s.String(), mib(o.Peak), mib(o.SitePeak[buffer.SpillRead]), mib(o.SitePeak[buffer.PeerCopy]),
			mib(o.SitePeak[buffer.Encode]), mib(o.SitePeak[buffer.Proof]+o.SitePeak[buffer.ProofCopy]), mib(transportPeak),
			fmt.Sprintf("%d/%d", r.Stored, r.Chunks), r.Mode.String(), fmt.Sprint(r.Caps), fmt.Sprint(o.PeakStreams),
			r.SimElapsed.Round(time.Millisecond).String(), r.Elapsed.Round(time.Millisecond).String())
	}
	if err := table.Render(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "peak live: highest total of live tracked client buffers during the upload phase (site columns: each site's own peak; transport = sum of the transport copies' peaks)")
	return nil
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return bi.Main.Version + " " + s.Value
			}
		}
		return bi.Main.Version
	}
	return "(unknown)"
}
