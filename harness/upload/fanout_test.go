package upload

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/limiter"
	"github.com/fanbench/fanbench/harness/netsim"
	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/transport"
	"github.com/fanbench/fanbench/harness/xorname"
)

// fakeNet is a hand-written Network whose peers answer PUTs as told.
type fakeNet struct {
	clock  *netsim.Clock
	answer map[xorname.Name]error // nil: Stored; transport.ErrTimeout: silent
	exists map[xorname.Name]bool  // answers AlreadyExists

	mu   sync.Mutex
	sent []xorname.Name
	live atomic.Int64 // replies not yet returned
}

func (f *fakeNet) Transmit(ctx context.Context, peer xorname.Name, _ bool, _ [][]byte) (transport.Reply, error) {
	f.mu.Lock()
	f.sent = append(f.sent, peer)
	f.mu.Unlock()
	return fakeReply{f: f, peer: peer}, nil
}

type fakeReply struct {
	f    *fakeNet
	peer xorname.Name
}

func (r fakeReply) Wait(ctx context.Context) (transport.Status, error) {
	err := r.f.answer[r.peer]
	if errors.Is(err, transport.ErrTimeout) {
		<-ctx.Done()
		return 0, ctx.Err()
	}
	if r.f.exists[r.peer] {
		return transport.AlreadyExists, nil
	}
	return transport.Stored, err
}

func (f *fakeNet) Closest(xorname.Name, int) []xorname.Name { return nil }
func (f *fakeNet) Quote(context.Context, xorname.Name, xorname.Name, int) (payment.PeerQuote, bool, error) {
	return payment.PeerQuote{}, false, errors.New("not used")
}
func (f *fakeNet) Candidates(context.Context, xorname.Name, uint64, int) ([]payment.Candidate, error) {
	return nil, errors.New("not used")
}
func (f *fakeNet) Ledger() *payment.Ledger { return nil }
func (f *fakeNet) Clock() *netsim.Clock    { return f.clock }

func peers(n int) []xorname.Name {
	out := make([]xorname.Name, n)
	for i := range out {
		out[i][0] = byte(i + 1)
	}
	return out
}

func TestPutToCloseGroup(t *testing.T) {
	ps := peers(CloseGroupSize)
	remote := transport.ErrRemote
	cases := []struct {
		name          string
		answer        map[int]error
		exists        []int
		wantErr       error
		wantSends     int64
		wantFallbacks int64
	}{
		{name: "all four first peers store", wantSends: 4},
		{name: "two failures use two fallbacks", answer: map[int]error{0: remote, 2: remote}, wantSends: 6, wantFallbacks: 2},
		{name: "three failures use every fallback", answer: map[int]error{1: remote, 2: remote, 3: remote}, wantSends: 7, wantFallbacks: 3},
		{name: "a silent peer times out and is replaced", answer: map[int]error{3: transport.ErrTimeout}, wantSends: 5, wantFallbacks: 1},
		{name: "AlreadyExists counts as success", exists: []int{0, 1}, wantSends: 4},
		{name: "four failures exhaust the group", answer: map[int]error{0: remote, 1: remote, 4: remote, 6: remote}, wantErr: ErrInsufficientPeers, wantSends: 7, wantFallbacks: 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock, err := netsim.NewClock(1000)
			if err != nil {
				t.Fatal(err)
			}
			f := &fakeNet{clock: clock, answer: map[xorname.Name]error{}, exists: map[xorname.Name]bool{}}
			for i, e := range tc.answer {
				f.answer[ps[i]] = e
			}
			for _, i := range tc.exists {
				f.exists[ps[i]] = true
			}
			for _, s := range Strategies() {
				var c buffer.Counter
				cfg := DefaultConfig()
				cfg.Strategy, cfg.Transport, cfg.Meter = s, true, &c
				r := &run{cfg: &cfg, meter: &c, net: f, policy: limiter.Fixed(1), cpu: make(chan struct{}, 1)}
				r.tx = newClientSender(f, &c, true, r.build)
				chunk := buffer.New(&c, buffer.SpillRead, 1<<20, 1<<20, 0)
				proof := make([]byte, 50_000)
				err := r.putToCloseGroup(context.Background(), xorname.Name{9}, chunk, proof, ps, SingleStoreTimeout, 1, func() {})
				chunk.Release()
				if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
					t.Fatalf("%v: err = %v, want %v", s, err, tc.wantErr)
				}
				if got := r.c.sends.Load(); got != tc.wantSends {
					t.Errorf("%v: sends = %d, want %d", s, got, tc.wantSends)
				}
				if got := r.c.fallbacks.Load(); got != tc.wantFallbacks {
					t.Errorf("%v: fallbacks = %d, want %d", s, got, tc.wantFallbacks)
				}
				if live := c.TotalLive(); live != 0 {
					t.Errorf("%v: %d tracked bytes still live after the store returned", s, live)
				}
			}
		})
	}
}
