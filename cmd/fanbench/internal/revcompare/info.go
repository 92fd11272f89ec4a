package revcompare

import (
	"bytes"
	"debug/buildinfo"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/exit"
	"github.com/fanbench/fanbench/cmd/fanbench/internal/merge"
	"github.com/fanbench/fanbench/cmd/fanbench/internal/plan"
	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/runner"
	"github.com/fanbench/fanbench/reports/benchout"
	"github.com/fanbench/fanbench/reports/compare"
	"github.com/fanbench/fanbench/reports/summary"
)

// InfoFile is where compare -base describes its comparison, beside
// base/ and head/: what each side is and how to judge them, so that fanbench
// merge can judge its shards as one.
const InfoFile = "compare.json"

// Info is compare.json.
type Info struct {
	Base    string          `json:"base"`
	Head    string          `json:"head"`
	Options compare.Options `json:"options"`
}

// WriteInfo writes DIR/compare.json.
func WriteInfo(dir string, info *Info) error {
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	return result.WriteFileAtomic(filepath.Join(dir, InfoFile), append(b, '\n'))
}

func readInfo(dir string) (*Info, error) {
	path := filepath.Join(dir, InfoFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var info Info
	if err := json.Unmarshal(b, &info); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &info, nil
}

// IsDir reports whether dir is a compare -base results directory.
func IsDir(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, InfoFile))
	return err == nil
}

// sidePart is a comparison's part description for one side's batch.
func sidePart(part *result.Shard, s side) *result.Shard {
	if part == nil {
		return nil
	}
	p := *part
	p.Kind = "compare-" + s.String()
	return &p
}

// sideConfig is the file configuration of one side's results.bench: as
// plan.BenchConfig for this fanbench's jobs, with the Go version that built the
// side's binary bin, so that it is known before any run and the same in
// every shard of the comparison.
func sideConfig(jobs []runner.Job, bin string) benchout.Config {
	c := plan.BenchConfig(jobs)
	if bi, err := buildinfo.ReadFile(bin); err == nil {
		c.GoVersion = bi.GoVersion
	} else {
		c.GoVersion = ""
	}
	return c
}

// judge gives the verdict on a comparison whose sides are in
// out/base and out/head (their results.bench, and recs, their records),
// prints it, writes out/summary.md and returns the exit it calls for.
func judge(stdout io.Writer, out string, info *Info, recs [2][]*result.Record, headBatch result.Batch) error {
	dirs := [2]string{filepath.Join(out, "base"), filepath.Join(out, "head")}
	fmt.Fprintf(stdout, "base: %s\nhead: %s\n", info.Base, info.Head)
	rep, err := compare.Files(filepath.Join(dirs[sideBase], "results.bench"), filepath.Join(dirs[sideHead], "results.bench"), info.Options)
	if err != nil {
		return exit.UsageError(err)
	}
	var text bytes.Buffer
	if err := rep.WriteText(io.MultiWriter(stdout, &text)); err != nil {
		return err
	}
	lines, headWorse, crashes := unfinished(recs)
	for _, l := range lines {
		fmt.Fprintln(stdout, l)
		fmt.Fprintln(&text, l)
	}
	// The head's summary, with what changed against the base, for the PR.
	var md bytes.Buffer
	comparison := fmt.Sprintf("base: %s\nhead: %s\n\n%s", info.Base, info.Head, text.String())
	if err := summary.Write(&md, recs[sideHead], summary.Options{Comparison: comparison, Batch: headBatch, Base: recs[sideBase]}); err != nil {
		return err
	}
	mdPath := filepath.Join(out, "summary.md")
	if err := result.WriteFileAtomic(mdPath, md.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nresults: %s, %s\nsummary: %s\n", dirs[sideBase], dirs[sideHead], mdPath)
	switch {
	case rep.Outcome() == compare.Fail:
		return OutcomeError(rep)
	case headWorse:
		return exit.With(exit.Fail, errors.New("the head failed more runs than the base"))
	case crashes > 0:
		return exit.With(exit.Usage, fmt.Errorf("%d run(s) crashed; the comparison is incomplete", crashes))
	}
	return OutcomeError(rep)
}

// Merge joins the shards of a compare -base (each dir holding base/,
// head/ and compare.json) into out, side by side, and judges the joined
// sides as compare -base would have.
func Merge(stdout, stderr io.Writer, out string, dirs []string) error {
	var info *Info
	for _, d := range dirs {
		in, err := readInfo(d)
		if err != nil {
			return exit.UsageError(fmt.Errorf("merge: %s is not a directory of fanbench compare -base (%w); give the shards of one kind", d, err))
		}
		if info != nil && !reflect.DeepEqual(in, info) {
			return exit.UsageError(fmt.Errorf("merge: the shards compare different things: %s compares %q with %q (options %+v), %s compares %q with %q (options %+v)",
				dirs[0], info.Base, info.Head, info.Options, d, in.Base, in.Head, in.Options))
		}
		info = in
	}
	var recs [2][]*result.Record
	var headBatch result.Batch
	for s, name := range []string{"base", "head"} {
		var sides []string
		for _, d := range dirs {
			sides = append(sides, filepath.Join(d, name))
		}
		dir := filepath.Join(out, name)
		joined, lock, err := merge.Into(dir, sides, stderr)
		if err != nil {
			return err
		}
		defer lock.Unlock()
		if err := joined.Write(dir, false); err != nil {
			return err
		}
		recs[s] = joined.Results.Records
		headBatch = joined.Results.Batch
	}
	if err := WriteInfo(out, info); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "merged %d shards of a comparison\n", len(dirs))
	return judge(stdout, out, info, recs, headBatch)
}

// OutcomeError is the error, and so the exit code, of a comparison's
// outcome: nil for a pass.
func OutcomeError(rep *compare.Report) error {
	switch rep.Outcome() {
	case compare.Fail:
		return exit.With(exit.Fail, errors.New("a gating metric regressed, or a case of OLD has no finished run in NEW"))
	case compare.NotJudged:
		return exit.With(exit.NotJudged, fmt.Errorf("%d gating metric(s) could not be judged (too few samples); no verdict", len(rep.Unjudged())))
	}
	return nil
}

// Files compares the benchfmt files (or results directories) old and new
// as fanbench compare OLD NEW does: the report on w, and the exit its
// outcome calls for (OutcomeError). Unusable input is exit.Usage.
func Files(w io.Writer, old, new string, opts compare.Options) error {
	rep, err := compare.Files(old, new, opts)
	if err != nil {
		return exit.UsageError(err)
	}
	if err := rep.WriteText(w); err != nil {
		return err
	}
	return OutcomeError(rep)
}

// OnlyWithBase names the flags given that only the -base form takes, for
// an error: "-o and -shard apply", "" for none.
func OnlyWithBase(given map[string]bool) string {
	var names []string
	for _, name := range []string{"head", "count", "o", "strategies", "modes", "limiter", "cache", "timeout", "gogc", "order", "profile", "shard", "shards"} {
		if given[name] {
			names = append(names, "-"+name)
		}
	}
	if len(names) == 1 {
		return names[0] + " applies"
	} else if len(names) > 1 {
		return strings.Join(names, " and ") + " apply"
	}
	return ""
}
