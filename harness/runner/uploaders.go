package runner

// The uploaders a case may name: each package registers its own with
// package uploader when it is linked in.
import (
	_ "github.com/fanbench/fanbench/harness/externalsigner"
	_ "github.com/fanbench/fanbench/harness/upload"
)
