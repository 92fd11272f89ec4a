package transport

import (
	"bytes"
	"context"
	"testing"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/wire"
	"github.com/fanbench/fanbench/harness/xorname"
)

// link is a hand-written Link that records what was live while a frame
// was being written, and the bytes written.
type link struct {
	c         *buffer.Counter
	liveAt    [buffer.NumSites]int64
	wrote     []byte
	enveloped bool
}

type okReply struct{}

func (okReply) Wait(context.Context) (Status, error) { return Stored, nil }

func (l *link) Transmit(_ context.Context, _ xorname.Name, enveloped bool, parts [][]byte) (Reply, error) {
	for s := range buffer.NumSites {
		l.liveAt[s] = l.c.Live(s)
	}
	l.wrote = bytes.Join(parts, nil)
	l.enveloped = enveloped
	return okReply{}, nil
}

func TestSendCopies(t *testing.T) {
	payload := bytes.Repeat([]byte{0xa5}, 3<<20)
	key := make([]byte, wire.PublicKeySize)
	for _, copies := range []bool{true, false} {
		var c buffer.Counter
		l := &link{c: &c}
		s := NewSender(l, buffer.GoHeap(&c), copies, xorname.Name{1}, 1777334400, key)
		if _, err := s.Send(context.Background(), xorname.Name{2}, payload); err != nil {
			t.Fatal(err)
		}
		env := s.env
		L := int64(len(payload))
		want := map[buffer.Site]int64{}
		if copies {
			// While the frame is written: the retry clone (exact size) and the
			// wire frame (its postcard growth); the channel clone and the
			// signable bytes are gone by then.
			want[buffer.RetryClone] = L
			want[buffer.WireFrame] = int64(env.WireGrowth(len(payload)).Cap())
			if l.enveloped != true || len(l.wrote) != env.Len(len(payload)) {
				t.Fatalf("copies: enveloped %v, wrote %d bytes, want %d", l.enveloped, len(l.wrote), env.Len(len(payload)))
			}
			if c.Peak(buffer.ChannelClone) != L || c.Peak(buffer.Signable) != int64(env.SignableGrowth(len(payload)).Cap()) {
				t.Fatalf("channel clone peak %d, signable peak %d", c.Peak(buffer.ChannelClone), c.Peak(buffer.Signable))
			}
		} else if l.enveloped || !bytes.Equal(l.wrote, payload) {
			t.Fatal("without copies the message should go bare")
		}
		for site := range buffer.NumSites {
			if l.liveAt[site] != want[site] {
				t.Errorf("copies %v: %v live during the write = %d, want %d", copies, site, l.liveAt[site], want[site])
			}
		}
		if c.TotalLive() != 0 {
			t.Errorf("copies %v: %d bytes live after Send", copies, c.TotalLive())
		}
	}
}

// TestStreamedSameBytes checks that a streamed send writes exactly the
// frame a contiguous send writes, signature included, with nothing tracked.
func TestStreamedSameBytes(t *testing.T) {
	payload := bytes.Repeat([]byte("chunk bytes "), 50_000)
	key := make([]byte, wire.PublicKeySize)
	var c buffer.Counter
	whole, parts := &link{c: &c}, &link{c: &c}
	a := NewSender(whole, buffer.GoHeap(&c), true, xorname.Name{1}, 7, key)
	b := NewSender(parts, buffer.GoHeap(&c), true, xorname.Name{1}, 7, key)
	if _, err := a.Send(context.Background(), xorname.Name{2}, payload); err != nil {
		t.Fatal(err)
	}
	peakBefore := c.TotalPeak()
	if _, err := b.Send(context.Background(), xorname.Name{2}, payload[:100], payload[100:400_000], payload[400_000:]); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(whole.wrote, parts.wrote) {
		t.Fatal("a streamed send wrote other bytes than a contiguous one")
	}
	for s := range buffer.NumSites {
		if parts.liveAt[s] != 0 {
			t.Errorf("streamed send held %d bytes at %v", parts.liveAt[s], s)
		}
	}
	if c.TotalPeak() != peakBefore {
		t.Error("a streamed send allocated tracked buffers")
	}
}
