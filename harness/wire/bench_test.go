package wire

import (
	"bytes"
	"io"
	"testing"

	"github.com/fanbench/fanbench/harness/xorname"
)

func benchPut() Put {
	content := pattern(4_190_224, 31)
	return Put{RequestID: 1, Address: xorname.FromContent(content), Content: content, Proof: pattern(55_000, 32)}
}

func BenchmarkAppendPut4MB(b *testing.B) {
	p := benchPut()
	dst := make([]byte, 0, p.Len())
	b.SetBytes(int64(p.Len()))
	b.ReportAllocs()
	for b.Loop() {
		dst = p.Append(dst[:0])
	}
}

func BenchmarkDecodePut4MB(b *testing.B) {
	p := benchPut()
	enc := p.Append(nil)
	r := bytes.NewReader(enc)
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(enc)
		if _, err := DecodePut(r, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPutGrowth(b *testing.B) {
	p := benchPut()
	for b.Loop() {
		p.Growth(ContentVec)
	}
}
