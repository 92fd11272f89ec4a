package payment

import (
	"errors"
	"fmt"
	"testing"
)

// transfers returns nonzero paying transfers interleaved with zero ones.
func transfers(nonzero, zero int) []Transfer {
	ts := make([]Transfer, 0, nonzero+zero)
	for i := 0; len(ts) < cap(ts); i++ {
		t := Transfer{}
		copy(t.QuoteHash[:], fmt.Sprintf("quote %d", i))
		if zero > 0 && (i%2 == 1 || nonzero == 0) {
			zero--
		} else {
			t.Amount = uint64(i + 1)
			nonzero--
		}
		ts = append(ts, t)
	}
	return ts
}

func TestLedgerPayQuotes(t *testing.T) {
	tests := []struct {
		name          string
		nonzero, zero int
		wantTxs       int
	}{
		{"nothing", 0, 0, 0},
		{"only zeros", 0, 6, 0},
		{"one wave", 64, 6 * 64, 1},
		{"exactly one full transaction", 256, 10, 1},
		{"one over", 257, 0, 2},
		{"300 nonzero with zeros", 300, 300, 2},
		{"three transactions", 513, 0, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLedger(fixedClock)
			ts := transfers(tt.nonzero, tt.zero)
			txs := l.PayQuotes(ts)
			if len(txs) != tt.wantTxs || l.Transactions() != tt.wantTxs {
				t.Fatalf("PayQuotes gave %d tx hashes, ledger counts %d; want %d", len(txs), l.Transactions(), tt.wantTxs)
			}
			seen := map[TxHash]bool{}
			for _, h := range txs {
				if seen[h] {
					t.Errorf("tx hash %x repeated", h[:4])
				}
				seen[h] = true
			}
			nonzero := 0
			for _, tr := range ts {
				got := l.CompletedPayment(tr.QuoteHash)
				tx, ok := l.PaidBy(tr.QuoteHash)
				if tr.Amount == 0 {
					if got != 0 || ok {
						t.Errorf("zero transfer recorded: amount %d, tx %v", got, ok)
					}
					continue
				}
				if got != tr.Amount {
					t.Errorf("CompletedPayment = %d, want %d", got, tr.Amount)
				}
				// The n-th non-zero transfer rides in transaction n/256.
				if want := txs[nonzero/MaxTransfersPerTransaction]; !ok || tx != want {
					t.Errorf("transfer %d paid by %x, want %x", nonzero, tx[:4], want[:4])
				}
				nonzero++
			}
		})
	}
}

func TestLedgerPayMerkleTree(t *testing.T) {
	pools := make([]PoolCommitment, expectedPools(3)) // 4 pools
	for i := range pools {
		pools[i].Hash[0] = byte(i + 1)
		for j := range pools[i].Candidates {
			pools[i].Candidates[j] = CandidateCommitment{Price: uint64(100 * (j + 1)), Rewards: [20]byte{byte(i), byte(j)}}
		}
	}
	l := NewLedger(fixedClock)
	if _, _, err := l.PayMerkleTree(3, pools[:3], 42); err == nil {
		t.Error("wrong pool count accepted")
	}
	if _, _, err := l.PayMerkleTree(MaxMerkleDepth+1, pools, 42); err == nil {
		t.Error("depth beyond the maximum accepted")
	}
	winner, tx, err := l.PayMerkleTree(3, pools, 42)
	if err != nil {
		t.Fatal(err)
	}
	rec, ok := l.MerklePayment(winner)
	if !ok || rec.Tx != tx || rec.Depth != 3 || rec.Timestamp != 42 || l.Transactions() != 1 {
		t.Fatalf("record %+v (found %v), %d transactions", rec, ok, l.Transactions())
	}
	// median16 of 100..1600 is the 9th smallest, 900; 900 × 2^3 / 3 each.
	want := uint64(900 * 8 / 3)
	seen := map[int]bool{}
	for _, p := range rec.Paid {
		if p.Amount != want || seen[p.Index] || p.Rewards != [20]byte{winner[0] - 1, byte(p.Index)} {
			t.Errorf("paid node %+v, want amount %d at a distinct index of the winner", p, want)
		}
		seen[p.Index] = true
	}
	if _, _, err := l.PayMerkleTree(3, []PoolCommitment{pools[winner[0]-1], pools[winner[0]-1], pools[winner[0]-1], pools[winner[0]-1]}, 42); !errors.Is(err, ErrAlreadyPaid) {
		t.Errorf("paying the winner pool again: %v, want ErrAlreadyPaid", err)
	}
}
