package main

import (
	"context"
	"fmt"
	"io"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/plan"
	"github.com/fanbench/fanbench/cmd/fanbench/internal/spillcache"
	"github.com/fanbench/fanbench/harness/spill"
)

const cacheUsage = `usage: fanbench cache [-dir DIR] [-verify] [-prune [-max SIZE]]

Lists the spill cache: encrypted spills kept between runs so that repeated
runs of one source skip the encryption phase. Each entry is listed with its
key (the source it holds), its size, its last use and its status: ok, bad
(the next run rebuilds it), in use, or a build, private spill or crash
leftover of a run. Every run checks the entry it uses against its chunks'
BLAKE3 addresses; -verify does that for every entry here and marks the bad.

The cache is capped at %s, or at $%s (e.g. 2GiB, 500MB;
0 keeps nothing): a run evicts the least recently used entries to stay
within it. -prune removes crash leftovers, bad entries, and the least
recently used entries until the cache is within -max.

Examples:
  fanbench cache
  fanbench cache -verify
  fanbench cache -prune
  fanbench cache -prune -max 1GiB
  fanbench cache -prune -max 0     # empty it (entries in use stay)

Flags:
`

func cmdCache(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newCommandFlags("cache", fmt.Sprintf(cacheUsage, spillcache.FormatSize(spill.DefaultMax), spill.MaxEnv), stdout, stderr)
	o := spillcache.Options{ParseOnly: parseOnly(ctx)}
	fs.StringVar(&o.Dir, "dir", spill.DefaultBase(), "the cache directory")
	fs.BoolVar(&o.Prune, "prune", false, "remove leftovers, bad entries and the least recently used entries above -max")
	fs.StringVar(&o.Max, "max", "", fmt.Sprintf("the size to prune to, e.g. 2GiB (default: $%s, or %s)", spill.MaxEnv, spillcache.FormatSize(spill.DefaultMax)))
	fs.BoolVar(&o.Verify, "verify", false, "hash every entry's chunks and mark the entries that do not match")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError(fmt.Errorf("cache: unexpected argument %q", pos[0]))
	}
	o.MaxGiven = plan.Visited(fs.FlagSet)["max"]
	return spillcache.Command(stdout, o)
}
