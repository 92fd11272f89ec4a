package selfenc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/fanbench/fanbench/harness/xorname"
)

// maxDepth bounds the chain of shrunk maps Decrypt follows, as
// self_encryption's get_root_data_map does (src/lib.rs, depth > 100).
const maxDepth = 100

// Decrypt rebuilds the file behind root and writes its bytes to w, in order.
// It first resolves shrunk maps (root.Child ≥ 1) down to the file's own
// map, then fetches each chunk through get, which returns the encrypted
// content stored at an address; Decrypt does not modify or keep that slice.
// Every chunk's BLAKE3 address, decryption tag, plaintext size and source
// hash are checked, so a missing, swapped or tampered chunk makes Decrypt
// fail with an error naming the level and chunk. Chunks are decrypted one
// at a time: memory is about two chunks plus, while resolving, one
// serialised map. get and w are called from the calling goroutine only.
func Decrypt(ctx context.Context, root DataMap, get func(xorname.Name) ([]byte, error), w io.Writer) error {
	if get == nil || w == nil {
		return errors.New("selfenc: Decrypt needs a get function and a writer")
	}
	var o opener
	m, err := resolve(ctx, root, get, &o)
	if err != nil {
		return err
	}
	if err := decryptLevel(ctx, m, get, w, &o); err != nil {
		return fmt.Errorf("selfenc: decrypting file: %w", err)
	}
	return nil
}

// resolve follows m's chain of shrunk maps down to the map of the file's
// own chunks (self_encryption src/lib.rs get_root_data_map).
func resolve(ctx context.Context, m DataMap, get func(xorname.Name) ([]byte, error), o *opener) (DataMap, error) {
	for depth := 0; m.IsChild(); depth++ {
		if depth == maxDepth {
			return DataMap{}, fmt.Errorf("selfenc: more than %d levels of data map", maxDepth)
		}
		var buf bytes.Buffer
		if err := decryptLevel(ctx, m, get, &buf, o); err != nil {
			return DataMap{}, fmt.Errorf("selfenc: decrypting data map level %d: %w", m.Child, err)
		}
		var below DataMap
		if err := below.UnmarshalBinary(buf.Bytes()); err != nil {
			return DataMap{}, fmt.Errorf("selfenc: data map level %d: %w", m.Child, err)
		}
		// Levels strictly decrease, so a crafted map cannot loop.
		if below.Child >= m.Child {
			return DataMap{}, fmt.Errorf("selfenc: data map level %d holds a map of level %d", m.Child, below.Child)
		}
		m = below
	}
	return m, nil
}

// decryptLevel fetches, checks and decrypts m's chunks in index order with
// m's level keys and writes the plaintext to w.
func decryptLevel(ctx context.Context, m DataMap, get func(xorname.Name) ([]byte, error), w io.Writer, o *opener) error {
	if err := m.check(); err != nil {
		return fmt.Errorf("invalid data map: %w", err)
	}
	src := make([]xorname.Name, len(m.Chunks))
	for i, c := range m.Chunks {
		src[i] = c.SrcHash
	}
	for i, c := range m.Chunks {
		if err := ctx.Err(); err != nil {
			return err
		}
		content, err := get(c.DstHash)
		if err != nil {
			return fmt.Errorf("chunk %d (%s): fetching: %w", i, c.DstHash.Short(), err)
		}
		if got := xorname.FromContent(content); got != c.DstHash {
			return fmt.Errorf("chunk %d (%s): content hashes to %s", i, c.DstHash.Short(), got.Short())
		}
		sec := deriveSecrets(i, src, m.level())
		plain, err := o.open(content, &sec, c.SrcSize)
		if err != nil {
			return fmt.Errorf("chunk %d (%s): %w", i, c.DstHash.Short(), err)
		}
		if got := xorname.FromContent(plain); got != c.SrcHash {
			return fmt.Errorf("chunk %d (%s): plaintext hashes to %s, want %s", i, c.DstHash.Short(), got.Short(), c.SrcHash.Short())
		}
		if _, err := w.Write(plain); err != nil {
			return fmt.Errorf("chunk %d: writing: %w", i, err)
		}
	}
	return nil
}
