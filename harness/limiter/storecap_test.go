package limiter

import "testing"

// TestStoreCap checks the cap both uploaders read: the policy's limit for
// the items, a byte-budget policy's for the largest record, and the
// client's own budget on top.
func TestStoreCap(t *testing.T) {
	const full = 4_190_208 // a full chunk
	for _, tc := range []struct {
		name           string
		p              Policy
		items          int
		largest, limit int64
		want           int
	}{
		{"fixed, fewer items", Fixed(8), 3, full, 0, 3},
		{"fixed, no client budget", Fixed(64), 100, full, 0, 64},
		{"client budget binds", Fixed(64), 100, full, StoreInflightByteBudget, 16},
		{"client budget does not bind", Fixed(8), 100, full, StoreInflightByteBudget, 8},
		{"small records", Fixed(64), 100, 1 << 20, StoreInflightByteBudget, 64},
		{"budget policy by the largest record", ByteBudget{Inner: Fixed(64), Budget: StoreInflightByteBudget, MaxChunk: full}, 100, 2 << 20, 0, 32},
		{"at least one", Fixed(64), 100, 1 << 30, StoreInflightByteBudget, 1},
	} {
		if got := StoreCap(tc.p, tc.items, tc.largest, tc.limit); got != tc.want {
			t.Errorf("%s: StoreCap = %d, want %d", tc.name, got, tc.want)
		}
	}
}
