package strategy

import (
	"bytes"
	"slices"
	"testing"

	"github.com/fanbench/fanbench/harness/buffer"
	"github.com/fanbench/fanbench/harness/wire"
	"github.com/fanbench/fanbench/harness/xorname"
)

// live returns the live bytes of c by site, for the sites a strategy uses.
func live(c *buffer.Counter) map[buffer.Site]int64 {
	m := map[buffer.Site]int64{}
	for _, s := range []buffer.Site{buffer.SpillRead, buffer.PeerCopy, buffer.ProofCopy, buffer.Encode} {
		if v := c.Live(s); v != 0 {
			m[s] = v
		}
	}
	return m
}

// sum adds held to m.
func sum(m map[buffer.Site]int64, held []Held) map[buffer.Site]int64 {
	out := map[buffer.Site]int64{}
	for s, v := range m {
		out[s] = v
	}
	for _, h := range held {
		if h.Bytes != 0 {
			out[h.Site] += h.Bytes
		}
	}
	return out
}

func equal(a, b map[buffer.Site]int64) bool {
	for s, v := range a {
		if b[s] != v {
			return false
		}
	}
	for s, v := range b {
		if a[s] != v {
			return false
		}
	}
	return true
}

// TestFootprintMatchesSends runs each built-in strategy's Prepare and two
// of its sends on a counting heap and checks, at every step, that what is
// live is what its Footprint tells the model; and that every strategy puts
// the same bytes on the wire, in the two shapes the transport takes.
func TestFootprintMatchesSends(t *testing.T) {
	for _, size := range []int{3, 1 << 20, 4_190_208} {
		for _, s := range []Strategy{CopyPerPeer, SharedBuffer, EncodeOnce, Streamed} {
			d, ok := s.Def()
			if !ok {
				t.Fatalf("%v is not registered", s)
			}
			var c buffer.Counter
			h := buffer.GoHeap(&c)
			content := buffer.New(h, buffer.SpillRead, size, size)
			content.B = content.B[:size]
			for i := range content.B {
				content.B[i] = byte(i)
			}
			proof := bytes.Repeat([]byte{7}, 55_000)
			m := &Message{Put: wire.Put{RequestID: 1 << 34, Address: xorname.Name{1}, Content: content.B, Proof: proof}, Content: content}
			fp := d.Footprint(&wire.Put{RequestID: 1 << 34, Content: make([]byte, size), Proof: make([]byte, len(proof))})

			base := live(&c)
			if d.Prepare != nil {
				d.Prepare(h, m)
			}
			stored := sum(base, fp.Store)
			if got := live(&c); !equal(got, stored) {
				t.Fatalf("%v, %d bytes: after Prepare %v live, the footprint says %v", s, size, got, stored)
			}
			want := m.Put.Append(nil)
			var sends []Send
			for range 2 {
				out := d.Send(h, m)
				sends = append(sends, out)
				if got := bytes.Join(out.Parts, nil); !bytes.Equal(got, want) {
					t.Errorf("%v, %d bytes: a send writes %d other bytes than the message's %d", s, size, len(got), len(want))
				}
				if n := len(out.Parts); n != 1 && n != 3 || (n == 3) != fp.ByReference {
					t.Errorf("%v: a send in %d parts, by reference %v", s, n, fp.ByReference)
				}
			}
			perSend := append(slices.Clone(fp.Send), Held{buffer.Encode, fp.Encoded})
			both := sum(sum(stored, perSend), perSend)
			if got := live(&c); !equal(got, both) {
				t.Fatalf("%v, %d bytes: two sends hold %v, the footprint says %v", s, size, got, both)
			}
			for _, out := range sends {
				if out.Sent != nil {
					out.Sent()
				}
			}
			answered := sum(sum(stored, fp.Send), fp.Send)
			if got := live(&c); !equal(got, answered) {
				t.Fatalf("%v, %d bytes: returned sends hold %v, the footprint says %v", s, size, got, answered)
			}
			for _, out := range sends {
				if out.Done != nil {
					out.Done()
				}
			}
			if got := live(&c); !equal(got, stored) {
				t.Fatalf("%v, %d bytes: after the answers %v live, want the store's %v", s, size, got, stored)
			}
			m.Release()
			content.Release()
			if n := c.TotalLive(); n != 0 {
				t.Fatalf("%v: %d bytes live after the store", s, n)
			}
		}
	}
}

// TestRegister adds a strategy, finds it by name and in order after the
// built-ins, and removes it.
func TestRegister(t *testing.T) {
	builtin := Names()
	shared, _ := SharedBuffer.Def()
	extra := shared
	extra.Name = "test-extra"
	s, remove := Register(extra)
	if got := Names(); !slices.Equal(got, append(slices.Clone(builtin), "test-extra")) {
		t.Fatalf("Names() = %q after Register", got)
	}
	if p, err := Parse("test-extra"); err != nil || p != s || s.String() != "test-extra" {
		t.Fatalf("Parse(test-extra) = %v, %v; registered as %v", p, err, s)
	}
	var u Strategy
	if err := u.UnmarshalText([]byte("test-extra")); err != nil || u != s {
		t.Fatalf("UnmarshalText: %v, %v", u, err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("a second strategy of the same name was registered")
			}
		}()
		Register(extra)
	}()
	remove()
	if _, err := Parse("test-extra"); err == nil || s.Valid() {
		t.Fatal("the strategy is still registered after its removal")
	}
	if got := Names(); !slices.Equal(got, builtin) {
		t.Fatalf("Names() = %q after the removal, want %q", got, builtin)
	}
	if _, err := Parse("zero-copy"); err == nil {
		t.Fatal("an unknown strategy was accepted")
	}
}
