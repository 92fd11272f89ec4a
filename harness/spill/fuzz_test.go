package spill

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/fanbench/fanbench/harness/xorname"
)

// FuzzManifest checks that decodeManifest, the reader of the manifest.json
// a cache entry carries, never panics, and that whatever it accepts is a
// manifest it would write itself: valid by its own checks, and unchanged
// through encodeManifest and decodeManifest again. Since random input
// rarely carries a matching checksum, the same holds for what
// parseManifest (every check but the checksum) accepts, once its Sum is
// recomputed. The corpus starts from real manifests and damaged ones.
//
// CI runs it briefly: go test -run '^$' -fuzz FuzzManifest -fuzztime 5s ./harness/spill
func FuzzManifest(f *testing.F) {
	a, b := xorname.FromContent([]byte("a")), xorname.FromContent([]byte("b"))
	for _, m := range []Manifest{
		{Schema: manifestSchema, Key: "selfenc-0.35-model/1/src-v1/seed=1/size=20971520/compress=0.5", Addresses: []xorname.Name{a, b}, Bytes: 8380416, Meta: []byte{1, 2, 0, 0}},
		{Schema: manifestSchema},
		{Schema: manifestSchema, Key: "k", Addresses: []xorname.Name{}, Meta: []byte{}},
	} {
		enc, err := encodeManifest(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc)
		f.Add(bytes.Replace(enc, []byte(`"schema":2`), []byte(`"schema":1`), 1))
		f.Add(enc[:len(enc)/2])
		f.Add(append(enc[:len(enc):len(enc)], " {}"...))
	}
	for _, s := range []string{"", "{}", "null", "[]", `{"schema":2,"bytes":-1}`, `{"schema":2,"addresses":["00"]}`, `{"schema":2,"extra":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeManifest(data)
		if err != nil && !reflect.DeepEqual(m, Manifest{}) {
			t.Fatalf("error %v with a non-zero manifest %+v", err, m)
		}
		p, perr := parseManifest(data)
		switch {
		case err == nil && (perr != nil || !reflect.DeepEqual(p, m)):
			t.Fatalf("decode accepted what parse did not: %v", perr)
		case perr != nil:
			return
		case err != nil && p.Sum == p.sum():
			t.Fatalf("decode refused a manifest whose checksum matches: %v", err)
		}
		m = p
		m.Sum = m.sum()
		if m.Schema != manifestSchema || m.Bytes < 0 {
			t.Fatalf("accepted an invalid manifest %+v", m)
		}
		enc, err := encodeManifest(m)
		if err != nil {
			t.Fatalf("encode accepted manifest: %v", err)
		}
		m2, err := decodeManifest(enc)
		if err != nil {
			t.Fatalf("re-decode: %v\n%s", err, enc)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip changed the manifest:\n%+v\n%+v", m, m2)
		}
	})
}
