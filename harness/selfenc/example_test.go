package selfenc_test

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/zeebo/blake3"

	"github.com/fanbench/fanbench/harness/selfenc"
	"github.com/fanbench/fanbench/harness/source"
	"github.com/fanbench/fanbench/harness/xorname"
)

// Encrypt a generated file into an in-memory store, then decrypt it back.
func Example() {
	ctx := context.Background()
	spec := source.Spec{Seed: 1, Size: 1 << 20, Compressibility: 0.5}

	stored := make(map[xorname.Name][]byte)
	root, err := selfenc.Encrypt(ctx, spec.Reader(), spec.Size, selfenc.Options{}, func(c selfenc.Chunk) error {
		stored[c.Address] = bytes.Clone(c.Content) // Content is reused after emit returns
		return nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("chunks:", len(stored), "root entries:", len(root.Chunks), "child:", root.Child)

	get := func(a xorname.Name) ([]byte, error) { return stored[a], nil }
	got, want := blake3.New(), blake3.New()
	if err := selfenc.Decrypt(ctx, root, get, got); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := io.Copy(want, spec.Reader()); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("round trip:", bytes.Equal(got.Sum(nil), want.Sum(nil)))

	_, err = selfenc.Encrypt(ctx, bytes.NewReader([]byte("hi")), 2, selfenc.Options{}, nil)
	fmt.Println(err)
	// Output:
	// chunks: 3 root entries: 3 child: -1
	// round trip: true
	// selfenc: size: must be ≥ 3 bytes (got 2)
}
