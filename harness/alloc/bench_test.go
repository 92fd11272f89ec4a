package alloc

import "testing"

// BenchmarkChunkCycle allocates a 4 MiB chunk, touches it whole and frees
// it: the cost the uploader model pays per chunk buffer, page faults
// included (16 MiB resident at most).
func BenchmarkChunkCycle(b *testing.B) {
	for _, p := range Policies() {
		b.Run("policy="+p, func(b *testing.B) {
			a, err := New(p, Options{Reserve: 1 << 30})
			if err != nil {
				b.Fatal(err)
			}
			defer a.Close()
			b.SetBytes(4 << 20)
			for b.Loop() {
				x, err := a.Alloc(4 << 20)
				if err != nil {
					b.Fatal(err)
				}
				a.Touch(x, x.Len())
				fill(x.Bytes(), 1)
				a.Free(x)
			}
		})
	}
}
