package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/simtime"
	"github.com/fanbench/fanbench/harness/wire"
	"github.com/fanbench/fanbench/harness/xorname"
)

// link is a hand-written Link: a transfer of n bytes takes n µs of virtual
// time (one byte per microsecond, whatever else is in flight), every peer
// is 5 ms away, and it records what was live when each transfer began and
// the bytes written.
type link struct {
	c         *buffer.Counter
	liveAt    [buffer.NumSites]int64
	wrote     []byte
	enveloped bool
	log       []string
}

type okReply struct{}

func (okReply) Wait(context.Context) (Status, error) { return Stored, nil }

func (l *link) Transmit(ctx context.Context, peer xorname.Name, enveloped bool, parts [][]byte) (Reply, error) {
	for s := range buffer.NumSites {
		l.liveAt[s] = l.c.Live(s)
	}
	l.wrote = bytes.Join(parts, nil)
	l.enveloped = enveloped
	l.log = append(l.log, fmt.Sprintf("%v start %d B to %d", simtime.Now(ctx), len(l.wrote), peer[0]))
	if err := simtime.Sleep(ctx, time.Duration(len(l.wrote))*time.Microsecond); err != nil {
		return nil, err
	}
	return okReply{}, nil
}

func (l *link) Latency(xorname.Name) time.Duration { return 5 * time.Millisecond }

// simulate runs f as the first task of a fresh simulation.
func simulate(t *testing.T, f func(ctx context.Context) error) {
	t.Helper()
	if err := simtime.New().Run(context.Background(), "test", f); err != nil {
		t.Fatal(err)
	}
}

// whole is a transport that waits for the acknowledgement and writes a
// frame as one segment, with the real send window.
var whole = client.Transport{AckWait: client.AckWaitUnbounded, SendWindow: 5 << 20}

func TestSendCopies(t *testing.T) {
	payload := bytes.Repeat([]byte{0xa5}, 3<<20)
	key := make([]byte, wire.PublicKeySize)
	for _, copies := range []bool{true, false} {
		var c buffer.Counter
		l := &link{c: &c}
		s := NewSender(l, buffer.GoHeap(&c), copies, whole, xorname.Name{1}, 1777334400, key)
		simulate(t, func(ctx context.Context) error {
			r, err := s.Send(ctx, xorname.Name{2}, payload)
			if err != nil {
				return err
			}
			_, err = r.Wait(ctx)
			return err
		})
		env := s.env
		L := int64(len(payload))
		want := map[buffer.Site]int64{}
		if copies {
			// While the frame crosses: the retry clone (exact size), the
			// wire frame (its postcard growth) and QUIC's copy of the
			// frame, one segment (it fits the 5 MiB window); the channel
			// clone and the signable bytes are gone by then.
			want[buffer.RetryClone] = L
			want[buffer.WireFrame] = int64(env.WireGrowth(len(payload)).Cap())
			want[buffer.QuicSend] = int64(env.Len(len(payload)))
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
			t.Errorf("copies %v: %d bytes live after the answer", copies, c.TotalLive())
		}
	}
}

// TestStreamedSameBytes checks that a streamed send writes exactly the
// frame a contiguous send writes, signature included, and that QUIC takes
// its payload by reference: only the header's and trailer's bytes are
// copied.
func TestStreamedSameBytes(t *testing.T) {
	payload := bytes.Repeat([]byte("chunk bytes "), 50_000)
	key := make([]byte, wire.PublicKeySize)
	var c buffer.Counter
	wl, pl := &link{c: &c}, &link{c: &c}
	a := NewSender(wl, buffer.GoHeap(&c), true, whole, xorname.Name{1}, 7, key)
	b := NewSender(pl, buffer.GoHeap(&c), true, whole, xorname.Name{1}, 7, key)
	simulate(t, func(ctx context.Context) error {
		if _, err := a.Send(ctx, xorname.Name{2}, payload); err != nil {
			return err
		}
		_, err := b.Send(ctx, xorname.Name{2}, payload[:100], payload[100:400_000], payload[400_000:])
		return err
	})
	if !bytes.Equal(wl.wrote, pl.wrote) {
		t.Fatal("a streamed send wrote other bytes than a contiguous one")
	}
	for s := range buffer.NumSites {
		want := int64(0)
		if s == buffer.QuicSend {
			want = int64(len(pl.wrote) - 399_900) // all but the payload part taken by reference
		}
		if pl.liveAt[s] != want {
			t.Errorf("streamed send held %d bytes at %v, want %d", pl.liveAt[s], s, want)
		}
	}
}

// TestQuicSendWindow checks QUIC's copies of three frames of 4,000,000
// bytes (sent bare into the same peer connection would overflow the
// 5,242,880-byte send window) against figures worked out by hand. Each
// frame is the payload plus the envelope, F = 4,000,000 + E bytes with E
// the envelope's 5,361 bytes (wire.Envelope.Len). Frame 1 is admitted
// whole at 0 and crosses in F µs; frame 2 gets the rest of the window,
// W − F = 1,237,519 bytes, at 0 and waits; frame 3 gets nothing and
// waits. At F µs + 10 ms frame 1 is acknowledged: its copy goes, frame 2
// is admitted whole (its second segment, F − 1,237,519 bytes) and crosses
// from then, and frame 3 gets the rest of the window (QUIC holds W again);
// at frame 2's acknowledgement frame 3 is admitted whole (F).
func TestQuicSendWindow(t *testing.T) {
	const W = 5 << 20
	payload := bytes.Repeat([]byte{1}, 4_000_000)
	key := make([]byte, wire.PublicKeySize)
	F := int64(frameLen(len(payload)))
	ack := 10 * time.Millisecond
	var c buffer.Counter
	l := &link{c: &c}
	s := NewSender(l, buffer.GoHeap(&c), true, whole, xorname.Name{1}, 7, key)
	var samples []string
	sample := func(ctx context.Context, what string) {
		samples = append(samples, fmt.Sprintf("%v %s quic=%d", simtime.Now(ctx), what, c.Live(buffer.QuicSend)))
	}
	simulate(t, func(ctx context.Context) error {
		var g simtime.Group
		for i := range 3 {
			g.Go(ctx, "send", func(ctx context.Context) {
				if _, err := s.Send(ctx, xorname.Name{7}, payload); err != nil {
					t.Error(err)
				}
				sample(ctx, fmt.Sprint("send ", i+1, " returned"))
			})
		}
		sample(ctx, "built")
		g.Wait()
		return nil
	})
	us := func(n int64) time.Duration { return time.Duration(n) * time.Microsecond }
	t1, t2, t3 := us(F)+ack, us(F)+ack+us(F)+ack, 3*(us(F)+ack)
	want := []string{
		fmt.Sprintf("0s built quic=%d", W),
		fmt.Sprintf("%v send 1 returned quic=%d", t1, W), // frame 2 whole, frame 3's first part
		fmt.Sprintf("%v send 2 returned quic=%d", t2, F), // frame 3 whole
		fmt.Sprintf("%v send 3 returned quic=0", t3),
	}
	if strings.Join(samples, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(samples, "\n"), strings.Join(want, "\n"))
	}
	if c.Peak(buffer.QuicSend) != W {
		t.Errorf("QUIC held at most %d, want the window %d", c.Peak(buffer.QuicSend), W)
	}
}

// TestAckWait checks when a send returns, and so how long its frame and
// retry clone live, for each AckWait, with a frame of F bytes crossing in
// F µs to a peer 5 ms away: at once (none: QUIC holds the copy), at F µs +
// 10 ms (unbounded), or at the bounded wait, 1 ms + F/256 ms here, when
// the acknowledgement comes later.
func TestAckWait(t *testing.T) {
	payload := bytes.Repeat([]byte{2}, 1_000_000)
	key := make([]byte, wire.PublicKeySize)
	F := frameLen(len(payload))
	crossed := time.Duration(F)*time.Microsecond + 10*time.Millisecond
	bounded := client.Transport{AckWait: client.BoundedAckWait, AckTimeoutBase: time.Millisecond, AckTimeoutDivisor: 256, SendWindow: 5 << 20}
	tests := []struct {
		name    string
		opt     client.Transport
		returns time.Duration
		err     error
	}{
		{"none", client.Transport{AckWait: client.NoAckWait, SendWindow: 5 << 20}, 0, nil},
		{"unbounded", whole, crossed, nil},
		// 1 ms + F/256 ms (3,928 ms) outlasts the acknowledgement.
		{"bounded, in time", bounded, crossed, nil},
		// 100 µs + F/1,000,000 ms (1 ms, in whole milliseconds) does not.
		{"bounded, too late", client.Transport{AckWait: client.BoundedAckWait, AckTimeoutBase: 100 * time.Microsecond, AckTimeoutDivisor: 1_000_000, SendWindow: 5 << 20},
			1100 * time.Microsecond, ErrAckTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c buffer.Counter
			s := NewSender(&link{c: &c}, buffer.GoHeap(&c), true, tt.opt, xorname.Name{1}, 7, key)
			var returned time.Duration
			var frameThen int64
			simulate(t, func(ctx context.Context) error {
				_, err := s.Send(ctx, xorname.Name{3}, payload)
				returned, frameThen = simtime.Now(ctx), c.Live(buffer.WireFrame)
				if !errors.Is(err, tt.err) {
					t.Errorf("Send = %v, want %v", err, tt.err)
				}
				return nil
			})
			if returned != tt.returns || frameThen != 0 {
				t.Errorf("returned at %v with %d frame bytes live, want %v and 0", returned, frameThen, tt.returns)
			}
			if c.TotalLive() != 0 || c.Peak(buffer.QuicSend) != int64(F) {
				t.Errorf("%d bytes live at the end, QUIC peak %d, want 0 and %d", c.TotalLive(), c.Peak(buffer.QuicSend), F)
			}
		})
	}
}

// segments counts the QUIC segments acquired.
type segments struct {
	buffer.Counter
	n int
}

func (m *segments) Acquire(b *buffer.Buf, alloc int64) {
	if b.Site() == buffer.QuicSend {
		m.n++
	}
	m.Counter.Acquire(b, alloc)
}

// TestSegments checks that a client writing in 64 KiB slices leaves QUIC
// holding 64 KiB segments: ⌈F / 65,536⌉ = 16 of them for a frame of
// 1,005,361 bytes.
func TestSegments(t *testing.T) {
	payload := bytes.Repeat([]byte{3}, 1_000_000)
	key := make([]byte, wire.PublicKeySize)
	var m segments
	c := &m.Counter
	opt := client.Transport{AckWait: client.NoAckWait, SendWindow: 5 << 20, Segment: 64 << 10}
	s := NewSender(&link{c: c}, buffer.GoHeap(&m), true, opt, xorname.Name{1}, 7, key)
	var quic int64
	simulate(t, func(ctx context.Context) error {
		_, err := s.Send(ctx, xorname.Name{3}, payload)
		quic = c.Live(buffer.QuicSend)
		return err
	})
	F := int64(frameLen(len(payload)))
	if quic != F || m.n != 16 {
		t.Errorf("QUIC holds %d bytes in %d segments after the send, want %d in 16", quic, m.n, F)
	}
}

// frameLen returns the wire frame's length around a payload of n bytes.
func frameLen(n int) int {
	e := wire.NewClientEnvelope(xorname.Name{1}, 7)
	return e.Len(n)
}
