package scenarios

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Format writes s as a scenario file with every key spelled out, defaults
// included (memory_limit only when set), so a reader sees exactly what will
// run. Parse gives back a Spec equal to s, apart from File and positions,
// for any s that Validate accepts.
func (s *Spec) Format() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "name: %s\n", str(s.Name))
	fmt.Fprintf(&b, "description: %s\n", strconv.Quote(s.Description))
	size := FormatBytes(s.Source.Size)
	if len(s.Source.Sizes) > 0 {
		var sizes []string
		for _, n := range s.Source.Sizes {
			sizes = append(sizes, FormatBytes(n))
		}
		size = "[" + strings.Join(sizes, ", ") + "]"
	}
	fmt.Fprintf(&b, "source: {size: %s, seed: %d, compressibility: %s}\n",
		size, s.Source.Seed, formatNumber(s.Source.Compressibility))
	fmt.Fprintf(&b, "payment: %s\n", str(s.Payment))
	fmt.Fprintf(&b, "strategies: %s\n", strList(s.Strategies))
	if s.Baseline != "" {
		fmt.Fprintf(&b, "baseline: %s\n", str(s.Baseline))
	}
	fmt.Fprintf(&b, "limiters: %s\n", strList(s.Limiters))
	fmt.Fprintf(&b, "transport: %t\n", s.Transport)
	n := &s.Network
	fmt.Fprintf(&b, "network:\n")
	fmt.Fprintf(&b, "  peers: %d\n", n.Peers)
	fmt.Fprintf(&b, "  uplink: %s\n", formatBandwidth(n.UplinkBitsPerSec))
	fmt.Fprintf(&b, "  latency: %s\n", formatDuration(n.Latency))
	fmt.Fprintf(&b, "  jitter: %s\n", formatDuration(n.Jitter))
	fmt.Fprintf(&b, "  faults: {dead: %s, fail: %s, timeout: %s, already_exists: %s}\n",
		formatNumber(n.Faults.Dead), formatNumber(n.Faults.Fail), formatNumber(n.Faults.Timeout), formatNumber(n.Faults.AlreadyExists))
	switch len(s.Clients) {
	case 0:
	case 1:
		fmt.Fprintf(&b, "client: %s\n", str(s.Clients[0]))
	default:
		fmt.Fprintf(&b, "client: %s\n", strList(s.Clients))
	}
	if s.Uploader != "" {
		fmt.Fprintf(&b, "uploader: %s\n", str(s.Uploader))
	}
	if s.Allocator != "" {
		fmt.Fprintf(&b, "allocator: %s\n", str(s.Allocator))
	}
	if s.MemoryLimit != 0 {
		fmt.Fprintf(&b, "memory_limit: %s\n", FormatBytes(s.MemoryLimit))
	}
	fmt.Fprintf(&b, "count: %d\n", s.Count)
	fmt.Fprintf(&b, "timeout: %s\n", formatDuration(s.Timeout))
	if len(s.Expect) > 0 {
		fmt.Fprintf(&b, "expect:\n")
		for _, e := range s.Expect {
			fmt.Fprintf(&b, "  - strategy: %s\n", str(e.Strategy))
			if e.Limiter != "" {
				fmt.Fprintf(&b, "    limiter: %s\n", str(e.Limiter))
			}
			fmt.Fprintf(&b, "    outcome: %s\n", str(e.Outcome))
		}
	}
	if len(s.Budgets) == 0 {
		return b.Bytes()
	}
	fmt.Fprintf(&b, "budgets:\n")
	for _, bu := range s.Budgets {
		fmt.Fprintf(&b, "  - strategy: %s\n", str(bu.Strategy))
		fmt.Fprintf(&b, "    metric: %s\n", str(bu.Metric))
		switch {
		case bu.Max != 0 && bu.Metric == "ns/op":
			fmt.Fprintf(&b, "    max: %s\n", formatDuration(time.Duration(bu.Max)))
		case bu.Max != 0:
			fmt.Fprintf(&b, "    max: %s\n", FormatBytes(int64(bu.Max)))
		}
		if bu.MaxModelRatio != 0 {
			fmt.Fprintf(&b, "    max_model_ratio: %s\n", formatNumber(bu.MaxModelRatio))
		}
	}
	return b.Bytes()
}

// plainRE matches the names that YAML reads as strings when written bare.
var plainRE = regexp.MustCompile(`^[a-z][a-zA-Z0-9:/-]*$`)

// str writes a string bare when YAML reads it back as the same string, and
// double-quoted otherwise ("*", "123", "true", anything odd). Go's escapes
// are a subset of YAML's.
func str(s string) string {
	if plainRE.MatchString(s) && s != "true" && s != "false" && s != "null" {
		return s
	}
	return strconv.Quote(s)
}

func strList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = str(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
