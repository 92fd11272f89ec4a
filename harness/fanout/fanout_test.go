package fanout

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/harness/simtime"
	"github.com/fanbench/fanbench/harness/transport"
	"github.com/fanbench/fanbench/harness/upload/strategy"
	"github.com/fanbench/fanbench/harness/xorname"
)

// fakeNet is a hand-written transport.Link whose peers answer PUTs as told. A
// write takes 1 ms of virtual time, and each peer is 5 ms away, so the
// acknowledgement and the answer come 10 ms later.
type fakeNet struct {
	clock  *simtime.Clock
	answer map[xorname.Name]error // nil: Stored; transport.ErrTimeout: silent
	exists map[xorname.Name]bool  // answers AlreadyExists
	names  map[xorname.Name]string

	sent []string // "peer@virtual time", in the order the writes started
}

func (f *fakeNet) Transmit(ctx context.Context, peer xorname.Name, _ bool, _ [][]byte) (transport.Reply, error) {
	f.sent = append(f.sent, fmt.Sprintf("%s@%v", f.names[peer], simtime.Now(ctx)))
	if err := simtime.Sleep(ctx, time.Millisecond); err != nil {
		return nil, err
	}
	return fakeReply{f: f, peer: peer}, nil
}

type fakeReply struct {
	f    *fakeNet
	peer xorname.Name
}

func (r fakeReply) Wait(ctx context.Context) (transport.Status, error) {
	err := r.f.answer[r.peer]
	if errors.Is(err, transport.ErrTimeout) {
		return 0, simtime.Wait(ctx)
	}
	if errors.Is(err, errHang) { // a bug: waits for what never comes, deaf to ctx
		simtime.NewQueue[int](ctx).Get()
	}
	if r.f.exists[r.peer] {
		return transport.AlreadyExists, nil
	}
	return transport.Stored, err
}

func (f *fakeNet) Latency(xorname.Name) time.Duration { return 5 * time.Millisecond }

// seed is the default client profile, the seed capture's.
var seed, _ = client.Lookup(client.Default)

func peers(n int) []xorname.Name {
	out := make([]xorname.Name, n)
	for i := range out {
		out[i][0] = byte(i + 1)
	}
	return out
}

// TestPutToCloseGroup checks the fan-out's sends, their order and virtual
// times, and when the store ends, on the default client. The first four
// peers are sent to at once; each failure launches the next peer when its
// answer arrives; a silent peer fails when the 30 s response timeout runs
// out, started when its send returned: at once, as this client's transport
// returns when QUIC has taken the frame.
func TestPutToCloseGroup(t *testing.T) {
	ps := peers(CloseGroupSize)
	remote := transport.ErrRemote
	first4 := "p0@0s p1@0s p2@0s p3@0s"
	cases := []struct {
		name      string
		answer    map[int]error
		exists    []int
		wantErr   error
		wantSends string
		wantEnd   time.Duration
	}{
		{name: "all four first peers store", wantSends: first4, wantEnd: 11 * time.Millisecond},
		{name: "two failures use two fallbacks", answer: map[int]error{0: remote, 2: remote},
			wantSends: first4 + " p4@11ms p5@11ms", wantEnd: 22 * time.Millisecond},
		{name: "three failures use every fallback", answer: map[int]error{1: remote, 2: remote, 3: remote},
			wantSends: first4 + " p4@11ms p5@11ms p6@11ms", wantEnd: 22 * time.Millisecond},
		{name: "a silent peer times out and is replaced", answer: map[int]error{3: transport.ErrTimeout},
			wantSends: first4 + " p4@30s", wantEnd: 30011 * time.Millisecond},
		{name: "AlreadyExists counts as success", exists: []int{0, 1}, wantSends: first4, wantEnd: 11 * time.Millisecond},
		// The fallbacks of the first two failures fail in turn at 22 ms;
		// only one peer is left for them.
		{name: "four failures exhaust the group", answer: map[int]error{0: remote, 1: remote, 4: remote, 5: remote},
			wantErr: ErrInsufficientPeers, wantSends: first4 + " p4@11ms p5@11ms p6@22ms", wantEnd: 33 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, s := range strategy.All() {
				f := &fakeNet{clock: simtime.New(), answer: map[xorname.Name]error{}, exists: map[xorname.Name]bool{}, names: map[xorname.Name]string{}}
				for i, p := range ps {
					f.names[p] = fmt.Sprint("p", i)
				}
				for i, e := range tc.answer {
					f.answer[ps[i]] = e
				}
				for _, i := range tc.exists {
					f.exists[ps[i]] = true
				}
				var c buffer.Counter
				h := buffer.GoHeap(&c)
				p, err := New(h, NewSender(f, h, true, seed), s)
				if err != nil {
					t.Fatal(err)
				}
				chunk := buffer.New(h, buffer.SpillRead, 1<<20, 1<<20)
				proof := make([]byte, 50_000)
				err = f.clock.Run(context.Background(), "store", func(ctx context.Context) error {
					return p.Put(ctx, xorname.Name{9}, chunk, proof, ps, seed.Timeouts.Single, 1)
				})
				chunk.Release()
				if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
					t.Fatalf("%v: err = %v, want %v", s, err, tc.wantErr)
				}
				if got := strings.Join(f.sent, " "); got != tc.wantSends {
					t.Errorf("%v: sends %s, want %s", s, got, tc.wantSends)
				}
				if got := f.clock.Now(); got != tc.wantEnd {
					t.Errorf("%v: the store ended at %v, want %v", s, got, tc.wantEnd)
				}
				if got, want := p.Counts.Sends.Load(), int64(len(f.sent)); got != want {
					t.Errorf("%v: sends = %d, want %d", s, got, want)
				}
				if got, want := p.Counts.Fallbacks.Load(), int64(len(f.sent)-CloseGroupMajority); got != want {
					t.Errorf("%v: fallbacks = %d, want %d", s, got, want)
				}
				// Every failing peer of these cases is sent to and answers
				// before the store ends.
				var wantErrors, wantTimeouts int64
				for _, e := range tc.answer {
					if errors.Is(e, transport.ErrTimeout) {
						wantTimeouts++
					} else {
						wantErrors++
					}
				}
				if got := p.Counts.Errors.Load(); got != wantErrors {
					t.Errorf("%v: errors = %d, want %d", s, got, wantErrors)
				}
				if got := p.Counts.Timeouts.Load(); got != wantTimeouts {
					t.Errorf("%v: timeouts = %d, want %d", s, got, wantTimeouts)
				}
				if live := c.TotalLive(); live != 0 {
					t.Errorf("%v: %d tracked bytes still live after the store returned", s, live)
				}
			}
		})
	}
}

// errHang makes a fake peer's reply wait forever, ignoring its context.
var errHang = errors.New("hang")

// TestDeadlockIsAnError checks that a model that can never move again (a
// reply waiting, deaf to its timeout, for what never comes) ends the
// upload with an error naming the blocked tasks, not a hang.
func TestDeadlockIsAnError(t *testing.T) {
	ps := peers(CloseGroupSize)
	f := &fakeNet{clock: simtime.New(), answer: map[xorname.Name]error{ps[2]: errHang}, names: map[xorname.Name]string{}}
	var c buffer.Counter
	h := buffer.GoHeap(&c)
	p, err := New(h, NewSender(f, h, true, seed), strategy.CopyPerPeer)
	if err != nil {
		t.Fatal(err)
	}
	chunk := buffer.New(h, buffer.SpillRead, 1000, 1000)
	defer chunk.Release()
	err = f.clock.Run(context.Background(), "store", func(ctx context.Context) error {
		return p.Put(ctx, xorname.Name{9}, chunk, nil, ps, seed.Timeouts.Single, 1)
	})
	var d *simtime.DeadlockError
	if !errors.As(err, &d) {
		t.Fatalf("err = %v, want a deadlock", err)
	}
	// The three other peers answered at 11 ms; the store waits for the
	// fourth, whose reply, delivered at 11 ms too, waits on a queue. Its
	// response timeout still fires, 30 s after its send returned at 0, but
	// the reply does not listen: then nothing is left to happen.
	for _, want := range []string{"deadlock at 30s", "store: queue since 11ms", "put to peer: queue since 11ms"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
}
