// Package spillcache is fanbench cache: the spill cache (package spill)
// listed, verified and pruned, for a terminal.
package spillcache

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/olekukonko/tablewriter"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/exit"
	"github.com/fanbench/fanbench/harness/spill"
	"github.com/fanbench/fanbench/internal/quantity"
	"github.com/fanbench/fanbench/reports/runs"
)

// Options are fanbench cache's flags.
type Options struct {
	// Dir is the cache directory.
	Dir string
	// Verify hashes every entry; Prune removes what is not needed, down
	// to Max (a byte size; when not MaxGiven, $FANBENCH_CACHE_MAX or the
	// default cap).
	Verify, Prune bool
	Max           string
	MaxGiven      bool
	// ParseOnly checks the options and touches nothing.
	ParseOnly bool
}

// Command is fanbench cache: with o.Verify it checks every entry, with
// o.Prune it prunes the cache, then it lists it on w. Bad options are bad
// input (exit.Usage).
func Command(w io.Writer, o Options) error {
	max, err := spill.MaxFromEnv()
	if err != nil {
		return exit.UsageError(err)
	}
	if o.MaxGiven {
		if !o.Prune {
			return exit.UsageError(errors.New("-max: only with -prune"))
		}
		if max, err = quantity.ParseBytes(o.Max); err != nil {
			return exit.UsageError(fmt.Errorf("-max: %w", err))
		}
	}
	if o.ParseOnly {
		return nil
	}
	c := spill.Cache{Root: o.Dir, Max: max}
	if o.Verify {
		if err := Verify(w, c); err != nil {
			return err
		}
	}
	if o.Prune {
		if err := Prune(w, c, max); err != nil {
			return err
		}
	}
	return List(w, c)
}

// Verify hashes every entry of c that is not in use against its chunks'
// addresses, marks the bad and names them on w.
func Verify(w io.Writer, c spill.Cache) error {
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
			fmt.Fprintf(w, "bad: %s (%s): %s\n", e.Name, e.Key, bad)
		}
	}
	return nil
}

// Prune removes crash leftovers, bad entries and the least recently used
// entries of c until it is within max bytes, naming each on w.
func Prune(w io.Writer, c spill.Cache, max int64) error {
	removed, reaped, err := c.Prune(max)
	if err != nil {
		return err
	}
	for _, e := range removed {
		why := "least recently used"
		if e.Status == spill.StatusBad {
			why = "bad: " + e.Reason
		}
		fmt.Fprintf(w, "removed %s (%s, %s): %s\n", e.Name, e.Key, FormatSize(e.Bytes), why)
	}
	fmt.Fprintf(w, "pruned to %s: %d entries removed, %d leftovers reaped\n", FormatSize(max), len(removed), reaped)
	return nil
}

// List writes the table of c's entries, most recently used first,
// then the directories of runs, and the entries' total.
func List(w io.Writer, c spill.Cache) error {
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
		if err := t.Append(key, FormatSize(e.Bytes), e.LastUsed.Local().Format("2006-01-02 15:04:05"), entryStatus(e), e.Name); err != nil {
			return err
		}
	}
	if len(es) > 0 {
		if err := t.Render(); err != nil {
			return err
		}
	}
	_, err = fmt.Fprintf(w, "entries: %d, %s of the %s cap, in %s\n", n, FormatSize(total), FormatSize(c.Max), c.Root)
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

// FormatSize writes a byte count in bytes below 1 MiB and as the reports
// do (MiB, or whole GiB) above.
func FormatSize(b int64) string {
	if b < 1<<20 {
		return strconv.FormatInt(b, 10) + " B"
	}
	return runs.FormatBytes(b)
}
