package uploader

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/fanbench/fanbench/harness/result"
)

// Def is one uploader in the registry.
type Def struct {
	// Name is how flags, scenarios, records and benchmark names spell it:
	// lowercase letters, digits, dots and hyphens.
	Name string
	// Summary says in one line which client code path it follows.
	Summary string
	// New builds the uploader for a case's settings.
	New func(Settings) (Uploader, error)
}

// Default is the uploader a case runs when it names none: package upload,
// ant-client's file uploader, under the name records had before uploaders
// were named (result.DefaultUploader).
const Default = result.DefaultUploader

var (
	mu   sync.RWMutex
	defs []Def
)

// Register adds d to the registry; the packages of uploaders call it from
// init. It panics (a programmer's error) on a name already registered, an
// unusable name or a missing constructor.
func Register(d Def) {
	if d.Name == "" || strings.ContainsAny(d.Name, " ,/=:") || d.New == nil {
		panic(fmt.Sprintf("uploader: Register(%q): an uploader needs a name (no spaces, commas, /, = or :) and New", d.Name))
	}
	mu.Lock()
	defer mu.Unlock()
	if slices.ContainsFunc(defs, func(o Def) bool { return o.Name == d.Name }) {
		panic(fmt.Sprintf("uploader: Register(%q): the name is taken", d.Name))
	}
	defs = append(defs, d)
}

// Names returns the registered uploaders' names: Default first, then the
// others by name.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	var names []string
	for _, d := range defs {
		if d.Name != Default {
			names = append(names, d.Name)
		}
	}
	slices.Sort(names)
	if slices.ContainsFunc(defs, func(d Def) bool { return d.Name == Default }) {
		names = append([]string{Default}, names...)
	}
	return names
}

// Lookup returns the uploader named name ("" names Default). An unknown
// name's error lists the known ones.
func Lookup(name string) (Def, error) {
	if name == "" {
		name = Default
	}
	mu.RLock()
	i := slices.IndexFunc(defs, func(d Def) bool { return d.Name == name })
	var d Def
	if i >= 0 {
		d = defs[i]
	}
	mu.RUnlock()
	if i < 0 {
		return Def{}, fmt.Errorf("unknown uploader %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	return d, nil
}
