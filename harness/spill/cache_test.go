package spill

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fanbench/fanbench/harness/xorname"
)

// fakeClock is a Cache.Now that moves one minute per call, so every last
// use is distinct and ordered.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time {
	c.t = c.t.Add(time.Minute)
	return c.t
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2025, 1, 2, 3, 4, 0, 0, time.UTC)} }

// chunks returns n chunks of size bytes each, different for every tag.
func chunks(tag string, n, size int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = bytes.Repeat([]byte(fmt.Sprintf("%s/%d;", tag, i)), size)[:size]
	}
	return out
}

// filler returns a fill function that puts cs and returns meta, and counts
// its calls in *calls.
func filler(cs [][]byte, meta string, calls *int) func(*Dir) ([]byte, error) {
	return func(d *Dir) ([]byte, error) {
		*calls++
		for _, c := range cs {
			if err := d.Put(xorname.FromContent(c), c); err != nil {
				return nil, err
			}
		}
		return []byte(meta), nil
	}
}

// readAll reads every chunk of d back and checks it against want.
func readAll(t *testing.T, d *Dir, want [][]byte) {
	t.Helper()
	addrs := d.Addresses()
	if len(addrs) != len(want) {
		t.Fatalf("%d addresses, want %d", len(addrs), len(want))
	}
	for i, a := range addrs {
		b, err := d.Read(a, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b.B, want[i]) {
			t.Fatalf("chunk %d reads %q, want %q", i, b.B, want[i])
		}
		b.Release()
	}
}

func TestCacheGet(t *testing.T) {
	c := Cache{Root: t.TempDir(), Max: 1 << 20}
	const key = "seed=1/size=100"
	cs := chunks("a", 3, 100)
	calls := 0
	d, m, out, err := c.Get(key, 400, filler(cs, "meta", &calls))
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 || out.Cached || !out.Kept || len(out.Warnings) != 0 || string(m.Meta) != "meta" || len(m.Addresses) != 3 {
		t.Fatalf("first Get: calls %d, outcome %+v, manifest %+v", calls, out, m)
	}
	if d.Path() != c.dir(key) {
		t.Fatalf("entry at %s, want %s", d.Path(), c.dir(key))
	}
	d.Close() // a cache entry stays
	d2, m2, out, err := c.Get(key, 400, filler(cs, "meta", &calls))
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if calls != 1 || !out.Cached || string(m2.Meta) != "meta" || m2.Sum != m.Sum {
		t.Fatalf("second Get: calls %d, outcome %+v, manifest %+v", calls, out, m2)
	}
	readAll(t, d2, cs)

	// A failed fill leaves nothing behind.
	_, _, _, err = c.Get("seed=2", 400, func(d *Dir) ([]byte, error) {
		d.Put(xorname.FromContent(cs[0]), cs[0])
		return nil, errors.New("encryption failed")
	})
	if err == nil || err.Error() != "encryption failed" {
		t.Fatalf("failed fill: %v", err)
	}
	des, _ := os.ReadDir(c.Root)
	for _, de := range des {
		if de.Name() != filepath.Base(c.dir(key)) {
			t.Errorf("leftover %s after a failed build", de.Name())
		}
	}
}

// TestCacheDamage damages an entry in each way a disk or a hand can and
// checks that the next Get rebuilds it and says which entry and what.
func TestCacheDamage(t *testing.T) {
	const key = "k"
	cs := chunks("d", 3, 64)
	chunk1 := xorname.FromContent(cs[1]).String()
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, path string)
		want   string // in the warning
	}{
		{"flipped byte", func(t *testing.T, path string) {
			p := filepath.Join(path, chunk1)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			b[10] ^= 0x01
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}, "chunk " + chunk1[:8] + " (64 bytes): content does not match its address"},
		{"truncated chunk", func(t *testing.T, path string) {
			if err := os.Truncate(filepath.Join(path, chunk1), 5); err != nil {
				t.Fatal(err)
			}
		}, "chunk " + chunk1[:8] + " (5 bytes): content does not match its address"},
		{"missing chunk", func(t *testing.T, path string) {
			if err := os.Remove(filepath.Join(path, chunk1)); err != nil {
				t.Fatal(err)
			}
		}, "chunk " + chunk1[:8] + ": open"},
		{"manifest meta flipped", func(t *testing.T, path string) {
			p := filepath.Join(path, manifestName)
			b, _ := os.ReadFile(p)
			b = bytes.Replace(b, []byte(`"meta":"bWV0YQ=="`), []byte(`"meta":"bWV0YB=="`), 1)
			os.WriteFile(p, b, 0o600)
		}, "does not match its content"},
		{"manifest cut", func(t *testing.T, path string) {
			os.WriteFile(filepath.Join(path, manifestName), []byte("{"), 0o600)
		}, "manifest: unexpected EOF"},
		{"old schema", func(t *testing.T, path string) {
			p := filepath.Join(path, manifestName)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, bytes.Replace(b, []byte(`"schema":2`), []byte(`"schema":1`), 1), 0o600)
		}, "manifest schema 1, want 2"},
		{"marked bad", func(t *testing.T, path string) {
			os.WriteFile(filepath.Join(path, badName), []byte("found by fanbench cache -verify\n"), 0o600)
		}, "marked bad: found by fanbench cache -verify"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Cache{Root: t.TempDir(), Max: 1 << 20}
			calls := 0
			d, _, _, err := c.Get(key, 400, filler(cs, "meta", &calls))
			if err != nil {
				t.Fatal(err)
			}
			d.Close()
			tc.damage(t, c.dir(key))
			d, _, out, err := c.Get(key, 400, filler(cs, "meta", &calls))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if calls != 2 || out.Cached || !out.Kept {
				t.Fatalf("damaged entry not rebuilt: fills %d, outcome %+v", calls, out)
			}
			if len(out.Warnings) != 1 || !strings.Contains(out.Warnings[0], c.dir(key)) || !strings.Contains(out.Warnings[0], tc.want) || !strings.HasSuffix(out.Warnings[0], "; rebuilt") {
				t.Fatalf("warnings %q, want one naming %s and %q", out.Warnings, c.dir(key), tc.want)
			}
			readAll(t, d, cs)
			if _, err := os.Stat(filepath.Join(d.Path(), badName)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("rebuilt entry still marked bad: %v", err)
			}
			// The rebuilt entry is trusted again.
			d.Close()
			d, _, out, err = c.Get(key, 400, filler(cs, "meta", &calls))
			if err != nil || !out.Cached || len(out.Warnings) != 0 {
				t.Fatalf("Get after rebuild: %+v, %v", out, err)
			}
			d.Close()
		})
	}
}

// TestCacheDamageInUse: an entry found damaged while another process holds
// it cannot be removed; it is marked bad, this run gets a private spill,
// and the next Get rebuilds the entry without hashing it again.
func TestCacheDamageInUse(t *testing.T) {
	c := Cache{Root: t.TempDir(), Max: 1 << 20}
	cs := chunks("u", 3, 64)
	calls := 0
	holder, _, _, err := c.Get("k", 400, filler(cs, "m", &calls))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(c.dir("k"), xorname.FromContent(cs[2]).String())
	if err := os.WriteFile(p, []byte("not the chunk"), 0o600); err != nil {
		t.Fatal(err)
	}
	d, _, out, err := c.Get("k", 400, filler(cs, "m", &calls))
	if err != nil {
		t.Fatal(err)
	}
	if calls != 2 || out.Kept || len(out.Warnings) != 1 || d.Path() == c.dir("k") {
		t.Fatalf("in-use damaged entry: fills %d, outcome %+v, path %s", calls, out, d.Path())
	}
	readAll(t, d, cs)
	private := d.Path()
	d.Close()
	if _, err := os.Stat(private); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("private spill %s left after Close: %v", private, err)
	}
	if b, err := os.ReadFile(filepath.Join(c.dir("k"), badName)); err != nil || !strings.Contains(string(b), "does not match its address") {
		t.Fatalf("entry not marked bad: %q, %v", b, err)
	}
	holder.Close()
	d, _, out, err = c.Get("k", 400, filler(cs, "m", &calls))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if calls != 3 || !out.Kept || len(out.Warnings) != 1 || !strings.Contains(out.Warnings[0], "marked bad: ") {
		t.Fatalf("marked entry: fills %d, outcome %+v", calls, out)
	}
	readAll(t, d, cs)
}

// TestCacheEvictLRU fills a cache capped at three entries and checks that
// each new entry evicts the least recently used one, never one in use, and
// that the total stays within the cap.
func TestCacheEvictLRU(t *testing.T) {
	clock := newClock()
	const size = 3 * 100 // each entry: 3 chunks of 100 bytes
	c := Cache{Root: t.TempDir(), Now: clock.now}
	// The cap fits three entries with their manifests, not four.
	get := func(key string) *Dir {
		t.Helper()
		calls := 0
		d, _, _, err := c.Get(key, size, filler(chunks(key, 3, 100), key, &calls))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	d := get("probe")
	es, _ := c.Entries()
	d.Close()
	if _, _, err := c.Prune(0); err != nil {
		t.Fatal(err)
	}
	entry := es[0].Bytes // chunks and manifest
	c.Max = 3*entry + entry/2

	keys := func() []string {
		es, err := c.Entries()
		if err != nil {
			t.Fatal(err)
		}
		var ks []string
		var total int64
		for _, e := range es {
			ks = append(ks, e.Key)
			total += e.Bytes
		}
		if total > c.Max {
			t.Errorf("entries total %d bytes over the cap of %d", total, c.Max)
		}
		slices.Sort(ks)
		return ks
	}
	for _, k := range []string{"a", "b", "c"} {
		get(k).Close()
	}
	get("a").Close() // a is now the most recently used; b the least
	for _, step := range []struct {
		get    string
		hold   bool
		want   []string
		evicts []string
	}{
		{"d", false, []string{"a", "c", "d"}, []string{"b"}},
		{"c", true, []string{"a", "c", "d"}, nil}, // c is used, and held
		{"e", false, []string{"c", "d", "e"}, []string{"a"}},
		{"f", false, []string{"c", "e", "f"}, []string{"d"}}, // c held: d goes
	} {
		calls := 0
		d, _, out, err := c.Get(step.get, size, filler(chunks(step.get, 3, 100), step.get, &calls))
		if err != nil {
			t.Fatal(err)
		}
		if !step.hold {
			d.Close()
		}
		var ev []string
		for _, e := range out.Evicted {
			ev = append(ev, e.Key)
		}
		if !slices.Equal(ev, step.evicts) {
			t.Errorf("get %s evicted %v, want %v", step.get, ev, step.evicts)
		}
		if got := keys(); !slices.Equal(got, step.want) {
			t.Errorf("after get %s: entries %v, want %v", step.get, got, step.want)
		}
	}
}

// TestCacheTooLarge: a spill larger than the cap is built, used and
// removed at Close, with a warning, and evicts nothing it does not need to.
func TestCacheTooLarge(t *testing.T) {
	c := Cache{Root: t.TempDir(), Max: 500}
	calls := 0
	small, _, _, err := c.Get("small", 100, filler(chunks("s", 1, 100), "s", &calls))
	if err != nil {
		t.Fatal(err)
	}
	small.Close()
	cs := chunks("big", 3, 100)
	d, _, out, err := c.Get("big", 300, filler(cs, "b", &calls))
	if err != nil {
		t.Fatal(err)
	}
	if out.Kept || len(out.Evicted) != 0 || len(out.Warnings) != 1 || !strings.Contains(out.Warnings[0], "bytes is larger than the cache cap of 500 bytes (FANBENCH_CACHE_MAX); not kept") {
		t.Fatalf("outcome %+v", out)
	}
	readAll(t, d, cs)
	path := d.Path()
	d.Close()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("oversized spill %s kept: %v", path, err)
	}
	if es, _ := c.Entries(); len(es) != 1 || es[0].Key != "small" {
		t.Fatalf("entries %+v, want only small", es)
	}
}

// TestCacheReapsOnHit: a Get that finds its entry still reaps what crashed
// runs left.
func TestCacheReapsOnHit(t *testing.T) {
	c := Cache{Root: t.TempDir(), Max: 1 << 20}
	calls := 0
	d, _, _, err := c.Get("k", 100, filler(chunks("k", 1, 10), "", &calls))
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	var left []string
	for _, name := range []string{"spill_1_dead", "staging_dead", "trash_cut"} {
		p := filepath.Join(c.Root, name)
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(p, lockName), []byte("2147483000\n"), 0o600) // no such pid
		left = append(left, p)
	}
	d, _, out, err := c.Get("k", 100, filler(chunks("k", 1, 10), "", &calls))
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if !out.Cached || out.Reaped != 3 {
		t.Fatalf("outcome %+v, want a hit that reaped 3", out)
	}
	for _, p := range left {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s not reaped", filepath.Base(p))
		}
	}
}

// TestCacheEntriesAndPrune lists a cache with every kind of directory and
// prunes it in steps.
func TestCacheEntriesAndPrune(t *testing.T) {
	clock := newClock()
	c := Cache{Root: t.TempDir(), Max: 1 << 20, Now: clock.now}
	calls := 0
	for _, k := range []string{"old", "new"} {
		d, _, _, err := c.Get(k, 100, filler(chunks(k, 2, 50), k, &calls))
		if err != nil {
			t.Fatal(err)
		}
		d.Close()
	}
	held, _, _, err := c.Get("held", 100, filler(chunks("held", 2, 50), "h", &calls))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	d, _, _, err := c.Get("bad", 100, filler(chunks("bad", 2, 50), "b", &calls))
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	os.Truncate(filepath.Join(c.dir("bad"), xorname.FromContent(chunks("bad", 2, 50)[0]).String()), 1)
	live, err := Create(c.Root, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	dead := filepath.Join(c.Root, "spill_1_dead")
	os.Mkdir(dead, 0o700)
	os.WriteFile(filepath.Join(dead, lockName), []byte("2147483000\n"), 0o600) // no such pid

	es, err := c.Entries()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range es {
		got[e.Key+"|"+e.Name[:5]] += fmt.Sprintf("%s inuse=%v;", e.Status, e.InUse)
	}
	for k, v := range map[string]string{
		"old|cache":  "ok inuse=false;",
		"new|cache":  "ok inuse=false;",
		"held|cache": "ok inuse=true;",
		"bad|cache":  "bad inuse=false;",
		"|spill":     "private inuse=true;leftover inuse=false;", // spill_<unix time>_… sorts before spill_1_dead
	} {
		if got[k] != v {
			t.Errorf("entry %s: %q, want %q", k, got[k], v)
		}
	}
	var statuses []string
	for _, e := range es {
		statuses = append(statuses, string(e.Status))
	}
	slices.Sort(statuses)
	if want := []string{"bad", "leftover", "ok", "ok", "ok", "private"}; !slices.Equal(statuses, want) {
		t.Errorf("statuses %v, want %v", statuses, want)
	}

	// Prune to the cap: the leftover and the bad entry go, nothing else.
	removed, reaped, err := c.Prune(c.Max)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || removed[0].Key != "bad" || reaped != 1 {
		t.Errorf("prune to the cap removed %+v and reaped %d, want the bad entry and the leftover", removed, reaped)
	}
	// Prune to nothing: everything not in use goes, oldest first.
	removed, _, err = c.Prune(0)
	if err != nil {
		t.Fatal(err)
	}
	var ks []string
	for _, e := range removed {
		ks = append(ks, e.Key)
	}
	if !slices.Equal(ks, []string{"old", "new"}) {
		t.Errorf("prune to 0 removed %v, want [old new]", ks)
	}
	es, _ = c.Entries()
	if len(es) != 2 || es[0].Key != "held" && es[1].Key != "held" {
		t.Errorf("after prune: %+v, want the held entry and the live spill", es)
	}
}

// TestCacheCheck: Check finds a flipped byte that Entries (sizes only)
// cannot, and marks the entry so that Prune removes it.
func TestCacheCheck(t *testing.T) {
	c := Cache{Root: t.TempDir(), Max: 1 << 20}
	cs := chunks("c", 2, 50)
	calls := 0
	d, _, _, err := c.Get("k", 100, filler(cs, "", &calls))
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	name := filepath.Base(c.dir("k"))
	if bad, err := c.Check(name); bad != "" || err != nil {
		t.Fatalf("Check of a sound entry: %q, %v", bad, err)
	}
	p := filepath.Join(c.dir("k"), xorname.FromContent(cs[0]).String())
	b, _ := os.ReadFile(p)
	b[0] ^= 0x80
	os.WriteFile(p, b, 0o600)
	if es, _ := c.Entries(); es[0].Status != StatusOK {
		t.Fatalf("Entries status %s: sizes alone cannot see a flipped byte", es[0].Status)
	}
	bad, err := c.Check(name)
	if err != nil || !strings.Contains(bad, "content does not match its address") {
		t.Fatalf("Check = %q, %v", bad, err)
	}
	if es, _ := c.Entries(); es[0].Status != StatusBad {
		t.Fatalf("checked entry not marked bad: %+v", es[0])
	}
	if _, err := c.Check("../x"); err == nil {
		t.Fatal("Check of a path outside the cache succeeded")
	}
}

// TestCacheConcurrentGet: several users of one key at once each get a
// sound spill, whoever builds; one entry is left, and nothing else.
func TestCacheConcurrentGet(t *testing.T) {
	c := Cache{Root: t.TempDir(), Max: 1 << 20}
	cs := chunks("race", 4, 1000)
	const users = 6
	errs := make(chan error, users)
	dirs := make(chan *Dir, users)
	for range users {
		go func() {
			calls := 0
			d, _, _, err := c.Get("k", 5000, filler(cs, "m", &calls))
			errs <- err
			dirs <- d
		}()
	}
	for range users {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		d := <-dirs
		readAll(t, d, cs)
		defer d.Close()
	}
	// While all hold their spills, the entry cannot be evicted.
	if removed, _, err := c.Prune(0); err != nil || len(removed) != 0 {
		t.Fatalf("prune while in use removed %+v, %v", removed, err)
	}
	t.Cleanup(func() {
		des, _ := os.ReadDir(c.Root)
		if len(des) != 1 || des[0].Name() != filepath.Base(c.dir("k")) {
			var names []string
			for _, de := range des {
				names = append(names, de.Name())
			}
			t.Errorf("after every Close: %v, want only the entry", names)
		}
	})
}
