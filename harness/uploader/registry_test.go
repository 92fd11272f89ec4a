package uploader_test

import (
	"slices"
	"strings"
	"testing"

	_ "github.com/fanbench/fanbench/harness/externalsigner"
	"github.com/fanbench/fanbench/harness/result"
	_ "github.com/fanbench/fanbench/harness/upload"
	"github.com/fanbench/fanbench/harness/uploader"
)

// TestRegistry checks the registry of the uploaders linked in: the default
// first under the name records had before uploaders were named, the
// others by name; lookups by name and of the default; an unknown name's
// error listing the known ones; a name taken twice refused.
func TestRegistry(t *testing.T) {
	want := []string{result.DefaultUploader, "external-signer-0.3.2", "external-signer-0.3.3"}
	if got := uploader.Names(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %q, want %q", got, want)
	}
	for _, name := range append([]string{""}, want...) {
		d, err := uploader.Lookup(name)
		if err != nil || d.New == nil || d.Summary == "" || (d.Name != name && !(name == "" && d.Name == uploader.Default)) {
			t.Errorf("Lookup(%q) = %q, %v", name, d.Name, err)
			continue
		}
		if _, err := d.New(uploader.DefaultSettings()); err != nil {
			t.Errorf("%s: New(DefaultSettings()): %v", d.Name, err)
		}
		bad := uploader.DefaultSettings()
		bad.Store = nil
		if _, err := d.New(bad); err == nil || !strings.Contains(err.Error(), "store") {
			t.Errorf("%s: settings without a store policy: %v", d.Name, err)
		}
	}
	if _, err := uploader.Lookup("nope"); err == nil || !strings.Contains(err.Error(), `unknown uploader "nope" (known: `+strings.Join(want, ", ")+")") {
		t.Errorf("Lookup(nope): %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("a second uploader named ant-client was registered")
		}
	}()
	d, _ := uploader.Lookup("")
	uploader.Register(d)
}
