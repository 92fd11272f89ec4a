// Package revision names and builds the code under test: this fanbench's
// release and commit, git revisions of the checkout around it, and fanbench
// built at a revision (for compare -base).
package revision

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
)

// Release is the module version alone, never the commit: a
// fanbench-version key that differs between two commits would split
// benchstat's tables.
func Release() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// Version is the module version and, when the build has one, its VCS
// revision, as fanbench version prints them.
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return bi.Main.Version + " " + s.Value
			}
		}
		return bi.Main.Version
	}
	return "(unknown)"
}

// Commit names the code under test, this fanbench: the build's VCS stamp
// when it has one (go build or go install in a git checkout: the
// revision's first 12 hex digits, "-dirty" when the tree had changes), and
// otherwise (go run and go test stamp none) `git describe --always --dirty`
// of the checkout around the working directory, if that checkout is
// fanbench's own module; "" when neither says.
func Commit(ctx context.Context) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev string
		dirty := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			rev = Short(rev)
			if dirty {
				rev += "-dirty"
			}
			return rev
		}
	}
	root, err := Git(ctx, "", "rev-parse", "--show-toplevel")
	if err != nil {
		return ""
	}
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil || !bytes.HasPrefix(mod, []byte("module github.com/fanbench/fanbench\n")) {
		return "" // some other checkout: it says nothing of this binary
	}
	d, err := Git(ctx, root, "describe", "--always", "--dirty", "--abbrev=12")
	if err != nil {
		return ""
	}
	return d
}

// Short is a commit hash's first 12 hex digits.
func Short(h string) string { return h[:min(len(h), 12)] }

// Git runs git in dir ("" for the current directory) and returns its
// standard output, trimmed, or an error holding its standard error.
func Git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("git %s: %s", strings.Join(args, " "), msg)
	}
	return strings.TrimSpace(stdout.String()), nil
}

// Resolve returns the full hash of the commit rev names in the repository
// at root, or an error naming rev.
func Resolve(ctx context.Context, root, rev string) (string, error) {
	if strings.HasPrefix(rev, "-") {
		return "", fmt.Errorf("%q is not a revision", rev)
	}
	cmd := exec.CommandContext(ctx, "git", "rev-parse", "--verify", "--quiet", rev+"^{commit}")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit) && ctx.Err() == nil:
		return "", fmt.Errorf("%q is not a commit in %s (git rev-parse --verify %q: none)", rev, root, rev+"^{commit}")
	case err != nil:
		return "", fmt.Errorf("git rev-parse %q: %v %s", rev, err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// Build builds fanbench from the module at dir into bin, streaming the go
// command's output to w. -trimpath keeps the worktree's path out of every
// package's build, so the build cache serves both sides of a comparison the
// packages they share (and a second build of the same commit entirely).
func Build(ctx context.Context, dir, bin string, w io.Writer) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin, "./cmd/fanbench")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = w, w
	return cmd.Run()
}
