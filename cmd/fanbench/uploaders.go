package main

import (
	"strings"

	"github.com/fanbench/fanbench/harness/uploader"
)

// uploaderUsage is the -uploader flag's help: the registry's uploaders.
func uploaderUsage() string {
	return "the uploader to run: " + strings.Join(uploader.Names(), ", ") + " (default: the scenario's, else " + uploader.Default + ")"
}
