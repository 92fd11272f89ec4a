package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/uploader"
)

// uploaderUsage is the -uploader flag's help: the registry's uploaders.
func uploaderUsage() string {
	return "the uploader to run: " + strings.Join(uploader.Names(), ", ") + " (default: the scenario's, else " + uploader.Default + ")"
}

// checkUploader rejects an -uploader the registry does not know, naming
// the flag and the known ones.
func checkUploader(set map[string]bool, name string) error {
	if !set["uploader"] {
		return nil
	}
	if _, err := uploader.Lookup(name); err != nil || name == "" {
		return fmt.Errorf("-uploader: unknown uploader %q (known: %s)", name, strings.Join(uploader.Names(), ", "))
	}
	return nil
}

// uploaderNotes names, one line each, the uploaders the records ran, with
// what each follows. A result line names an uploader other than the
// default in its name (/uploader=…); these lines say it for all, as the
// client notes do.
func uploaderNotes(recs []*result.Record) []string {
	var names []string
	for _, r := range recs {
		if n := r.UploaderName(); !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	var notes []string
	for _, n := range names {
		line := "uploader " + n
		if d, err := uploader.Lookup(n); err == nil {
			line += ": " + d.Summary
		}
		if n == uploader.Default {
			line += "; the default: its result names carry no /uploader= key"
		}
		notes = append(notes, line)
	}
	return notes
}
