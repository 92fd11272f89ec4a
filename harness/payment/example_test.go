package payment_test

import (
	"fmt"
	"time"

	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/xorname"
)

// Example pays for one chunk on the single-node path and has one of the
// quoted peers verify the proof.
func Example() {
	now := time.Date(2026, 4, 28, 12, 0, 0, 0, time.UTC)
	ledger := payment.NewLedger(func() time.Time { return now })
	chunk := xorname.FromContent([]byte("an encrypted chunk"))

	// Seven peers quote; the client keeps their quotes.
	var peers []*payment.Identity
	var quotes []payment.PeerQuote
	for i := range payment.CloseGroupSize {
		id := payment.NewIdentity([32]byte{byte(i + 1)})
		peers = append(peers, id)
		quotes = append(quotes, payment.PeerQuote{Peer: id.ID, Quote: id.Quote(chunk, uint64(100*(i+1)), now)})
	}

	// One payment for the wave, then one proof per chunk.
	txs := ledger.PayQuotes(payment.SinglePayment(quotes))
	proof := payment.EncodeSingleProof(quotes, txs)

	// A quoted peer checks the proof when the PUT arrives.
	node := payment.NewVerifier(ledger, peers[0].Rewards, payment.DefaultVerifierOptions)
	err := node.Verify(proof, chunk, now.Add(time.Second))
	fmt.Printf("transactions: %d\nproof: tag %#02x, %d KB\nverified: %v\nsignature checks: %d\n",
		len(txs), proof[0], len(proof)/1000, err, node.Stats().SignatureChecks)
	// Output:
	// transactions: 1
	// proof: tag 0x01, 56 KB
	// verified: <nil>
	// signature checks: 7
}
