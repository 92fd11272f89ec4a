package wire_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"

	"github.com/fanbench/fanbench/harness/wire"
	"github.com/fanbench/fanbench/harness/xorname"
)

// The encode buffer of one per-peer send, before and after ant-protocol
// v2.1.0, for a full-size encrypted chunk with a single-node proof. The
// figures are derived by hand in growth_test.go.
func ExamplePut_Growth() {
	p := wire.Put{RequestID: 1, Content: make([]byte, 4_190_224), Proof: make([]byte, 55_000)}
	for _, k := range []wire.ContentKind{wire.ContentVec, wire.ContentBytes} {
		g := p.Growth(k)
		fmt.Printf("%-5s len %d cap %d alloc %d\n", k, g.Len, g.Cap(), g.Alloc())
	}
	// Output:
	// vec   len 4245266 cap 8388608 alloc 16777208
	// bytes len 4245266 cap 8380524 alloc 12570906
}

// The signable and wire buffers saorsa-core builds around that payload.
func ExampleEnvelope_WireGrowth() {
	e := wire.NewClientEnvelope(xorname.Name{}, 1_780_000_000)
	s, w := e.SignableGrowth(4_245_266), e.WireGrowth(4_245_266)
	fmt.Printf("signable len %d cap %d alloc %d\n", s.Len, s.Cap(), s.Alloc())
	fmt.Printf("wire     len %d cap %d alloc %d\n", w.Len, w.Cap(), w.Alloc())
	// Output:
	// signable len 4245376 cap 5767168 alloc 11534322
	// wire     len 4250641 cap 5767168 alloc 11534322
}

// A receiving peer hashes the content as it arrives and keeps only the
// small fields and the proof.
func ExampleDecodePut() {
	content := []byte("chunk bytes")
	p := wire.Put{RequestID: 9, Address: xorname.FromContent(content), Content: content, Proof: []byte("proof")}
	msg := p.Append(nil)

	h := sha256.New() // the node uses BLAKE3; any io.Writer will do
	hdr, err := wire.DecodePut(bytes.NewReader(msg), h)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(hdr.RequestID, hdr.ContentLen, string(hdr.Proof))
	sum := sha256.Sum256(content)
	fmt.Println(bytes.Equal(h.Sum(nil), sum[:]))

	_, err = wire.DecodePut(bytes.NewReader(msg[:20]), io.Discard)
	fmt.Println(err)
	// Output:
	// 9 11 proof
	// true
	// wire: ChunkMessage.address at byte 2: truncated input
}
