package meter

import (
	"os"
	"testing"
	"time"
)

// TestRSSSamplerReadsSelf reads this process's own RSS, which is at least
// a MiB.
func TestRSSSamplerReadsSelf(t *testing.T) {
	s, err := NewRSSSampler(os.Getpid(), time.Millisecond)
	if err != nil {
		t.Skip(err)
	}
	for range 2 {
		rss, err := s.Read()
		if err != nil || rss < 1<<20 {
			t.Errorf("own RSS %d bytes, %v", rss, err)
		}
	}
}
