package limiter

import (
	"testing"
	"time"
)

// maxChunk is self_encryption's MAX_CHUNK_SIZE, 4 MiB − 4 KiB
// (shared/reference/uploader.md §3.1).
const maxChunk = 4_190_208

func TestLimit(t *testing.T) {
	cold := NewAIMD(DefaultStore) // cap 8
	tests := []struct {
		name  string
		p     Policy
		items int
		want  int
	}{
		{"aimd cap 8, wave of 64 → 8", cold, 64, 8},
		{"aimd cap 8, retry round of 3 → 3", cold, 3, 3},
		{"aimd cap 8, 8 items → 8", cold, 8, 8},
		{"aimd, 0 items → 1 (never a zero-width pipeline)", cold, 0, 1},
		{"warm aimd cap 64, 64 items → 64", WarmStart(DefaultStore, 64), 64, 64},
		{"fixed 8, 64 items → 8", Fixed(8), 64, 8},
		{"fixed 8, 5 items → 5", Fixed(8), 5, 5},
		{"fixed 0 acts as 1", Fixed(0), 64, 1},
		{"budget 64 MiB over inner 64, 64 items → 16", ByteBudget{Fixed(64), StoreInflightByteBudget, maxChunk}, 64, 16},
		{"budget 64 MiB over inner 64, 10 items → 10", ByteBudget{Fixed(64), StoreInflightByteBudget, maxChunk}, 10, 10},
	}
	for _, tt := range tests {
		if got := tt.p.Limit(tt.items); got != tt.want {
			t.Errorf("%s: %v.Limit(%d) = %d, want %d", tt.name, tt.p, tt.items, got, tt.want)
		}
	}
}

func TestFixed(t *testing.T) {
	f := Fixed(8)
	for range 64 {
		f.Observe(Sample{Timeout, time.Second})
	}
	if f.Cap() != 8 {
		t.Errorf("Fixed(8).Cap() = %d after timeouts, want 8", f.Cap())
	}
	if got, want := f.String(), "fixed(8)"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}

func TestByteBudget(t *testing.T) {
	tests := []struct {
		name string
		b    ByteBudget
		want int
	}{
		// 67,108,864 / 4,190,208 = 16.02 → 16 chunks.
		{"64 MiB, full chunks, inner 64 → 16", ByteBudget{Fixed(64), StoreInflightByteBudget, maxChunk}, 16},
		{"64 MiB, full chunks, inner 8 → 8", ByteBudget{Fixed(8), StoreInflightByteBudget, maxChunk}, 8},
		{"64 MiB, cold aimd inner (8) → 8", ByteBudget{NewAIMD(DefaultStore), StoreInflightByteBudget, maxChunk}, 8},
		{"64 MiB, warm aimd inner (64) → 16", ByteBudget{WarmStart(DefaultStore, 64), StoreInflightByteBudget, maxChunk}, 16},
		// 67,108,864 / 1,048,576 = 64: small chunks fall back on the inner cap.
		{"64 MiB, 1 MiB chunks, inner 64 → 64", ByteBudget{Fixed(64), StoreInflightByteBudget, 1 << 20}, 64},
		{"budget below one chunk still allows 1", ByteBudget{Fixed(64), 1 << 20, maxChunk}, 1},
		{"MaxChunk 0: no byte bound (upstream checked_div → None)", ByteBudget{Fixed(64), StoreInflightByteBudget, 0}, 64},
	}
	for _, tt := range tests {
		if got := tt.b.Cap(); got != tt.want {
			t.Errorf("%s: Cap() = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestByteBudgetForwardsObservations(t *testing.T) {
	inner := NewAIMD(DefaultStore)
	b := ByteBudget{inner, StoreInflightByteBudget, maxChunk}
	// 96 healthy samples ramp the inner limiter 8→16→32→64 (see
	// TestAIMDTable); the byte bound keeps the budgeted cap at 16.
	for range 96 {
		b.Observe(Sample{Success, fast})
	}
	if inner.Cap() != 64 || b.Cap() != 16 {
		t.Errorf("inner cap %d, budgeted cap %d; want 64 and 16", inner.Cap(), b.Cap())
	}
	if got, want := b.String(), "bytebudget(67108864B/4190208B=16, aimd(start=8,max=64))"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}

func TestOutcomeString(t *testing.T) {
	for o, want := range map[Outcome]string{
		Success:          "success",
		Timeout:          "timeout",
		NetworkError:     "network-error",
		ApplicationError: "application-error",
		Outcome(9):       "Outcome(9)",
	} {
		if got := o.String(); got != want {
			t.Errorf("Outcome(%d).String() = %q, want %q", int(o), got, want)
		}
	}
}
