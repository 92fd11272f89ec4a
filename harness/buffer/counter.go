package buffer

import "sync/atomic"

// Counter is a Meter that keeps exact live, peak and allocated byte counts
// per site and in total. Its methods are safe for concurrent use and do not
// allocate. The zero value is ready to use.
type Counter struct {
	live      [NumSites]atomic.Int64
	peak      [NumSites]atomic.Int64
	allocated [NumSites]atomic.Int64
	total     atomic.Int64 // live client bytes, all client sites
	totalPeak atomic.Int64
}

var _ Meter = (*Counter)(nil)

// Acquire implements Meter.
func (c *Counter) Acquire(b *Buf, alloc int64) {
	s, n := b.Site(), b.Cap()
	c.allocated[s].Add(alloc)
	raise(&c.peak[s], c.live[s].Add(n))
	if s.Client() {
		raise(&c.totalPeak, c.total.Add(n))
	}
}

// Release implements Meter.
func (c *Counter) Release(b *Buf) {
	s, n := b.Site(), b.Cap()
	c.live[s].Add(-n)
	if s.Client() {
		c.total.Add(-n)
	}
}

func raise(peak *atomic.Int64, v int64) {
	for {
		p := peak.Load()
		if v <= p || peak.CompareAndSwap(p, v) {
			return
		}
	}
}

// Live returns the bytes of capacity now live at site s.
func (c *Counter) Live(s Site) int64 { return c.live[s].Load() }

// Peak returns the highest live bytes seen at site s alone, in bytes.
func (c *Counter) Peak(s Site) int64 { return c.peak[s].Load() }

// Allocated returns the bytes allocated at site s in all, growth included.
func (c *Counter) Allocated(s Site) int64 { return c.allocated[s].Load() }

// TotalLive returns the live bytes of all client sites (PeerStore excluded).
func (c *Counter) TotalLive() int64 { return c.total.Load() }

// TotalPeak returns the highest TotalLive seen, in bytes.
func (c *Counter) TotalPeak() int64 { return c.totalPeak.Load() }
