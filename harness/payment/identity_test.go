package payment

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/fanbench/fanbench/harness/xorname"
)

func TestIdentityDeterministic(t *testing.T) {
	var seed [32]byte
	seed[0] = 7
	a, b := NewIdentity(seed), NewIdentity(seed)
	if a.ID != b.ID || a.Rewards != b.Rewards || !slices.Equal(a.PublicKey(), b.PublicKey()) {
		t.Fatal("same seed gave different identities")
	}
	if a.ID != xorname.FromContent(a.PublicKey()) {
		t.Error("peer id is not BLAKE3 of the public key")
	}
	if len(a.PublicKey()) != PublicKeySize {
		t.Errorf("public key is %d bytes, want %d", len(a.PublicKey()), PublicKeySize)
	}
	seed[0] = 8
	if c := NewIdentity(seed); c.ID == a.ID || c.Rewards == a.Rewards {
		t.Error("different seeds gave the same id or rewards address")
	}
}

func TestQuoteSignVerifyRoundTrip(t *testing.T) {
	id := testPeers()[0]
	addr := addrOf("round trip")
	q := id.Quote(addr, 1234, t0.Add(1500*time.Millisecond))
	if err := q.Verify(); err != nil {
		t.Fatalf("fresh quote: %v", err)
	}
	if len(q.Signature) != SignatureSize {
		t.Errorf("signature is %d bytes, want %d", len(q.Signature), SignatureSize)
	}
	if &q.PubKey[0] == &id.PublicKey()[0] {
		t.Error("quote shares the identity's key; it should own a copy")
	}
	if again := id.Quote(addr, 1234, t0.Add(1500*time.Millisecond)); !reflect.DeepEqual(q, again) {
		t.Error("signing is not deterministic")
	}

	b, err := msgpack.Marshal(&q)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(b), rmpQuote(&q); got != want {
		t.Errorf("encoded quote is %d bytes, size model says %d", got, want)
	}
	var back Quote
	if err := msgpack.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, q) {
		t.Errorf("round trip changed the quote:\n got %+v\nwant %+v", back, q)
	}
	if back.Hash() != q.Hash() {
		t.Error("round trip changed the quote hash")
	}
}

func TestQuoteVerifyRejects(t *testing.T) {
	id := testPeers()[1]
	good := id.Quote(addrOf("rejects"), 99, t0)
	tests := []struct {
		name   string
		tamper func(q *Quote)
	}{
		{"flipped signature bit", func(q *Quote) { q.Signature[10] ^= 0x80 }},
		{"changed price", func(q *Quote) { q.Price++ }},
		{"changed content", func(q *Quote) { q.Content[0] ^= 1 }},
		{"changed second", func(q *Quote) { q.Timestamp = q.Timestamp.Add(time.Second) }},
		{"other peer's key", func(q *Quote) { q.PubKey = slices.Clone(testPeers()[2].PublicKey()) }},
		{"short key", func(q *Quote) { q.PubKey = q.PubKey[:100] }},
		{"short signature", func(q *Quote) { q.Signature = q.Signature[:SignatureSize-1] }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := good
			q.PubKey, q.Signature = slices.Clone(good.PubKey), slices.Clone(good.Signature)
			tt.tamper(&q)
			if err := q.Verify(); !errors.Is(err, ErrBadSignature) {
				t.Errorf("Verify = %v, want ErrBadSignature", err)
			}
		})
	}
	// Sub-second changes are not signed, as upstream signs whole seconds.
	q := good
	q.Timestamp = q.Timestamp.Add(time.Millisecond)
	if err := q.Verify(); err != nil {
		t.Errorf("sub-second timestamp change: %v", err)
	}
}

func TestCandidateSignVerifyRoundTrip(t *testing.T) {
	id := testPeers()[3]
	c := id.Candidate(4321, uint64(t0.Unix()))
	if err := c.Verify(); err != nil {
		t.Fatalf("fresh candidate: %v", err)
	}
	b, err := msgpack.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	var back Candidate
	if err := msgpack.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, c) {
		t.Error("round trip changed the candidate")
	}
	back.Timestamp++
	if err := back.Verify(); !errors.Is(err, ErrBadSignature) {
		t.Errorf("candidate with another timestamp: Verify = %v, want ErrBadSignature", err)
	}
}

func TestUseMerkle(t *testing.T) {
	tests := []struct {
		chunks int
		mode   Mode
		want   bool
	}{
		{63, Auto, false},
		{64, Auto, true},
		{1000, Auto, true},
		{1, Merkle, false},
		{2, Merkle, true},
		{1000, Single, false},
	}
	for _, tt := range tests {
		if got := UseMerkle(tt.chunks, tt.mode); got != tt.want {
			t.Errorf("UseMerkle(%d, %d) = %v, want %v", tt.chunks, tt.mode, got, tt.want)
		}
	}
}
