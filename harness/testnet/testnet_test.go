package testnet

import (
	"context"
	"errors"
	"testing"

	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/transport"
	"github.com/fanbench/fanbench/harness/wire"
	"github.com/fanbench/fanbench/harness/xorname"
)

func newTestnet(t *testing.T, f Faults) *Testnet {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Net.Peers = 30
	cfg.FixedTime = Epoch
	cfg.Faults = f
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// quoteAndPay collects the 7 closest quotes for addr and, if pay, pays the
// median on the ledger; it returns the proof and the quoted peers.
func quoteAndPay(t *testing.T, n *Testnet, addr xorname.Name, pay bool) ([]byte, []xorname.Name) {
	t.Helper()
	var quotes []payment.PeerQuote
	var peers []xorname.Name
	simulate(t, n, func(ctx context.Context) error {
		for _, p := range n.Closest(addr, payment.CloseGroupSize) {
			q, stored, err := n.Quote(ctx, p, addr, 100)
			if err != nil || stored {
				t.Fatalf("quote from %s: stored %v, %v", p.Short(), stored, err)
			}
			quotes = append(quotes, q)
			peers = append(peers, p)
		}
		return nil
	})
	var txs []payment.TxHash
	if pay {
		txs = n.Ledger().PayQuotes(payment.SinglePayment(quotes))
	}
	return payment.EncodeSingleProof(quotes, txs), peers
}

func put(t *testing.T, n *Testnet, peer xorname.Name, p wire.Put) (st transport.Status, err error) {
	t.Helper()
	simulate(t, n, func(ctx context.Context) error {
		var r transport.Reply
		if r, err = n.Transmit(ctx, peer, false, [][]byte{p.Append(nil)}); err == nil {
			st, err = r.Wait(ctx)
		}
		return nil
	})
	return st, err
}

// simulate runs f as the first task of a simulation on n's clock.
func simulate(t *testing.T, n *Testnet, f func(ctx context.Context) error) {
	t.Helper()
	if err := n.Clock().Run(context.Background(), "test", f); err != nil {
		t.Fatal(err)
	}
}

func TestPeerChecks(t *testing.T) {
	n := newTestnet(t, Faults{})
	content := []byte("a chunk's encrypted bytes")
	addr := xorname.FromContent(content)
	proof, peers := quoteAndPay(t, n, addr, true)
	// Quotes are deterministic here, so an unpaid proof needs other content.
	unpaidContent := []byte("a chunk nobody paid for")
	unpaidAddr := xorname.FromContent(unpaidContent)
	unpaid, unpaidPeers := quoteAndPay(t, n, unpaidAddr, false)
	forged := append([]byte(nil), proof...)
	forged[len(forged)/2] ^= 0x55

	var outsider xorname.Name
	for _, p := range n.Closest(addr, 30) {
		if !contains(peers, p) {
			outsider = p
		}
	}
	other := []byte("some other bytes")
	cases := []struct {
		name    string
		peer    xorname.Name
		put     wire.Put
		want    transport.Status
		wantErr error
	}{
		{"wrong address", peers[0], wire.Put{Address: addr, Content: other, Proof: proof}, 0, ErrAddressMismatch},
		{"forged proof", peers[0], wire.Put{Address: addr, Content: content, Proof: forged}, 0, ErrPayment},
		{"unpaid proof", unpaidPeers[0], wire.Put{Address: unpaidAddr, Content: unpaidContent, Proof: unpaid}, 0, ErrPayment},
		{"proof for another chunk", peers[0], wire.Put{Address: addr, Content: content, Proof: unpaid}, 0, ErrPayment},
		{"no proof", peers[0], wire.Put{Address: addr, Content: content}, 0, ErrPayment},
		{"peer not quoted", outsider, wire.Put{Address: addr, Content: content, Proof: proof}, 0, ErrPayment},
		{"valid", peers[0], wire.Put{Address: addr, Content: content, Proof: proof}, transport.Stored, nil},
		{"valid again", peers[0], wire.Put{Address: addr, Content: content, Proof: proof}, transport.AlreadyExists, nil},
		{"valid at another quoted peer", peers[1], wire.Put{Address: addr, Content: content, Proof: proof}, transport.Stored, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, err := put(t, n, tc.peer, tc.put)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || !errors.Is(err, transport.ErrRemote) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil || st != tc.want {
				t.Fatalf("status %v, err %v; want %v", st, err, tc.want)
			}
		})
	}
	if got := n.Holders(addr); got != 2 {
		t.Fatalf("holders = %d, want 2", got)
	}
}

func contains(s []xorname.Name, x xorname.Name) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func TestEnvelopedPut(t *testing.T) {
	n := newTestnet(t, Faults{})
	content := []byte("enveloped")
	addr := xorname.FromContent(content)
	proof, peers := quoteAndPay(t, n, addr, true)
	p := wire.Put{RequestID: 3, Address: addr, Content: content, Proof: proof}
	env := wire.NewClientEnvelope(xorname.Name{1}, Epoch)
	frame := env.AppendWire(nil, p.Append(nil))
	simulate(t, n, func(ctx context.Context) error {
		r, err := n.Transmit(ctx, peers[2], true, [][]byte{frame[:10], frame[10:]})
		if err != nil {
			t.Fatal(err)
		}
		if st, err := r.Wait(ctx); err != nil || st != transport.Stored {
			t.Fatalf("status %v, err %v", st, err)
		}
		// A bare message sent as if enveloped is malformed.
		r, err = n.Transmit(ctx, peers[3], true, [][]byte{p.Append(nil)})
		if err == nil {
			_, err = r.Wait(ctx)
		}
		if !errors.Is(err, ErrMalformed) {
			t.Fatalf("bare frame as envelope: %v, want ErrMalformed", err)
		}
		return nil
	})
}

func TestFaultsAreDeterministic(t *testing.T) {
	f := Faults{Dead: 0.2, Fail: 0.3, Timeout: 0.1, AlreadyExists: 0.1}
	a, b := newTestnet(t, f), newTestnet(t, f)
	deadA, deadB := 0, 0
	for id, nd := range a.nodes {
		if nd.dead != b.nodes[id].dead {
			t.Fatal("the same seed gave different dead peers")
		}
		if nd.dead {
			deadA++
		}
		if b.nodes[id].dead {
			deadB++
		}
	}
	if deadA == 0 || deadA == len(a.nodes) {
		t.Fatalf("%d of %d peers dead at a 20%% share", deadA, len(a.nodes))
	}
	if err := (Faults{Fail: 1.5}).Validate(); err == nil {
		t.Fatal("a share above 1 was accepted")
	}
}
