// Package merge joins the parts of a batch that ran split between
// machines (fanbench run, fit or compare -base with -shard i/n) into the
// results of one batch, as if one machine had run it all.
//
// In steps:
//  1. Read loads each part's results directory: its newest batch, which
//     must describe itself as a part (result.Shard).
//  2. Join checks the parts against each other: one kind, one count, one
//     plan (the same scenarios, settings and jobs), one fanbench version,
//     one benchfmt configuration, each index once, none interrupted, and
//     every unit of the plan run by some part. It reports every problem it
//     finds, naming the parts (their index and directory) and the missing
//     units, in one *Error.
//  3. It then joins them: the records in the order an unsplit batch would
//     have run them, each stamped with the joined batch's ID; the batch's
//     counts, breaches, unexpected runs and notes gathered, part by part.
//  4. WriteRuns writes the joined records under runs/ and copies their
//     profiles, so that the joined directory stands on its own (fanbench
//     report and pprof read it as they read a run's).
package merge

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/exit"
	"github.com/fanbench/fanbench/cmd/fanbench/internal/outputs"
	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/runner"
	"github.com/fanbench/fanbench/harness/upload/strategy"
	"github.com/fanbench/fanbench/reports/benchout"
)

// Part is one part's results directory, as read.
type Part struct {
	Dir string
	*result.Results
}

// name is how messages name the part: "shard 2/3 (DIR)".
func (p *Part) name() string {
	if s := p.Batch.Shard; s != nil {
		return fmt.Sprintf("shard %d/%d (%s)", s.Index, s.Count, p.Dir)
	}
	return p.Dir
}

// Read loads the newest batch of the results directory dir as a part. It
// fails, naming dir, when dir holds no records of a batch, or a batch that
// is not a part of a larger one.
func Read(dir string) (*Part, error) {
	res, err := result.LoadDir(dir)
	if err != nil {
		if _, serr := os.Stat(filepath.Join(dir, result.BatchFile)); serr != nil {
			return nil, err
		}
		// A part whose shard ran no case has a batch but no records.
		b, berr := readBatch(dir)
		if berr != nil {
			return nil, berr
		}
		res = &result.Results{Batch: *b}
	}
	switch s := res.Batch.Shard; {
	case s == nil:
		return nil, fmt.Errorf("%s: batch %s is not a shard (fanbench run, fit or compare -base with -shard i/n writes one); nothing to merge", dir, cmp.Or(res.Batch.ID, "of unknown ID"))
	case res.Batch.FromRuns:
		return nil, fmt.Errorf("shard %d/%d (%s) ended before writing %s (killed?): run it again", s.Index, s.Count, dir, result.ResultsFile)
	}
	return &Part{Dir: dir, Results: res}, nil
}

// readBatch reads dir's batch.json.
func readBatch(dir string) (*result.Batch, error) {
	path := filepath.Join(dir, result.BatchFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return result.DecodeBatch(data, path)
}

// Error is every problem Join found with its parts, one line each.
type Error struct {
	Problems []string
}

func (e *Error) Error() string {
	if len(e.Problems) == 1 {
		return "merge: " + e.Problems[0]
	}
	return fmt.Sprintf("merge: %d problems:\n  %s", len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// Joined is the parts joined into one batch.
type Joined struct {
	// Results is the joined batch and its records.
	Results *result.Results
	// Kind is the parts' kind ("run", "fit", "compare-base", …), and
	// Config their benchfmt file configuration, one "key: value" each.
	Kind   string
	Config []string
	// Parts are the parts, by index.
	Parts []*Part
}

// Join checks parts (see the package steps) and joins them into a batch
// with the ID id. When the parts do not make one batch it returns an *Error
// naming every problem.
func Join(parts []*Part, id string) (*Joined, error) {
	if len(parts) == 0 {
		return nil, errors.New("merge: no parts")
	}
	parts = slices.Clone(parts)
	slices.SortStableFunc(parts, func(a, b *Part) int { return cmp.Compare(a.Batch.Shard.Index, b.Batch.Shard.Index) })
	var problems []string
	for _, attr := range []struct {
		what string
		of   func(*result.Shard) string
	}{
		{"kind of batch", func(s *result.Shard) string { return s.Kind }},
		{"shard count", func(s *result.Shard) string { return fmt.Sprint(s.Count) }},
		{"scenarios", func(s *result.Shard) string { return strings.Join(s.Scenarios, " ") }},
		{"fanbench version", func(s *result.Shard) string { return s.Version }},
		{"plan (the scenarios' settings, flags and runs)", func(s *result.Shard) string { return s.Plan }},
		{"benchfmt configuration", func(s *result.Shard) string { return strings.Join(s.Config, "; ") }},
	} {
		if p := disagree(parts, attr.what, attr.of); p != "" {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		return nil, &Error{problems} // nothing below means anything
	}

	first := parts[0].Batch.Shard
	seen := map[int]*Part{}
	ran := map[string]bool{}
	for _, p := range parts {
		s := p.Batch.Shard
		if q := seen[s.Index]; q != nil {
			problems = append(problems, fmt.Sprintf("shard %d/%d given twice: %s and %s", s.Index, s.Count, q.Dir, p.Dir))
			continue
		}
		seen[s.Index] = p
		if p.Batch.Interrupted != "" {
			problems = append(problems, fmt.Sprintf("%s was %s: run it again", p.name(), p.Batch.InterruptedLine()))
			continue
		}
		for _, u := range s.Done {
			if slices.Contains(s.Mine, u) {
				ran[u] = true
			}
		}
	}
	var missing []string
	var shards []int
	for _, u := range first.Units {
		if !ran[u] {
			missing = append(missing, u)
		}
	}
	for i := 1; i <= first.Count; i++ {
		if seen[i] == nil {
			shards = append(shards, i)
		}
	}
	if len(missing) > 0 {
		which := ""
		if len(shards) > 0 {
			var names []string
			for _, i := range shards {
				names = append(names, fmt.Sprintf("%d/%d", i, first.Count))
			}
			which = fmt.Sprintf(" (shard %s not given)", strings.Join(names, ", "))
		}
		problems = append(problems, fmt.Sprintf("%d of %d units missing%s: %s", len(missing), len(first.Units), which, strings.Join(missing, ", ")))
	}
	if len(problems) > 0 {
		return nil, &Error{problems}
	}
	return join(parts, id), nil
}

// disagree returns a problem naming the parts by their value of what, or
// "" when they all have the same.
func disagree(parts []*Part, what string, of func(*result.Shard) string) string {
	var values []string
	byValue := map[string][]string{}
	for _, p := range parts {
		v := of(p.Batch.Shard)
		if _, ok := byValue[v]; !ok {
			values = append(values, v)
		}
		byValue[v] = append(byValue[v], p.name())
	}
	if len(values) < 2 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "the shards disagree on the %s:", what)
	for i, v := range values {
		if i > 0 {
			b.WriteString(";")
		}
		fmt.Fprintf(&b, " %s: %q", strings.Join(byValue[v], ", "), v)
	}
	return b.String()
}

// join joins parts that Join checked.
func join(parts []*Part, id string) *Joined {
	first := parts[0].Batch
	b := result.Batch{ID: id, Commit: first.Commit, Started: first.Started, Baselines: map[string]string{}}
	pos := map[string]int{}
	for i, p := range first.Shard.Order {
		pos[p] = i
	}
	var recs []*result.Record
	var from []string
	for _, p := range parts {
		pb := p.Batch
		if pb.Started.Before(b.Started) {
			b.Started = pb.Started
		}
		b.Planned += pb.Planned
		b.Finished += pb.Finished
		b.Budgets = b.Budgets || pb.Budgets
		b.Breaches = append(b.Breaches, pb.Breaches...)
		b.Unexpected = append(b.Unexpected, pb.Unexpected...)
		b.Notes = append(b.Notes, pb.Notes...)
		for k, v := range pb.Baselines {
			b.Baselines[k] = v
		}
		from = append(from, fmt.Sprintf("%d/%d (batch %s, %s)", pb.Shard.Index, pb.Shard.Count, pb.ID, p.Dir))
		for _, r := range p.Records {
			c := *r
			c.Batch = id
			recs = append(recs, &c)
		}
	}
	b.Notes = slices.Compact(b.Notes)
	b.Notes = append(b.Notes, fmt.Sprintf("joined by fanbench merge from %d shards: %s", len(parts), strings.Join(from, ", ")))
	slices.SortStableFunc(recs, func(a, c *result.Record) int {
		pa, oka := pos[RecordPath(a)]
		pc, okc := pos[RecordPath(c)]
		switch {
		case oka && okc:
			return cmp.Compare(pa, pc)
		case oka:
			return -1
		case okc:
			return 1
		}
		return 0
	})
	return &Joined{Results: &result.Results{Batch: b, Records: recs}, Kind: first.Shard.Kind, Config: first.Shard.Config, Parts: parts}
}

// RecordPath is where the job that made r put it, relative to the results
// directory (runner.Job.RecordPath).
func RecordPath(r *result.Record) string {
	st, _ := strategy.Parse(r.Strategy) // an unknown name keeps its place at the end
	j := runner.Job{Case: runner.Case{Name: r.Scenario, Strategy: st, Limiter: r.Limiter}, Rep: r.Rep, Profile: r.Profile}
	return j.RecordPath()
}

// WriteRuns writes every joined record to dir's runs/ (where its job would
// have put it) and copies the profiles the records name from their parts,
// so that dir holds the batch as a run's results directory does.
func (j *Joined) WriteRuns(dir string) error {
	// The joined records are copies; find each one's part by its path.
	partOf := map[string]string{}
	for _, p := range j.Parts {
		for _, r := range p.Records {
			partOf[RecordPath(r)] = p.Dir
		}
	}
	for _, r := range j.Results.Records {
		from := partOf[RecordPath(r)]
		for _, prof := range []string{r.PeakProfile, r.EndProfile} {
			if prof == "" {
				continue
			}
			if !filepath.IsLocal(prof) {
				return fmt.Errorf("merge: %s: profile path %q leaves the results directory", RecordPath(r), prof)
			}
			if err := copyFile(filepath.Join(from, prof), filepath.Join(dir, prof)); err != nil {
				return err
			}
		}
		if err := result.Write(filepath.Join(dir, RecordPath(r)), r); err != nil {
			return err
		}
	}
	return nil
}

// copyFile copies the file from to the path to, making its directory. A
// profile that is missing is no error: the record still stands.
func copyFile(from, to string) error {
	in, err := os.Open(from)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	out, err := os.Create(to)
	if err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("merge: copy %s: %w", from, err)
	}
	return nil
}

// Into reads and joins the shards in dirs and takes the results directory
// out for the joined batch (outputs.Take: an earlier batch's files move
// aside, which it says on w). Every error is bad input (exit.Usage). The
// caller unlocks the lock.
func Into(out string, dirs []string, w io.Writer) (*Joined, *result.Lock, error) {
	var parts []*Part
	for _, d := range dirs {
		p, err := Read(d)
		if err != nil {
			return nil, nil, exit.UsageError(fmt.Errorf("merge: %w", err))
		}
		parts = append(parts, p)
	}
	id := result.NewBatchID(time.Now())
	joined, err := Join(parts, id)
	if err != nil {
		return nil, nil, exit.UsageError(err)
	}
	lock, err := outputs.Take(out, id, "batch", w)
	if err != nil {
		return nil, nil, err
	}
	return joined, lock, nil
}

// Write writes a joined batch into dir as fanbench run writes one: runs/
// and profiles/, batch.json and results.json, results.bench (with the
// shards' common configuration); with reports, report.html and summary.md
// too.
func (j *Joined) Write(dir string, reports bool) error {
	if err := j.WriteRuns(dir); err != nil {
		return err
	}
	if err := result.WriteResults(dir, j.Results); err != nil {
		return err
	}
	cfg, err := benchout.ConfigOfLines(j.Config)
	if err != nil {
		return err
	}
	if _, err := outputs.Bench(dir, j.Results, cfg); err != nil {
		return err
	}
	if !reports {
		return nil
	}
	_, err = outputs.Reports(dir, j.Results)
	return err
}

// SameDir reports whether a and b name the same existing directory.
func SameDir(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	return err == nil && os.SameFile(sa, sb)
}
