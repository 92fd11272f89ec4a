package scenarios

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// builtinFS holds the built-in scenarios, one file NAME.yaml per scenario
// NAME.
//
//go:embed builtin/*.yaml
var builtinFS embed.FS

const builtinDir = "builtin"

// builtinFile is the File of the built-in name: "builtin:NAME.yaml".
func builtinFile(name string) string { return "builtin:" + name + ".yaml" }

// Builtin returns a fresh copy of the built-in scenario called name.
func Builtin(name string) (*Spec, error) {
	if !nameRE.MatchString(name) {
		return nil, fmt.Errorf("unknown built-in scenario %q (built-ins: %s)", name, strings.Join(builtinNames(), ", "))
	}
	data, err := builtinFS.ReadFile(path.Join(builtinDir, name+".yaml"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("unknown built-in scenario %q (built-ins: %s)", name, strings.Join(builtinNames(), ", "))
	}
	if err != nil {
		return nil, err
	}
	s, err := Parse(builtinFile(name), data)
	if err != nil {
		return nil, err
	}
	if s.Name != name {
		return nil, s.errorf("name", "the built-in in %s.yaml is named %q; a built-in's name must match its file", name, s.Name)
	}
	return s, nil
}

// Builtins returns a fresh copy of every built-in scenario, sorted by name.
// It panics if a built-in file is invalid, a build defect that the package's
// tests rule out.
func Builtins() []*Spec {
	names := builtinNames()
	specs := make([]*Spec, 0, len(names))
	for _, name := range names {
		s, err := Builtin(name)
		if err != nil {
			panic(fmt.Sprintf("scenarios: invalid built-in: %v", err))
		}
		specs = append(specs, s)
	}
	return specs
}

// builtinNames lists the built-ins' names, sorted.
func builtinNames() []string {
	entries, _ := builtinFS.ReadDir(builtinDir) // embedded: cannot fail
	var names []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// Lookup returns the built-in scenario called nameOrPath if there is one,
// and otherwise loads the scenario file at that path. A built-in wins over a
// file of the same name in the working directory; write ./NAME to load
// the file.
//
// A file whose scenario takes a built-in's name must be that built-in (the
// same Format): results are filed and compared by scenario name, so an
// edited copy (fanbench scenarios -show smoke > my.yaml) would pass its
// figures off as the built-in's. It is refused, positioned at its name.
func Lookup(nameOrPath string) (*Spec, error) {
	if slices.Contains(builtinNames(), nameOrPath) {
		return Builtin(nameOrPath)
	}
	s, err := Load(nameOrPath)
	if errors.Is(err, fs.ErrNotExist) && nameRE.MatchString(nameOrPath) {
		return nil, fmt.Errorf("unknown scenario %q: no built-in of that name (%s) and no such file", nameOrPath, strings.Join(builtinNames(), ", "))
	}
	if err != nil {
		return nil, err
	}
	if slices.Contains(builtinNames(), s.Name) {
		b, err := Builtin(s.Name)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(b.Format(), s.Format()) {
			return nil, s.errorf("name", "%q is a built-in scenario's name, and this file differs from the built-in: its results would pass for the built-in's; give it a name of its own (e.g. %s)",
				s.Name, suggestName(s.Name))
		}
	}
	return s, nil
}

// suggestName is a name for an edited copy of the built-in name that no
// built-in has and that fits the name rules.
func suggestName(name string) string {
	n := name[:min(len(name), maxNameLen-len("-custom"))]
	return strings.TrimRight(n, "-") + "-custom"
}
