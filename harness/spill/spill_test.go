package spill

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/xorname"
)

func TestPutReadClose(t *testing.T) {
	base := t.TempDir()
	d, err := Create(base, 1<<10)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(d.Path())
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("spill dir mode = %v, %v; want 0700", st.Mode().Perm(), err)
	}
	a, b := []byte("first chunk"), []byte("second")
	na, nb := xorname.FromContent(a), xorname.FromContent(b)
	for _, put := range []struct {
		n xorname.Name
		c []byte
	}{{na, a}, {nb, b}, {na, a}} {
		if err := d.Put(put.n, put.c); err != nil {
			t.Fatal(err)
		}
	}
	if got := d.Addresses(); len(got) != 2 || got[0] != na || got[1] != nb {
		t.Fatalf("addresses = %v, want deduplicated [a b]", got)
	}
	if d.Bytes() != int64(len(a)+len(b)) {
		t.Fatalf("bytes = %d", d.Bytes())
	}
	var c buffer.Counter
	buf, err := d.Read(nb, &c)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.B, b) || cap(buf.B) != len(b) || c.Live(buffer.SpillRead) != int64(len(b)) {
		t.Fatalf("read %q cap %d live %d", buf.B, cap(buf.B), c.Live(buffer.SpillRead))
	}
	buf.Release()
	if _, err := d.Read(xorname.FromContent([]byte("absent")), &c); err == nil {
		t.Fatal("read of an absent chunk succeeded")
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("spill dir still there after Close: %v", err)
	}
}

func TestReapLeftovers(t *testing.T) {
	base := t.TempDir()
	mk := func(name, lock string) string {
		p := filepath.Join(base, name)
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
		if lock != "" {
			if err := os.WriteFile(filepath.Join(p, lockName), []byte(lock), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		return p
	}
	dead := mk("spill_1_dead", "2147483000\n") // no such pid
	nolock := mk("spill_2_nolock", "")
	mine := mk("spill_3_mine", strconv.Itoa(os.Getpid()))
	old := mk("spill_4_old", strconv.Itoa(os.Getpid()))
	other := mk("not_a_spill", "")
	past := time.Now().Add(-2 * MaxAge)
	if err := os.Chtimes(old, past, past); err != nil {
		t.Fatal(err)
	}
	n, err := Reap(base, MaxAge)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		gone bool
	}{{dead, true}, {nolock, true}, {mine, false}, {old, true}, {other, false}} {
		_, err := os.Stat(c.path)
		if gone := errors.Is(err, os.ErrNotExist); gone != c.gone {
			t.Errorf("%s: removed = %v, want %v", filepath.Base(c.path), gone, c.gone)
		}
	}
	if n != 3 {
		t.Errorf("Reap removed %d, want 3", n)
	}
}

func TestCreateUnwritableBase(t *testing.T) {
	// Root ignores directory modes, so use a path under a regular file.
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Create(filepath.Join(f, "spill"), 10)
	if err == nil {
		t.Fatal("Create under a regular file succeeded")
	}
}

func TestCache(t *testing.T) {
	c := Cache{Root: t.TempDir()}
	const key = "seed=1/size=100"
	if _, _, ok, err := c.Lookup(key); ok || err != nil {
		t.Fatalf("empty cache lookup = %v, %v", ok, err)
	}
	content := []byte("cached chunk")
	addr := xorname.FromContent(content)
	d, m, err := c.Build(key, 100, func(d *Dir) ([]byte, error) {
		return []byte("meta"), d.Put(addr, content)
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(m.Meta) != "meta" || len(m.Addresses) != 1 {
		t.Fatalf("manifest = %+v", m)
	}
	d.Close() // a cached entry stays
	d2, m2, ok, err := c.Lookup(key)
	if err != nil || !ok {
		t.Fatalf("lookup after build = %v, %v", ok, err)
	}
	if m2.Addresses[0] != addr || string(m2.Meta) != "meta" {
		t.Fatalf("manifest after lookup = %+v", m2)
	}
	b, err := d2.Read(addr, nil)
	if err != nil || !bytes.Equal(b.B, content) {
		t.Fatalf("cached read = %q, %v", b.B, err)
	}

	// A failed build leaves nothing behind, and nothing a lookup trusts.
	const other = "seed=2"
	_, _, err = c.Build(other, 10, func(d *Dir) ([]byte, error) {
		d.Put(addr, content)
		return nil, errors.New("encryption failed")
	})
	if err == nil {
		t.Fatal("failed fill did not fail Build")
	}
	if _, _, ok, _ := c.Lookup(other); ok {
		t.Fatal("lookup found a failed build")
	}
	entries, _ := os.ReadDir(c.Root)
	for _, e := range entries {
		if e.Name() != filepath.Base(c.dir(key)) {
			t.Errorf("leftover %s after failed build", e.Name())
		}
	}

	// A truncated chunk drops the entry.
	if err := os.WriteFile(filepath.Join(c.dir(key), addr.String()), content[:3], 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, err := c.Lookup(key); ok || err != nil {
		t.Fatalf("truncated entry lookup = %v, %v", ok, err)
	}
	if _, _, err := c.Build(key, 100, func(d *Dir) ([]byte, error) { return []byte("meta"), d.Put(addr, content) }); err != nil {
		t.Fatal(err)
	}

	// A damaged manifest is dropped, not trusted.
	if err := os.WriteFile(filepath.Join(c.dir(key), manifestName), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, err := c.Lookup(key); ok || err != nil {
		t.Fatalf("damaged entry lookup = %v, %v", ok, err)
	}
}
