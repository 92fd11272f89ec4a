package source_test

import (
	"fmt"
	"io"

	"github.com/fanbench/fanbench/harness/source"
)

// A file is streamed without being held in memory, and any part of it can be
// read again at random.
func Example() {
	spec := source.Spec{Seed: 7, Size: 10 << 20, Compressibility: 0.5}
	if err := spec.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	n, _ := io.Copy(io.Discard, spec.Reader())
	fmt.Println("streamed", n, "bytes")

	a, b := make([]byte, 8), make([]byte, 8)
	spec.ReadAt(a, 1234567)
	spec.ReadAt(b, 1234567)
	fmt.Println("same bytes:", string(a) == string(b))
	fmt.Println(spec.Key())

	fmt.Println(source.Spec{Size: 2}.Validate())
	// Output:
	// streamed 10485760 bytes
	// same bytes: true
	// src-v1/seed=7/size=10485760/compress=0.5
	// source: size: must be ≥ 3 bytes (got 2)
}
