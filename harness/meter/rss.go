package meter

import (
	"fmt"
	"time"

	"github.com/fanbench/fanbench/harness/result"
	"github.com/shirou/gopsutil/v4/process"
)

// RSSSampler reads a process's resident set with gopsutil v4
// (process.MemoryInfo, which reads /proc/<pid>/statm on Linux) every
// interval, keeping a bounded timeline: the OS's view of a child process,
// beside Sampler, the Go runtime's view of this one. It runs in the parent,
// whose own allocations do not touch the child's figures.
type RSSSampler struct {
	proc     *process.Process
	interval time.Duration
	// series is the timeline: real time since the process started, bytes.
	// Owned by Run's goroutine until it returns.
	series *Series
}

// NewRSSSampler returns a sampler of process pid's RSS every interval.
func NewRSSSampler(pid int, interval time.Duration) (*RSSSampler, error) {
	p, err := process.NewProcess(int32(pid))
	if err != nil {
		return nil, fmt.Errorf("watch pid %d: %w", pid, err)
	}
	return &RSSSampler{proc: p, interval: interval, series: NewSeries(interval)}, nil
}

// Read returns the process's current RSS, in bytes.
func (s *RSSSampler) Read() (int64, error) {
	m, err := s.proc.MemoryInfo()
	if err != nil {
		return 0, err
	}
	return int64(m.RSS), nil
}

// Run samples into the timeline until stop is closed; start is when the
// process started, the timeline's zero.
func (s *RSSSampler) Run(start time.Time, stop <-chan struct{}) {
	tick := time.NewTicker(s.interval)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		rss, err := s.Read()
		if err != nil || rss == 0 {
			continue
		}
		s.series.Add(time.Since(start), rss)
	}
}

// Points returns the timeline: real time since the process started, in
// ns, and the RSS, in bytes. Call it after Run has returned.
func (s *RSSSampler) Points() []result.Point { return s.series.Points() }
