// Package xorname holds the 32-byte addresses that name chunks and peers on
// the Autonomi network, and the XOR distance that orders them.
//
// A chunk's address is the BLAKE3 hash of its encrypted bytes (ant-protocol
// src/data_types.rs compute_address); peers live in the same space, and a
// chunk's close group is the set of peers nearest to it by XOR distance.
package xorname

import (
	"bytes"
	"encoding/hex"
	"fmt"

	"github.com/zeebo/blake3"
)

// Size is the length of a name in bytes.
const Size = 32

// Name is a point in the 256-bit XOR space: a chunk address or a peer id.
type Name [Size]byte

// FromContent returns the BLAKE3 hash of b, which is the network address of a
// chunk whose encrypted bytes are b.
func FromContent(b []byte) Name { return Name(blake3.Sum256(b)) }

// String returns the full lowercase hex form of n.
func (n Name) String() string { return hex.EncodeToString(n[:]) }

// Short returns the first 8 hex digits of n, for logs and messages.
func (n Name) Short() string { return hex.EncodeToString(n[:4]) }

// Distance returns the XOR of a and b, which compares as a big-endian
// unsigned number: a smaller distance means closer.
func Distance(a, b Name) Name {
	var d Name
	for i := range d {
		d[i] = a[i] ^ b[i]
	}
	return d
}

// Closer reports whether a is strictly closer to target than b is.
func Closer(target, a, b Name) bool {
	da, db := Distance(target, a), Distance(target, b)
	return bytes.Compare(da[:], db[:]) < 0
}

// MarshalText encodes n as lowercase hex, so names read well in JSON.
func (n Name) MarshalText() ([]byte, error) {
	out := make([]byte, hex.EncodedLen(Size))
	hex.Encode(out, n[:])
	return out, nil
}

// UnmarshalText decodes the hex form written by MarshalText.
func (n *Name) UnmarshalText(b []byte) error {
	if hex.DecodedLen(len(b)) != Size {
		return fmt.Errorf("xorname: want %d hex digits, got %d", 2*Size, len(b))
	}
	_, err := hex.Decode(n[:], b)
	return err
}
