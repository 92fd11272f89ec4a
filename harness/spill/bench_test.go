//go:build linux && (amd64 || arm64)

package spill

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/fanbench/fanbench/harness/xorname"
)

// BenchmarkLookup measures what checking a cache entry costs at every run's
// start: a 300 MB entry (71 full chunks of 4,190,208 bytes and a tail, as
// vm4g-300mb's spill is laid out) read and hashed with BLAKE3, with the
// files in the page cache (warm: the previous run just used them) and
// dropped from it first (cold: POSIX_FADV_DONTNEED on every chunk file).
//
//	go test -run '^$' -bench Lookup -benchtime 5x ./harness/spill
func BenchmarkLookup(b *testing.B) {
	if testing.Short() {
		b.Skip("writes 300 MB")
	}
	const total, chunk = 300_000_000, 4_190_208
	c := Cache{Root: b.TempDir(), Max: 1 << 40}
	rng := rand.NewChaCha8([32]byte{1})
	d, _, _, err := c.Get("bench", total, func(d *Dir) ([]byte, error) {
		buf := make([]byte, chunk)
		for left := total; left > 0; left -= chunk {
			p := buf[:min(chunk, left)]
			rng.Read(p)
			if err := d.Put(xorname.FromContent(p), p); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
	if err != nil {
		b.Fatal(err)
	}
	addrs := d.Addresses()
	d.Close()
	drop := func() {
		for _, a := range addrs {
			f, err := os.Open(filepath.Join(c.dir("bench"), a.String()))
			if err != nil {
				b.Fatal(err)
			}
			const fadvDontNeed = 4
			syscall.Syscall6(syscall.SYS_FADVISE64, f.Fd(), 0, 0, fadvDontNeed, 0, 0)
			f.Close()
		}
	}
	for _, bc := range []struct {
		name string
		cold bool
	}{{"warm", false}, {"cold", true}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(total)
			for range b.N {
				if bc.cold {
					b.StopTimer()
					drop()
					b.StartTimer()
				}
				d, _, bad, err := c.lookup("bench")
				if d == nil || bad != "" || err != nil {
					b.Fatalf("lookup: %q, %v", bad, err)
				}
				d.Close()
			}
		})
	}
}
