package scenarios

import (
	"bytes"
	"errors"
	"io/fs"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that every error it returns is
// an *Error that names a field or a position in the file, and that whatever
// it accepts is valid and survives Format and Parse again unchanged. The
// corpus starts from every built-in and a few broken files.
//
// CI runs it briefly: make fuzz.
func FuzzParse(f *testing.F) {
	entries, err := fs.ReadDir(builtinFS, builtinDir)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		data, err := fs.ReadFile(builtinFS, builtinDir+"/"+e.Name())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"",
		"- a\n",
		head + "network:\n  bandwidth: 5Mbit\n",
		head + "budgets:\n  - {strategy: '*', metric: peak-live-B, max: 1GiB, max_model_ratio: 2}\n",
		head + "limiters: [fixed:0, warm:64]\n",
		"name: &a x\ndescription: *a\n",
		"a: [\n",
		"limiters: " + strings.Repeat("[", 100),
		"- - - - - - - - - - - - - - - - - - a\n",
		"description: \"it's [not] {nested}\" # [[[\n",
	} {
		f.Add([]byte(s))
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %q is not an *Error", err, err)
			}
			if e.Field == "" && e.Pos.Line <= 0 {
				t.Fatalf("error %q names neither a field nor a line", err)
			}
			if e.Pos.File != "fuzz.yaml" {
				t.Fatalf("error %q does not name the file", err)
			}
			if s != nil {
				t.Fatalf("Parse returned a spec with its error %q", err)
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("Parse accepted a spec that Validate rejects: %v", err)
		}
		text := s.Format()
		back, err := Parse("again.yaml", text)
		if err != nil {
			t.Fatalf("Parse(Format()) = %v\ninput:\n%s\nformatted:\n%s", err, data, text)
		}
		if !specEqual(back, s) {
			t.Fatalf("Parse(Format()) =\n%+v\nwant\n%+v", *back, *s)
		}
		if again := back.Format(); !bytes.Equal(again, text) {
			t.Fatalf("Format is not stable:\n%s\n%s", text, again)
		}
	})
}
