package compare_test

import (
	"fmt"
	"log"
	"strings"

	"github.com/fanbench/fanbench/reports/compare"
)

// Compare two files of four runs each, in which peak-live-B grew by a fifth;
// the commit: keys differ, which does not keep them apart.
func ExampleCompare() {
	file := func(commit string, live ...int) string {
		var b strings.Builder
		b.WriteString("Unit peak-live-B better=lower\ncommit: " + commit + "\n\n")
		for _, v := range live {
			fmt.Fprintf(&b, "BenchmarkUpload/scenario=smoke/mode=copy-per-peer/limiter=aimd-2 1 %d peak-live-B\n", v)
		}
		return b.String()
	}
	old := file("49d9673", 100_000_000, 100_100_000, 99_900_000, 100_050_000)
	new := file("d0a3f70", 120_000_000, 120_100_000, 119_900_000, 120_050_000)

	opts := compare.Options{Metrics: []string{"peak-live-B"}} // nil: the default units these files hold
	r, err := compare.Compare(strings.NewReader(old), strings.NewReader(new), "old.bench", "new.bench", opts)
	if err != nil {
		log.Fatal(err) // the CLI exits 2
	}
	for _, m := range r.Metrics {
		fmt.Printf("%s %s: %v, %+.1f%%, p=%.3f\n", m.Benchmark, m.Unit, m.Verdict, 100*m.Delta, m.Comparison.P)
	}
	fmt.Println("outcome:", r.Outcome())
	// Output:
	// Upload/scenario=smoke/mode=copy-per-peer/limiter=aimd-2 peak-live-B: Regressed, +20.0%, p=0.029
	// outcome: fail
}
