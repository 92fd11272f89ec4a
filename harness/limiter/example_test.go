package limiter_test

import (
	"fmt"
	"time"

	"github.com/fanbench/fanbench/harness/limiter"
)

// A cold store limiter read once per 64-chunk wave, every put healthy. The
// first wave runs 8 stores; its 64 samples double the cap at samples 32 and
// 64, so the second wave runs 32; by sample 96 it is 64, and from then on a
// whole wave is in flight at once (shared/reference/uploader.md §2, "Example
// ramp").
func Example() {
	p := limiter.NewAIMD(limiter.DefaultStore)
	for wave := range 4 {
		fmt.Printf("wave %d: %d stores at once\n", wave, p.Limit(64))
		for range 64 {
			p.Observe(limiter.Sample{Outcome: limiter.Success, Latency: 2 * time.Second})
		}
	}
	// Output:
	// wave 0: 8 stores at once
	// wave 1: 32 stores at once
	// wave 2: 64 stores at once
	// wave 3: 64 stores at once
}

// The later upstream byte budget over a second run that warm-starts at 64:
// 64 MiB of 4,190,208-byte chunks allows 16 stores at once.
func ExampleByteBudget() {
	p := limiter.ByteBudget{
		Inner:    limiter.WarmStart(limiter.DefaultStore, 64),
		Budget:   limiter.StoreInflightByteBudget,
		MaxChunk: 4_190_208,
	}
	fmt.Println(p.Limit(64), p)
	// Output:
	// 16 bytebudget(67108864B/4190208B=16, aimd(warm=64,max=64))
}
