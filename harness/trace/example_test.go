package trace_test

import (
	"bytes"
	"fmt"

	"github.com/fanbench/fanbench/harness/trace"
)

// A chunk read from the spill and one encode buffer that postcard grows
// from empty, written and read back with the live bytes' peak.
func Example() {
	var b bytes.Buffer
	w := trace.NewWriter(&b, trace.Header{Scenario: "seed-20mb", Strategy: "streamed", Sites: []string{"chunk", "encode"}})
	w.Write(trace.Event{Kind: trace.Alloc, T: 0, ID: 1, Task: 1, Site: 0, Cap: 4190208, Touched: 4190208})
	w.Write(trace.Event{Kind: trace.Alloc, T: 10, ID: 2, Task: 2, Site: 1, Cap: 0})
	w.Write(trace.Event{Kind: trace.Grow, T: 10, ID: 2, Cap: 8, Touched: 8})
	w.Write(trace.Event{Kind: trace.Grow, T: 10, ID: 2, Cap: 16, Touched: 9})
	w.Write(trace.Event{Kind: trace.Free, T: 20, ID: 2})
	w.Write(trace.Event{Kind: trace.Free, T: 30, ID: 1})
	if err := w.Close(); err != nil {
		panic(err)
	}

	size := b.Len()
	r := trace.NewReader(&b, "example.trace")
	h, _ := r.Header()
	fmt.Println(h.Scenario, h.Strategy, size, "bytes")
	for r.Scan() {
		e := r.Event()
		fmt.Println(e, h.Sites[e.Site])
	}
	if err := r.Err(); err != nil {
		panic(err)
	}
	st := r.Stats()
	fmt.Println("peak live", st.PeakLive, "at event", st.PeakEvent)
	// Output:
	// seed-20mb streamed 84 bytes
	// alloc t=0 id=1 task=1 site=0 cap=4190208 touched=4190208 chunk
	// alloc t=10 id=2 task=2 site=1 cap=0 touched=0 encode
	// grow t=10 id=2 cap=8 touched=8 encode
	// grow t=10 id=2 cap=16 touched=9 encode
	// free t=20 id=2 encode
	// free t=30 id=1 chunk
	// peak live 4190224 at event 4
}
