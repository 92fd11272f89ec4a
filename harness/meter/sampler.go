package meter

import (
	"runtime/metrics"
	"sync"
	"time"

	"github.com/fanbench/fanbench/harness/result"
)

// The runtime/metrics the Sampler reads.
var sampled = []string{
	"/memory/classes/heap/objects:bytes", // live and unswept heap objects
	"/memory/classes/total:bytes",        // all memory the runtime mapped
	"/memory/classes/heap/released:bytes",
	"/gc/heap/allocs:bytes",
	"/gc/heap/allocs:objects",
	"/gc/cycles/total:gc-cycles",
}

const (
	mHeap = iota
	mTotal
	mReleased
	mAllocBytes
	mAllocObjects
	mCycles
)

// Sampler reads the Go runtime's memory figures every Interval between
// Start and Stop. It is used by one goroutine; Start and Stop must pair.
type Sampler struct {
	// Interval is the sampling period; 0 means 2 ms.
	Interval time.Duration

	samples []metrics.Sample
	first   [mCycles + 1]uint64
	f       result.Runtime
	heap    *Series
	start   time.Time
	stop    chan struct{}
	wg      sync.WaitGroup
}

// Start takes the baseline and starts sampling.
func (s *Sampler) Start() {
	if s.Interval <= 0 {
		s.Interval = 2 * time.Millisecond
	}
	s.samples = make([]metrics.Sample, len(sampled))
	for i, name := range sampled {
		s.samples[i].Name = name
	}
	metrics.Read(s.samples)
	for i := range s.samples {
		s.first[i] = s.value(i)
	}
	s.f = result.Runtime{Interval: int64(s.Interval)}
	s.heap = NewSeries(s.Interval)
	s.start = time.Now()
	s.stop = make(chan struct{})
	s.wg.Go(s.loop)
}

func (s *Sampler) value(i int) uint64 {
	if s.samples[i].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s.samples[i].Value.Uint64()
}

func (s *Sampler) loop() {
	t := time.NewTicker(s.Interval)
	defer t.Stop()
	for {
		s.sample()
		select {
		case <-s.stop:
			s.sample()
			return
		case <-t.C:
		}
	}
}

// sample reads the metrics once and folds them in; it allocates nothing.
func (s *Sampler) sample() {
	metrics.Read(s.samples)
	s.f.Samples++
	heap := int64(s.value(mHeap))
	mapped := int64(s.value(mTotal)) - int64(s.value(mReleased))
	s.f.PeakHeap = max(s.f.PeakHeap, heap)
	s.f.PeakMapped = max(s.f.PeakMapped, mapped)
	s.heap.Add(time.Since(s.start), heap)
}

// Stop ends sampling and returns the figures for the time since Start.
func (s *Sampler) Stop() result.Runtime {
	close(s.stop)
	s.wg.Wait()
	s.f.AllocBytes = int64(s.value(mAllocBytes) - s.first[mAllocBytes])
	s.f.AllocObjects = int64(s.value(mAllocObjects) - s.first[mAllocObjects])
	s.f.GCCycles = int64(s.value(mCycles) - s.first[mCycles])
	s.f.Heap = s.heap.Points()
	return s.f
}
