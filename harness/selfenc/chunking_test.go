package selfenc

import "testing"

const (
	mib = 1 << 20
	gib = 1 << 30
)

func TestChunkCount(t *testing.T) {
	tests := []struct {
		size int64
		want int
	}{
		{-1, 0},
		{0, 0},
		{2, 0},
		{3, 3},
		{4, 3},
		{5, 3},
		{3*MaxChunkSize - 1, 3},
		{3 * MaxChunkSize, 3},
		{3*MaxChunkSize + 1, 4},
		{4*MaxChunkSize - 1, 4},
		{4 * MaxChunkSize, 4},
		{4*MaxChunkSize + 1, 5},
		{20 * mib, 6},   // the 20 MB heaptrack upload of ant-protocol PR #6
		{1 * gib, 257},  // "1 GB: 260 chunks" = 257 + 3, commit 50489ed
		{4 * gib, 1026}, // "4 GB: 1029 chunks" = 1026 + 3
	}
	for _, tt := range tests {
		if got := ChunkCount(tt.size); got != tt.want {
			t.Errorf("ChunkCount(%d) = %d, want %d", tt.size, got, tt.want)
		}
	}
}

func TestChunkBounds(t *testing.T) {
	sizes := []int64{
		3, 4, 5, 100,
		3*MaxChunkSize - 1, 3 * MaxChunkSize, 3*MaxChunkSize + 1,
		4*MaxChunkSize - 1, 4 * MaxChunkSize, 4*MaxChunkSize + 1,
		20 * mib, 1 * gib, 4 * gib,
	}
	for _, size := range sizes {
		n := ChunkCount(size)
		var next int64
		for i := range n {
			start, end := ChunkBounds(size, i)
			if start != next {
				t.Fatalf("size %d chunk %d starts at %d, want %d", size, i, start, next)
			}
			got := end - start
			var want int64
			switch {
			case size < 3*MaxChunkSize && i < 2:
				want = size / 3
			case size < 3*MaxChunkSize:
				want = size - 2*(size/3)
			case i < n-1:
				want = MaxChunkSize
			default:
				want = size - int64(n-1)*MaxChunkSize
			}
			if got != want || got < MinChunkSize || got > maxSrcSize {
				t.Fatalf("size %d chunk %d is %d bytes, want %d", size, i, got, want)
			}
			next = end
		}
		if next != size {
			t.Fatalf("size %d: chunks end at %d", size, next)
		}
		for _, i := range []int{-1, n, n + 1} {
			if s, e := ChunkBounds(size, i); s != 0 || e != 0 {
				t.Errorf("ChunkBounds(%d, %d) = %d, %d, want 0, 0", size, i, s, e)
			}
		}
	}
	if s, e := ChunkBounds(2, 0); s != 0 || e != 0 {
		t.Errorf("ChunkBounds(2, 0) = %d, %d, want 0, 0", s, e)
	}
}

func TestNeighbours(t *testing.T) {
	tests := []struct{ i, n, n1, n2 int }{
		{0, 3, 2, 1},
		{1, 3, 0, 2},
		{2, 3, 1, 0},
		{0, 10, 9, 8},
		{1, 10, 0, 9},
		{7, 10, 6, 5},
	}
	for _, tt := range tests {
		if n1, n2 := neighbours(tt.i, tt.n); n1 != tt.n1 || n2 != tt.n2 {
			t.Errorf("neighbours(%d, %d) = %d, %d, want %d, %d", tt.i, tt.n, n1, n2, tt.n1, tt.n2)
		}
	}
}
