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
	buf, err := d.Read(nb, buffer.GoHeap(&c))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.B, b) || cap(buf.B) != len(b) || c.Live(buffer.SpillRead) != int64(len(b)) {
		t.Fatalf("read %q cap %d live %d", buf.B, cap(buf.B), c.Live(buffer.SpillRead))
	}
	buf.Release()
	if _, err := d.Read(xorname.FromContent([]byte("absent")), buffer.GoHeap(&c)); err == nil {
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
	fresh := mk("spill_5_fresh", "") // its lock is being written
	freshBuild := mk("staging_6", "")
	past := time.Now().Add(-2 * MaxAge)
	if err := os.Chtimes(old, past, past); err != nil {
		t.Fatal(err)
	}
	justPast := time.Now().Add(-2 * lockGrace)
	if err := os.Chtimes(nolock, justPast, justPast); err != nil {
		t.Fatal(err)
	}
	n, err := Reap(base, MaxAge)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		gone bool
	}{{dead, true}, {nolock, true}, {mine, false}, {old, true}, {other, false}, {fresh, false}, {freshBuild, false}} {
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
