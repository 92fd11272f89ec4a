package spill

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/fanbench/fanbench/harness/xorname"
	"github.com/zeebo/blake3"
)

// manifestSchema changes whenever the cached bytes would differ for the
// same key (a change to self-encryption, say) or the manifest's layout
// changes. Schema 2 added Sum.
const manifestSchema = 2

// maxManifest bounds what decodeManifest reads, in bytes: a 4 GiB source
// has about 1,030 chunks of 65 bytes each in JSON, so 64 MiB is far above
// any real manifest and still a small read.
const maxManifest = 64 << 20

// Manifest describes a cached spill: the key it was built for, the chunk
// addresses in spill order, their total size in bytes, opaque metadata the
// caller needs to use the chunks again (the serialized data map), and Sum,
// the BLAKE3 hash of all of these, which makes a damaged manifest
// detectable. The chunks themselves are checked against their addresses,
// which are the BLAKE3 hashes of their content.
type Manifest struct {
	Schema    int            `json:"schema"`
	Key       string         `json:"key"`
	Addresses []xorname.Name `json:"addresses"`
	Bytes     int64          `json:"bytes"`
	Meta      []byte         `json:"meta"`
	Sum       xorname.Name   `json:"sum"`
}

// sum returns the BLAKE3 hash of m's fields other than Sum, each length-
// prefixed so that no two manifests share an encoding.
func (m Manifest) sum() xorname.Name {
	h := blake3.New()
	var n [8]byte
	put := func(v uint64) {
		binary.LittleEndian.PutUint64(n[:], v)
		h.Write(n[:])
	}
	put(uint64(m.Schema))
	put(uint64(len(m.Key)))
	h.WriteString(m.Key)
	put(uint64(len(m.Addresses)))
	for _, a := range m.Addresses {
		h.Write(a[:])
	}
	put(uint64(m.Bytes))
	put(uint64(len(m.Meta)))
	h.Write(m.Meta)
	var s xorname.Name
	h.Sum(s[:0])
	return s
}

// encodeManifest returns m as JSON with its Sum computed.
func encodeManifest(m Manifest) ([]byte, error) {
	m.Sum = m.sum()
	return json.Marshal(m)
}

// decodeManifest reads a manifest written by encodeManifest and checks it:
// the schema, no unknown fields or trailing data, a size that is not
// negative, no address twice, and Sum. Every error says what is wrong.
func decodeManifest(b []byte) (Manifest, error) {
	m, err := parseManifest(b)
	if err != nil {
		return Manifest{}, err
	}
	if s := m.sum(); s != m.Sum {
		return Manifest{}, fmt.Errorf("manifest: checksum %s does not match its content (%s)", m.Sum.Short(), s.Short())
	}
	return m, nil
}

// parseManifest is decodeManifest without the check of Sum.
func parseManifest(b []byte) (Manifest, error) {
	if len(b) > maxManifest {
		return Manifest{}, fmt.Errorf("manifest of %d bytes is larger than %d", len(b), maxManifest)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("manifest: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Manifest{}, errors.New("manifest: data after the JSON object")
	}
	if m.Schema != manifestSchema {
		return Manifest{}, fmt.Errorf("manifest schema %d, want %d (written by another version of fanbench)", m.Schema, manifestSchema)
	}
	if m.Bytes < 0 {
		return Manifest{}, fmt.Errorf("manifest: bytes %d is negative", m.Bytes)
	}
	seen := make(map[xorname.Name]struct{}, len(m.Addresses))
	for i, a := range m.Addresses {
		if _, dup := seen[a]; dup {
			return Manifest{}, fmt.Errorf("manifest: address %d (%s) listed twice", i, a.Short())
		}
		seen[a] = struct{}{}
	}
	return m, nil
}
