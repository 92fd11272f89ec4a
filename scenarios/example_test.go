package scenarios_test

import (
	"fmt"

	"github.com/fanbench/fanbench/scenarios"
)

func ExampleLookup() {
	// A built-in by name; a path such as ./my.yaml loads a file instead.
	s, err := scenarios.Lookup("smoke")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Name, s.File)
	fmt.Println("size:", s.Source.Size, "bytes; payment:", s.Payment)
	fmt.Println("strategies:", s.Strategies)
	fmt.Println("limiters:", s.Limiters, "count:", s.Count, "timeout:", s.Timeout)
	for _, b := range s.Budgets {
		fmt.Printf("budget: %s %s ≤ %v × model (%s)\n", b.Strategy, b.Metric, b.MaxModelRatio, b.Pos)
	}
	// Output:
	// smoke builtin:smoke.yaml
	// size: 3145728 bytes; payment: auto
	// strategies: [copy-per-peer shared-buffer encode-once streamed]
	// limiters: [fixed:8] count: 1 timeout: 2m0s
	// budget: * peak-live-B ≤ 1.01 × model (builtin:smoke.yaml:12:5)
}

func ExampleParse() {
	_, err := scenarios.Parse("scenarios/x.yaml", []byte(`name: x
description: a slower uplink
source: {size: 20MiB}
network:
  bandwidth: 5Mbit
`))
	fmt.Println(err)
	// Output:
	// scenarios/x.yaml:5:3: network.bandwidth: unknown field (known: peers, uplink, latency, jitter, faults)
}
