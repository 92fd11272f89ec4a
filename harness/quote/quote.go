// Package quote collects the store quotes of one chunk, as ant-client's
// get_store_quotes does (quote.rs L47-255): the 14 closest peers are asked
// concurrently, each within its own timeout; if at least 4 of the 7
// closest respondents already store the chunk it is skipped; otherwise the
// 7 closest successful quotes are kept, and the chunk will be stored on
// their peers, nearest first. Quoting holds no chunk bytes.
package quote

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/fanbench/fanbench/harness/fanout"
	"github.com/fanbench/fanbench/harness/payment"
	"github.com/fanbench/fanbench/harness/simtime"
	"github.com/fanbench/fanbench/harness/xorname"
)

// Constants of the real client, each with its source.
const (
	// Peers is the peers asked for quotes per chunk, 2 × 7 (ant-client
	// quote.rs L56).
	Peers = 2 * fanout.CloseGroupSize
	// AlreadyStoredQuorum is how many of the 7 closest quoters must report
	// already_stored for a chunk to be skipped (quote.rs L203-227).
	AlreadyStoredQuorum = 4
	// Timeout is quote_timeout_secs per peer (quote.rs L74).
	Timeout = 10 * time.Second
	// OverallTimeout caps one chunk's quote collection (quote.rs L78).
	OverallTimeout = 120 * time.Second
	// Concurrency is the quote channel's concurrency per wave
	// (ChannelStart.quote = 32, adaptive.rs L200-207; held fixed here).
	Concurrency = 32
)

// Network is what quoting needs of the network.
type Network interface {
	// Closest returns the k peers nearest to target, nearest first.
	Closest(target xorname.Name, k int) []xorname.Name
	// Quote asks peer for a signed quote to store addr (size bytes) and
	// whether it already stores it.
	Quote(ctx context.Context, peer, addr xorname.Name, size int) (q payment.PeerQuote, alreadyStored bool, err error)
}

// Quoted is a chunk's kept quotes and the peers it will be stored on.
type Quoted struct {
	// Quotes are the CloseGroupSize closest successful quotes, nearest
	// peer first.
	Quotes []payment.PeerQuote
	// Peers are the quoted peers sorted by XOR distance to the chunk.
	Peers []xorname.Name
}

// Chunk collects quotes for the chunk addr of size bytes: nil when a
// quorum of its closest peers already store it. Each peer is asked within
// timeout, the whole collection within overall. It fails, wrapping
// fanout.ErrInsufficientPeers, when fewer than CloseGroupSize peers are
// found or quote. It must be called from a task of ctx's clock.
func Chunk(ctx context.Context, net Network, addr xorname.Name, size int, timeout, overall time.Duration) (*Quoted, error) {
	ctx, cancel := simtime.WithTimeout(ctx, overall)
	defer cancel()
	peers := net.Closest(addr, Peers)
	if len(peers) < fanout.CloseGroupSize {
		return nil, fmt.Errorf("chunk %s: %w: %d peers found", addr.Short(), fanout.ErrInsufficientPeers, len(peers))
	}
	type answer struct {
		q      payment.PeerQuote
		stored bool
		ok     bool
	}
	answers := make([]answer, len(peers))
	var g simtime.Group
	for i, p := range peers {
		g.Go(ctx, "quote request", func(ctx context.Context) {
			qctx, cancel := simtime.WithTimeout(ctx, timeout)
			defer cancel()
			q, stored, err := net.Quote(qctx, p, addr, size)
			answers[i] = answer{q: q, stored: stored, ok: err == nil}
		})
	}
	g.Wait()
	// peers is nearest first, so answers are too.
	kept := make([]payment.PeerQuote, 0, fanout.CloseGroupSize)
	storedVotes, closest := 0, 0
	for _, a := range answers {
		if !a.ok {
			continue
		}
		if closest < fanout.CloseGroupSize {
			closest++
			if a.stored {
				storedVotes++
			}
		}
		if len(kept) < fanout.CloseGroupSize {
			kept = append(kept, a.q)
		}
	}
	if storedVotes >= AlreadyStoredQuorum {
		return nil, nil
	}
	if len(kept) < fanout.CloseGroupSize {
		return nil, fmt.Errorf("chunk %s: %w: %d quotes", addr.Short(), fanout.ErrInsufficientPeers, len(kept))
	}
	q := &Quoted{Quotes: kept, Peers: make([]xorname.Name, len(kept))}
	for i, k := range kept {
		q.Peers[i] = k.Peer
	}
	sort.Slice(q.Peers, func(i, j int) bool { return xorname.Closer(addr, q.Peers[i], q.Peers[j]) })
	return q, nil
}
