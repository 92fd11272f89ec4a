package upload_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fanbench/fanbench/harness/source"
	"github.com/fanbench/fanbench/harness/spill"
	"github.com/fanbench/fanbench/harness/testnet"
	"github.com/fanbench/fanbench/harness/upload"
	"github.com/fanbench/fanbench/harness/upload/strategy"
	"github.com/fanbench/fanbench/harness/uploader"
)

// cachedUploader returns an uploader whose spills go through a cache in
// root.
func cachedUploader(t *testing.T, root string) *tester {
	t.Helper()
	return newUploader(t, strategy.SharedBuffer, false, nil, func(c *upload.Config) { c.CacheRoot = root })
}

// encryptCached runs the encryption phase through the cache and closes the
// spill when the test ends.
func encryptCached(t *testing.T, u *tester, src source.Spec) *uploader.Encrypted {
	t.Helper()
	enc, err := u.Encrypt(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { enc.Close() })
	return enc
}

// TestCacheFlippedByte: one byte flipped in a cached chunk is found before
// the upload, the entry is rebuilt with a warning naming it, and the upload
// stores every chunk (it used to fail as "partial upload … not stored").
func TestCacheFlippedByte(t *testing.T) {
	t.Setenv(spill.MaxEnv, "")
	root := t.TempDir()
	src := source.Spec{Seed: 3, Size: 100_000}
	u := cachedUploader(t, root)
	first := encryptCached(t, u, src)
	if first.Cached {
		t.Fatal("first Encrypt came from an empty cache")
	}
	victim := first.Chunks()[1]
	path := filepath.Join(first.Spill().Path(), victim.String())
	first.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x04
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}

	enc := encryptCached(t, u, src)
	if enc.Cached {
		t.Fatal("a cache entry with a flipped byte was used")
	}
	if len(enc.Warnings) != 1 || !strings.Contains(enc.Warnings[0], "chunk "+victim.Short()) || !strings.Contains(enc.Warnings[0], enc.Spill().Path()) {
		t.Fatalf("warnings %q, want one naming the entry %s and chunk %s", enc.Warnings, enc.Spill().Path(), victim.Short())
	}
	res, err := u.upload(context.Background(), enc, newNet(t, testnet.Faults{}))
	if err != nil || res.Stored != res.Chunks {
		t.Fatalf("upload after the rebuild: stored %d of %d, %v", res.Stored, res.Chunks, err)
	}
	enc.Close()
	if again := encryptCached(t, u, src); !again.Cached || len(again.Warnings) != 0 {
		t.Fatalf("rebuilt entry not reused: cached %v, warnings %q", again.Cached, again.Warnings)
	}
}

// TestCacheReapsLeftovers: a run that finds its spill in the cache, and so
// encrypts nothing, still removes what crashed runs left behind.
func TestCacheReapsLeftovers(t *testing.T) {
	t.Setenv(spill.MaxEnv, "")
	root := t.TempDir()
	src := source.Spec{Seed: 4, Size: 10_000}
	u := cachedUploader(t, root)
	encryptCached(t, u, src).Close()
	dead := filepath.Join(root, "spill_1_0123456789ab")
	if err := os.Mkdir(dead, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dead, ".lock"), []byte("2147483000\n"), 0o600); err != nil { // no such pid
		t.Fatal(err)
	}
	if enc := encryptCached(t, u, src); !enc.Cached {
		t.Fatal("second Encrypt did not come from the cache")
	}
	if _, err := os.Stat(dead); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a dead run's spill survived a cached start: %v", err)
	}
}

// TestCacheMaxEnv: FANBENCH_CACHE_MAX sets the cap (a spill above it is
// used, then removed, with a warning), and a value that is not a size is an
// error naming the variable.
func TestCacheMaxEnv(t *testing.T) {
	src := source.Spec{Seed: 5, Size: 10_000}
	for _, tc := range []struct {
		env     string
		kept    bool
		warning string
		err     string
	}{
		{env: "", kept: true},
		{env: "1MiB", kept: true},
		{env: "1kB", warning: "larger than the cache cap of 1000 bytes"},
		{env: "0", warning: "larger than the cache cap of 0 bytes"},
		{env: "lots", err: `FANBENCH_CACHE_MAX: "lots" is not a size in bytes`},
	} {
		t.Run(tc.env, func(t *testing.T) {
			t.Setenv(spill.MaxEnv, tc.env)
			u := cachedUploader(t, t.TempDir())
			enc, err := u.Encrypt(context.Background(), src)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			path := enc.Spill().Path()
			enc.Close()
			_, serr := os.Stat(path)
			if kept := serr == nil; kept != tc.kept {
				t.Errorf("spill kept = %v, want %v", kept, tc.kept)
			}
			if tc.warning == "" && len(enc.Warnings) != 0 || tc.warning != "" && (len(enc.Warnings) != 1 || !strings.Contains(enc.Warnings[0], tc.warning)) {
				t.Errorf("warnings %q, want %q", enc.Warnings, tc.warning)
			}
		})
	}
}
