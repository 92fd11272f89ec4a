package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/spill"
	"github.com/fanbench/fanbench/reports/runs"
	"github.com/fanbench/fanbench/scenarios"
	"github.com/olekukonko/tablewriter"
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

func cmdCache(_ context.Context, stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("cache", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // -h goes to stdout, errors to stderr
	dir := fs.String("dir", spill.DefaultBase(), "the cache directory")
	prune := fs.Bool("prune", false, "remove leftovers, bad entries and the least recently used entries above -max")
	maxFlag := fs.String("max", "", fmt.Sprintf("the size to prune to, e.g. 2GiB (default: $%s, or %s)", spill.MaxEnv, formatSize(spill.DefaultMax)))
	verify := fs.Bool("verify", false, "hash every entry's chunks and mark the entries that do not match")
	usage := func(w io.Writer) {
		fmt.Fprintf(w, cacheUsage, formatSize(spill.DefaultMax), spill.MaxEnv)
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout)
			return nil
		}
		fmt.Fprintln(stderr, err)
		usage(stderr)
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("cache: unexpected argument %q", fs.Arg(0))}
	}
	max, err := spill.MaxFromEnv()
	if err != nil {
		return usageError{err}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["max"] {
		if !*prune {
			return usageError{errors.New("-max: only with -prune")}
		}
		if max, err = scenarios.ParseBytes(*maxFlag); err != nil {
			return usageError{fmt.Errorf("-max: %w", err)}
		}
	}
	c := spill.Cache{Root: *dir, Max: max}

	if *verify {
		es, err := c.Entries()
		if err != nil {
			return err
		}
		for _, e := range es {
			if e.Status != spill.StatusOK || e.InUse {
				continue
			}
			bad, err := c.Check(e.Name)
			if err != nil {
				return err
			}
			if bad != "" {
				fmt.Fprintf(stdout, "bad: %s (%s): %s\n", e.Name, e.Key, bad)
			}
		}
	}
	if *prune {
		removed, reaped, err := c.Prune(max)
		if err != nil {
			return err
		}
		for _, e := range removed {
			why := "least recently used"
			if e.Status == spill.StatusBad {
				why = "bad: " + e.Reason
			}
			fmt.Fprintf(stdout, "removed %s (%s, %s): %s\n", e.Name, e.Key, formatSize(e.Bytes), why)
		}
		fmt.Fprintf(stdout, "pruned to %s: %d entries removed, %d leftovers reaped\n", formatSize(max), len(removed), reaped)
	}
	return listCache(stdout, c)
}

// listCache writes the table of c's entries, most recently used first,
// then the directories of runs, and the entries' total.
func listCache(w io.Writer, c spill.Cache) error {
	es, err := c.Entries()
	if err != nil {
		return err
	}
	entry := func(e spill.Entry) bool { return e.Status == spill.StatusOK || e.Status == spill.StatusBad }
	slices.SortStableFunc(es, func(a, b spill.Entry) int {
		if ea, eb := entry(a), entry(b); ea != eb {
			if ea {
				return -1
			}
			return 1
		}
		return b.LastUsed.Compare(a.LastUsed)
	})
	var total int64
	n := 0
	t := tablewriter.NewWriter(w)
	t.Header("key", "size", "last used", "status", "directory")
	for _, e := range es {
		if entry(e) {
			total += e.Bytes
			n++
		}
		key := e.Key
		if key == "" {
			key = "-"
		}
		if err := t.Append(key, formatSize(e.Bytes), e.LastUsed.Local().Format("2006-01-02 15:04:05"), entryStatus(e), e.Name); err != nil {
			return err
		}
	}
	if len(es) > 0 {
		if err := t.Render(); err != nil {
			return err
		}
	}
	_, err = fmt.Fprintf(w, "entries: %d, %s of the %s cap, in %s\n", n, formatSize(total), formatSize(c.Max), c.Root)
	return err
}

// entryStatus is the status column: the status, whether a process holds
// the entry, and why it is bad or whose it is.
func entryStatus(e spill.Entry) string {
	s := string(e.Status)
	if e.Status == spill.StatusOK && e.InUse {
		s += ", in use"
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// formatSize writes a byte count in bytes below 1 MiB and as the reports
// do (MiB, or whole GiB) above.
func formatSize(b int64) string {
	if b < 1<<20 {
		return strconv.FormatInt(b, 10) + " B"
	}
	return runs.FormatBytes(b)
}

// printWarnings writes a run's warnings (the spill cache's, from the
// child) to the terminal, one line each.
func printWarnings(w io.Writer, r *result.Record) {
	for _, s := range r.Warnings {
		fmt.Fprintf(w, "warning: %s/%s-%d: %s\n", r.Scenario, r.Strategy, r.Rep, s)
	}
}
