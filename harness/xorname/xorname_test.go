package xorname

import (
	"encoding/json"
	"testing"
)

func TestCloser(t *testing.T) {
	var target, a, b Name
	a[0] = 0x01 // distance 0x01…
	b[0] = 0x80 // distance 0x80…
	if !Closer(target, a, b) || Closer(target, b, a) || Closer(target, a, a) {
		t.Fatal("Closer does not order by XOR distance")
	}
}

func TestTextRoundTrip(t *testing.T) {
	n := FromContent([]byte("chunk"))
	b, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	if want := `"` + n.String() + `"`; string(b) != want {
		t.Fatalf("json = %s, want %s", b, want)
	}
	var back Name
	if err := json.Unmarshal(b, &back); err != nil || back != n {
		t.Fatalf("round trip = %v, %v", back, err)
	}
	if err := json.Unmarshal([]byte(`"abcd"`), &back); err == nil {
		t.Fatal("short hex accepted")
	}
}
