package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fanbench/fanbench/harness/spill"
	"github.com/fanbench/fanbench/harness/uploader"
	"github.com/fanbench/fanbench/harness/xorname"
	"github.com/fanbench/fanbench/scenarios"
)

// cacheFixture makes a spill cache in a temporary directory with entries
// "old" and "new" (used in that order), "flipped" (a byte flipped in a
// chunk: sizes are right, content is not), "cut" (a chunk truncated) and a
// crashed run's leftover. It returns the cache and its entries' directory
// names by key.
func cacheFixture(t *testing.T) (spill.Cache, map[string]string) {
	t.Helper()
	at := time.Date(2025, 3, 4, 5, 6, 0, 0, time.UTC)
	c := spill.Cache{Root: t.TempDir(), Max: 1 << 30, Now: func() time.Time { at = at.Add(time.Hour); return at }}
	names := map[string]string{}
	chunkOf := func(key string, i int) []byte {
		return bytes.Repeat([]byte(fmt.Sprintf("%s-%d.", key, i)), 100)
	}
	for _, key := range []string{"old", "flipped", "cut", "new"} {
		d, _, _, err := c.Get(key, 1<<20, func(d *spill.Dir) ([]byte, error) {
			for i := range 3 {
				b := chunkOf(key, i)
				if err := d.Put(xorname.FromContent(b), b); err != nil {
					return nil, err
				}
			}
			return nil, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		names[key] = filepath.Base(d.Path())
		d.Close()
	}
	chunk := func(key string) string {
		return filepath.Join(c.Root, names[key], xorname.FromContent(chunkOf(key, 1)).String())
	}
	b, err := os.ReadFile(chunk("flipped"))
	if err != nil {
		t.Fatal(err)
	}
	b[7] ^= 1
	if err := os.WriteFile(chunk("flipped"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(chunk("cut"), 10); err != nil {
		t.Fatal(err)
	}
	dead := filepath.Join(c.Root, "spill_1_0123456789ab")
	if err := os.Mkdir(dead, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dead, ".lock"), []byte("2147483000\n"), 0o600); err != nil { // no such pid
		t.Fatal(err)
	}
	return c, names
}

func TestCacheCommand(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  string
		// want are lines (or parts of lines) of stdout, in order.
		want []string
		// left are the keys listed at the end; "leftover" stands for the
		// crash leftover.
		left string
		err  string // in the error, which is a usage error
	}{
		{
			name: "list",
			want: []string{"KEY", "│ new ", "│ ok ", "│ cut ", "│ bad: chunks hold 1210 bytes, manifest says 1800", "│ flipped ", "│ ok ", "│ old ", "│ ok ", "│ - ", "│ leftover: pid 2147483000 is gone ", "entries: 4, "},
			left: "old flipped cut new leftover",
		},
		{
			name: "verify",
			args: []string{"-verify"},
			want: []string{"bad: cache_", "(flipped): chunk ", "content does not match its address", "bad: marked bad: chunk "},
			left: "old flipped cut new leftover",
		},
		{
			name: "prune to the default cap",
			args: []string{"-prune"},
			want: []string{"(cut, ", " B): bad: chunks hold 1210 bytes", "pruned to 8 GiB: 1 entries removed, 1 leftovers reaped", "entries: 3,"},
			left: "old flipped new",
		},
		{
			name: "verify and prune",
			args: []string{"-verify", "-prune"},
			want: []string{"bad: cache_", "(flipped)", "(flipped, ", "B): bad: marked bad: chunk ", "(cut, ", "B): bad: chunks hold", "pruned to 8 GiB: 2 entries removed"},
			left: "old new",
		},
		{
			name: "prune to one entry, least recently used first",
			args: []string{"-prune", "-max", "2500B"},
			want: []string{"(cut, ", "(old, ", "least recently used", "pruned to 2500 B: 3 entries removed"},
			left: "new",
		},
		{
			name: "prune by the environment's cap",
			args: []string{"-prune"},
			env:  "2.5kB",
			want: []string{"pruned to 2500 B: 3 entries removed", "of the 2500 B cap"},
			left: "new",
		},
		{
			name: "prune everything",
			args: []string{"-prune", "-max", "0"},
			want: []string{"pruned to 0 B: 4 entries removed, 1 leftovers reaped", "entries: 0, 0 B of the 0 B cap"},
		},
		{name: "max without prune", args: []string{"-max", "1GiB"}, err: "-max: only with -prune", left: "old flipped cut new leftover"},
		{name: "bad max", args: []string{"-prune", "-max", "1 GB!"}, err: `-max: "1 GB!" is not a size in bytes`, left: "old flipped cut new leftover"},
		{name: "bad environment", env: "big", err: `FANBENCH_CACHE_MAX: "big" is not a size in bytes`, left: "old flipped cut new leftover"},
		{name: "argument", args: []string{"all"}, err: `unexpected argument "all"`, left: "old flipped cut new leftover"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(spill.MaxEnv, tc.env)
			c, names := cacheFixture(t)
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), &stdout, &stderr, append([]string{"cache", "-dir", c.Root}, tc.args...))
			if tc.err != "" {
				if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v (exit %d), want exit 2 and %q", err, exitCode(err), tc.err)
				}
			} else if err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			out := stdout.String()
			rest := out
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("output lacks %q (in order):\n%s", w, out)
				}
				rest = rest[i+len(w):]
			}
			es, err := c.Entries()
			if err != nil {
				t.Fatal(err)
			}
			byName := map[string]string{}
			for k, n := range names {
				byName[n] = k
			}
			var left []string
			for _, e := range es {
				if k, ok := byName[e.Name]; ok {
					left = append(left, k)
				} else {
					left = append(left, string(e.Status))
				}
			}
			// Entries sorts by directory name; compare as sets.
			if got, want := sortedFields(strings.Join(left, " ")), sortedFields(tc.left); got != want {
				t.Errorf("left in the cache: %s, want %s\n%s", got, want, out)
			}
		})
	}
}

func sortedFields(s string) string {
	f := strings.Fields(s)
	for i := range f {
		for j := i + 1; j < len(f); j++ {
			if f[j] < f[i] {
				f[i], f[j] = f[j], f[i]
			}
		}
	}
	return strings.Join(f, " ")
}

// TestCacheHelp: -h prints the usage on stdout and succeeds.
func TestCacheHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), &stdout, &stderr, []string{"cache", "-h"}); exitCode(err) != 0 {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stdout.String(), "usage: fanbench cache") || !strings.Contains(stdout.String(), "-prune") || stderr.Len() != 0 {
		t.Fatalf("stdout %q, stderr %q", stdout.String(), stderr.String())
	}
}

// TestCacheDefaultMax: the default cap holds the spill of every built-in
// scenario's source at once (spill.DefaultMax's justification), counted at
// the uploader's upper bound.
func TestCacheDefaultMax(t *testing.T) {
	seen := map[string]bool{}
	var total int64
	for _, s := range scenarios.Builtins() {
		src := s.Source
		k := fmt.Sprint(src.Seed, src.Size, src.Compressibility)
		if seen[k] {
			continue
		}
		seen[k] = true
		total += uploader.SpillBound(src.Size)
	}
	t.Logf("built-in spills: at most %d bytes (%.2f GiB) in %d entries", total, float64(total)/(1<<30), len(seen))
	if total > spill.DefaultMax {
		t.Errorf("the built-in scenarios' spills need up to %d bytes, over the default cap of %d", total, spill.DefaultMax)
	}
	if total < spill.DefaultMax*3/4 {
		t.Errorf("the default cap of %d bytes is far above the %d the built-ins need: lower it", spill.DefaultMax, total)
	}
}
