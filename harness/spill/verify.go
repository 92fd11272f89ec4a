package spill

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/zeebo/blake3"

	"github.com/fanbench/fanbench/harness/xorname"
)

// check reads the entry at path and says what is wrong with it, or ""
// when nothing is: a mark left by an earlier check, a manifest that does
// not decode, is not for key (when key is not empty) or fails its
// checksum, chunk sizes that do not add up, and, when content is set, a
// chunk whose BLAKE3 hash is not its address. The manifest is returned
// whenever it decodes, so a listing can name a bad entry's key.
func check(path, key string, content bool) (Manifest, string) {
	b, err := os.ReadFile(filepath.Join(path, manifestName))
	if err != nil {
		return Manifest{}, "no readable manifest: " + err.Error()
	}
	m, err := decodeManifest(b)
	if err != nil {
		return Manifest{}, err.Error()
	}
	if b, err := os.ReadFile(filepath.Join(path, badName)); err == nil {
		return m, "marked bad: " + strings.TrimSpace(string(b))
	}
	if key != "" && m.Key != key {
		return m, fmt.Sprintf("manifest is for key %q", m.Key)
	}
	if content {
		return m, verifyChunks(path, m)
	}
	var total int64
	for _, a := range m.Addresses {
		st, err := os.Stat(filepath.Join(path, a.String()))
		if err != nil {
			return m, fmt.Sprintf("chunk %s: %v", a.Short(), err)
		}
		total += st.Size()
	}
	if total != m.Bytes {
		return m, fmt.Sprintf("chunks hold %d bytes, manifest says %d", total, m.Bytes)
	}
	return m, ""
}

// verifyChunks hashes every chunk of m under path, through one 1 MiB
// buffer, and says which chunk does not match its address, or "".
func verifyChunks(path string, m Manifest) string {
	h := blake3.New()
	buf := make([]byte, 1<<20)
	var total int64
	for _, a := range m.Addresses {
		f, err := os.Open(filepath.Join(path, a.String()))
		if err != nil {
			return fmt.Sprintf("chunk %s: %v", a.Short(), err)
		}
		h.Reset()
		n, err := io.CopyBuffer(h, f, buf)
		f.Close()
		if err != nil {
			return fmt.Sprintf("chunk %s: %v", a.Short(), err)
		}
		total += n
		var got xorname.Name
		h.Sum(got[:0])
		if got != a {
			return fmt.Sprintf("chunk %s (%d bytes): content does not match its address (BLAKE3 %s)", a.Short(), n, got.Short())
		}
	}
	if total != m.Bytes {
		return fmt.Sprintf("chunks hold %d bytes, manifest says %d", total, m.Bytes)
	}
	return ""
}
