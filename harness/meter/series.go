package meter

import (
	"time"

	"github.com/fanbench/fanbench/harness/result"
)

// Series is a time series of bounded length: each point holds the highest
// value seen in its interval of time. When MaxPoints intervals are full,
// neighbouring intervals merge, keeping the higher value, and the interval
// doubles, so a series of any duration keeps its peaks in at most
// MaxPoints points. Its memory is allocated by NewSeries; Add allocates
// nothing. A Series is not safe for concurrent use.
type Series struct {
	width  time.Duration
	points []result.Point
}

// NewSeries returns an empty series whose first interval is width.
func NewSeries(width time.Duration) *Series {
	return &Series{width: max(width, 1), points: make([]result.Point, 0, MaxPoints)}
}

// Add records v at time t (since the series began; t never decreases).
// Intervals with no value carry the previous one.
func (s *Series) Add(t time.Duration, v int64) {
	i := int(t / s.width)
	for i >= MaxPoints {
		s.compact()
		i = int(t / s.width)
	}
	for len(s.points) <= i {
		carry := v
		if n := len(s.points); n > 0 && n < i {
			carry = s.points[n-1].V
		}
		s.points = append(s.points, result.Point{T: int64(time.Duration(len(s.points)) * s.width), V: carry})
	}
	if p := &s.points[i]; v > p.V {
		p.V = v
	}
}

func (s *Series) compact() {
	h := s.points
	m := (len(h) + 1) / 2
	for j := range m {
		p := h[2*j]
		if 2*j+1 < len(h) && h[2*j+1].V > p.V {
			p.V = h[2*j+1].V
		}
		p.T = int64(time.Duration(j) * 2 * s.width)
		h[j] = p
	}
	s.points = h[:m]
	s.width *= 2
}

// Points returns the series; the slice is shared until the next Add.
func (s *Series) Points() []result.Point { return s.points }

// Max returns the highest value recorded, 0 if none.
func (s *Series) Max() int64 {
	var m int64
	for _, p := range s.points {
		m = max(m, p.V)
	}
	return m
}
