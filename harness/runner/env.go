package runner

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"

	"github.com/fanbench/fanbench/harness/result"
)

// vmHWM reads this process's peak resident set from /proc/self/status.
func vmHWM() (int64, error) { return procStatus("VmHWM:") }

// procStatus reads a size field of /proc/self/status, in bytes.
func procStatus(field string) (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/self/status", field)
}

// env reads the settings this process runs with.
func env(job Job) result.Env {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/gomemlimit:bytes"}}
	metrics.Read(s)
	e := result.Env{
		GoVersion: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, CPU: cpuModel(),
		GOMAXPROCS: runtime.GOMAXPROCS(0), GOGC: -1, GOMEMLIMIT: math.MaxInt64,
		MemProfileRate: runtime.MemProfileRate, MemoryLimit: job.MemoryLimit,
	}
	if v := s[0].Value; v.Kind() == metrics.KindUint64 && v.Uint64() <= math.MaxInt32 {
		e.GOGC = int(v.Uint64()) // GOGC=off reads as an out-of-range value
	}
	if s[1].Value.Kind() == metrics.KindUint64 {
		e.GOMEMLIMIT = int64(s[1].Value.Uint64())
	}
	return e
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return ""
}

// HostCPU returns the processor's model name as a child records it in
// result.Env.CPU ("" where /proc/cpuinfo does not say), so that a parent
// can state the machine its children run on before any has run.
func HostCPU() string { return cpuModel() }
