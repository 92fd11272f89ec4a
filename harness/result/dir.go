package result

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// A results directory holds the files of one batch of runs:
//
//	runs/<scenario>/<job>.json      each run's record, written as it ends
//	profiles/<scenario>/<job>.*.pb.gz
//	batch.json                      the Batch: written as it starts, and again at its end
//	results.json                    all its records, in run order, at its end
//	results.bench, report.html, summary.md
//
// A batch takes the directory with LockDir for as long as it runs, so a
// second batch is refused at once rather than mixing its runs with the
// first's, and moves an earlier batch's files into previous/ (Lock.Retire)
// before its first run. LoadDir reads the newest batch back: from
// results.json, or from runs/ when the batch ended before writing it.
// results.json stays a plain list of records, as fanbench has always
// written it, for the tools that read it.
const (
	ResultsFile = "results.json"
	BatchFile   = "batch.json"
	RunsDir     = "runs"
	// PreviousDir is where Lock.Retire moves the files of the batch before.
	PreviousDir = "previous"
	// LockFile is the file LockDir locks (flock) and describes its holder
	// in.
	LockFile = ".fanbench.lock"
)

// batchFiles are the names in a results directory that belong to a batch,
// moved aside together by Lock.Retire. budgets.json is an older fanbench's;
// traces/, calibration.json, heaptrack/ and heaptrack-import.json are
// fanbench run -trace's, fanbench calibrate's and import-heaptrack's, which
// must not pass for a later batch's.
var batchFiles = []string{RunsDir, "profiles", BatchFile, ResultsFile, "results.bench", "report.html", "summary.md", "budgets.json",
	"traces", CalibrationFile, "heaptrack", "heaptrack-import.json"}

// Batch describes one batch of runs: what ran, how it ended and what was
// found, as results.json holds it beside the records.
type Batch struct {
	// ID identifies the batch (NewBatchID); every record of it carries the
	// same ID. IDs of later batches sort after those of earlier ones.
	ID string `json:"id"`
	// Commit is the code under test: `git describe --dirty` of the working
	// tree, or the build's VCS stamp; "" when unknown.
	Commit string `json:"commit,omitempty"`
	// Started is when the batch began.
	Started time.Time `json:"started"`
	// Planned is the number of runs planned, Finished the number that
	// ended (any status but Cancelled).
	Planned  int `json:"planned"`
	Finished int `json:"finished"`
	// Interrupted names the signal that stopped the batch ("SIGINT",
	// "SIGTERM"), or "" when it ran to its end.
	Interrupted string `json:"interrupted,omitempty"`
	// Budgets says the scenarios had budgets to check; Breaches are the
	// broken ones (package reports/budget).
	Budgets  bool     `json:"budgets,omitempty"`
	Breaches []Breach `json:"breaches,omitempty"`
	// Unexpected are the runs that ended in a way their scenario does not
	// expect, one line each; Notes are remarks on the batch (budgets
	// dropped for overridden settings, runs that finished where an OOM was
	// expected).
	Unexpected []string `json:"unexpected,omitempty"`
	Notes      []string `json:"notes,omitempty"`
	// Baselines maps a scenario to the strategy its figures are compared
	// against (the first of the PR #82 pair, copy-per-peer, by default).
	Baselines map[string]string `json:"baselines,omitempty"`
	// Shard, when set, says that the batch is one part of a larger one
	// split between machines (fanbench run -shard i/n), which fanbench
	// merge joins.
	Shard *Shard `json:"shard,omitempty"`
	// FromRuns is set by LoadDir when the batch has no results.json of its
	// own and was read from runs/: it ended without writing one (killed).
	FromRuns bool `json:"-"`
}

// Shard describes a batch that is one part of a larger one: which part,
// and what the whole was, so that the parts can be checked against each
// other and joined.
type Shard struct {
	// Index (from 1) of Count: this batch is shard Index/Count.
	Index int `json:"index"`
	Count int `json:"count"`
	// Kind is the command whose part this is: "run", "fit", or a side of a
	// comparison, "compare-base" or "compare-head".
	Kind string `json:"kind"`
	// Plan identifies the whole batch, all its parts: a digest of its
	// scenarios as they ran (flags applied) and of its jobs. The parts of
	// one batch have the same Plan.
	Plan string `json:"plan"`
	// Scenarios are the scenarios as given (names or paths), in order.
	Scenarios []string `json:"scenarios"`
	// Version is the fanbench that ran the part: its release and the
	// code's commit.
	Version string `json:"version"`
	// Units are the keys of every unit of work of the whole batch (a case,
	// "scenario/strategy/limiter", with all its runs; a fit's search),
	// sorted; Mine are this part's.
	Units []string `json:"units"`
	Mine  []string `json:"mine"`
	// Done are the units of Mine that the part finished (for a case: a run
	// of it ended), sorted; written at the part's end.
	Done []string `json:"done,omitempty"`
	// Order lists the record paths (Job.RecordPath) of the whole batch's
	// runs in the order an unsplit batch would run them.
	Order []string `json:"order,omitempty"`
	// Config is the file configuration of the part's results.bench, one
	// "key: value" line each: the same in every part of a batch, so their
	// results compare without splitting benchstat's tables.
	Config []string `json:"config,omitempty"`
}

// InterruptedLine says how far an interrupted batch got, e.g.
// "interrupted after 3 of 20 runs (SIGINT)", or "" for a batch that was
// not interrupted.
func (b *Batch) InterruptedLine() string {
	if b.Interrupted == "" {
		return ""
	}
	return fmt.Sprintf("interrupted after %d of %d runs (%s)", b.Finished, b.Planned, b.Interrupted)
}

// NewBatchID returns a new batch ID: the UTC time t to the nanosecond, then
// 4 random bytes in hex, e.g. "20261201T105018.123456789Z-1a2b3c4d". IDs
// sort by time as strings.
func NewBatchID(t time.Time) string {
	var r [4]byte
	rand.Read(r[:]) // never fails (crypto/rand)
	return t.UTC().Format("20060102T150405.000000000Z") + "-" + hex.EncodeToString(r[:])
}

// Results is a batch and its records, in run order.
type Results struct {
	Batch   Batch
	Records []*Record
}

// WriteBatch writes b to DIR/batch.json atomically. A batch writes it as it
// starts, so that even a batch killed before its end says what it planned.
func WriteBatch(dir string, b *Batch) error {
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return fmt.Errorf("result: %w", err)
	}
	return WriteFileAtomic(filepath.Join(dir, BatchFile), append(data, '\n'))
}

// WriteResults writes res's batch to DIR/batch.json and its records to
// DIR/results.json, atomically each, in that order.
func WriteResults(dir string, res *Results) error {
	if err := WriteBatch(dir, &res.Batch); err != nil {
		return err
	}
	recs := res.Records
	if recs == nil {
		recs = []*Record{}
	}
	data, err := json.MarshalIndent(recs, "", "  ")
	if err != nil {
		return fmt.Errorf("result: %w", err)
	}
	return WriteFileAtomic(filepath.Join(dir, ResultsFile), append(data, '\n'))
}

// DecodeRecords decodes results.json: a list of records. name is the
// file's name in errors. Every record must be of this Version and name its
// scenario and strategy.
func DecodeRecords(data []byte, name string) ([]*Record, error) {
	var recs []*Record
	if err := json.Unmarshal(data, &recs); err != nil {
		return nil, fmt.Errorf("result: %s: %w", name, err)
	}
	for i, r := range recs {
		if err := check(r); err != nil {
			return nil, fmt.Errorf("result: %s: record %d: %w", name, i, err)
		}
	}
	return recs, nil
}

// DecodeBatch decodes batch.json; name is the file's name in errors.
func DecodeBatch(data []byte, name string) (*Batch, error) {
	var b *Batch
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("result: %s: %w", name, err)
	}
	if b == nil || b.ID == "" {
		return nil, fmt.Errorf("result: %s: no batch ID", name)
	}
	return b, nil
}

// check rejects a record that this fanbench cannot read.
func check(r *Record) error {
	switch {
	case r == nil:
		return errors.New("null record")
	case r.Version != Version:
		return fmt.Errorf("record version %d, this fanbench reads %d", r.Version, Version)
	case r.Scenario == "" || r.Strategy == "":
		return errors.New("no scenario or strategy")
	}
	return nil
}

// LoadDir reads the newest batch of the results directory dir: the
// records of results.json when no record in runs/ belongs to a later
// batch, and otherwise the records of runs/**/*.json of the latest batch
// (FromRuns set: the batch ended, killed, before writing results.json).
// Batches are ordered by ID; records of a fanbench that wrote no batch ID
// count as the oldest. The Batch is batch.json's when it is the same
// batch's, else what the records say (ID, commit, runs finished). It fails,
// naming the file, on a record, results.json or batch.json it cannot read,
// and when dir holds no records at all.
func LoadDir(dir string) (*Results, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("results directory: %w", err)
	}
	var batch *Batch
	bpath := filepath.Join(dir, BatchFile)
	switch data, err := os.ReadFile(bpath); {
	case err == nil:
		if batch, err = DecodeBatch(data, bpath); err != nil {
			return nil, err
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("result: %w", err)
	}

	var fromFile []*Record
	haveFile := false
	path := filepath.Join(dir, ResultsFile)
	switch data, err := os.ReadFile(path); {
	case err == nil:
		if fromFile, err = DecodeRecords(data, path); err != nil {
			return nil, err
		}
		haveFile = true
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("result: %w", err)
	}
	// The batch of results.json: its records', or batch.json's when it
	// has none (a batch interrupted before its first run ended).
	fileID := ""
	if len(fromFile) > 0 {
		fileID = fromFile[0].Batch
	} else if haveFile && batch != nil {
		fileID = batch.ID
	}

	byBatch := map[string][]*Record{}
	runs := filepath.Join(dir, RunsDir)
	err := filepath.WalkDir(runs, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == runs {
				return nil
			}
			return err
		}
		if d.IsDir() || filepath.Ext(p) != ".json" || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		r, err := Read(p)
		if err != nil {
			return err
		}
		byBatch[r.Batch] = append(byBatch[r.Batch], r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	newest, found := "", false
	for id := range byBatch {
		if !found || id > newest {
			newest, found = id, true
		}
	}

	res := &Results{}
	switch {
	case haveFile && (!found || fileID >= newest):
		res.Records = fromFile
		res.Batch.ID = fileID
	case found:
		recs := byBatch[newest]
		slices.SortStableFunc(recs, func(a, b *Record) int {
			return cmp.Or(strings.Compare(a.Scenario, b.Scenario), cmp.Compare(a.Rep, b.Rep), strings.Compare(a.Strategy, b.Strategy),
				strings.Compare(a.Limiter, b.Limiter))
		})
		res.Records, res.Batch.ID, res.Batch.FromRuns = recs, newest, true
	default:
		return nil, fmt.Errorf("%s holds no run records (neither %s nor %s/**/*.json): is it fanbench run's -o directory?", dir, ResultsFile, RunsDir)
	}
	if batch != nil && batch.ID == res.Batch.ID {
		fromRuns := res.Batch.FromRuns
		res.Batch = *batch
		res.Batch.FromRuns = fromRuns
	}
	if res.Batch.FromRuns || batch == nil || batch.ID != res.Batch.ID {
		// What the records say of a batch that did not describe itself at
		// its end.
		res.Batch.Finished = 0
		for _, r := range res.Records {
			res.Batch.Commit = cmp.Or(res.Batch.Commit, r.Commit)
			if r.Status != Cancelled {
				res.Batch.Finished++
			}
		}
	}
	return res, nil
}

// A BusyError is a results directory that another batch holds.
type BusyError struct {
	Dir string
	// Holder describes the batch that holds it, as it wrote itself in
	// LockFile ("pid 1234, batch …"); "" if it could not be read.
	Holder string
}

func (e *BusyError) Error() string {
	holder := ""
	if e.Holder != "" {
		holder = " (" + e.Holder + ")"
	}
	return fmt.Sprintf("results directory %s is in use by another batch%s: wait for it, or give another -o", e.Dir, holder)
}

// Lock is a results directory taken by one batch. Its methods are not safe
// for concurrent use.
type Lock struct {
	dir string
	f   *os.File
}

// LockDir takes the results directory dir for the batch id, making it if
// need be: an exclusive flock on DIR/.fanbench.lock, held until Unlock or
// the process ends (even by SIGKILL, so a killed batch leaves no stale
// lock). It fails at once with a *BusyError when another batch holds dir,
// and with an error naming dir when dir cannot be made, is not a
// directory, or is not writable, so that nothing is run whose results
// could not be kept.
func LockDir(dir, id string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("results directory %s: %w", dir, unwrapPath(err))
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("results directory %s: not writable: %w", dir, unwrapPath(err))
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &BusyError{Dir: dir, Holder: strings.TrimSpace(string(holder))}
		}
		return nil, fmt.Errorf("results directory %s: lock %s: %w", dir, path, err)
	}
	// Who holds it, for the message a second batch gets; best effort.
	if f.Truncate(0) == nil {
		f.WriteAt(fmt.Appendf(nil, "pid %d, batch %s\n", os.Getpid(), id), 0)
	}
	// The lock file may be writable where the directory is not.
	probe, err := os.CreateTemp(dir, ".write-test-*")
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("results directory %s: not writable: %w", dir, unwrapPath(err))
	}
	probe.Close()
	os.Remove(probe.Name())
	return &Lock{dir: dir, f: f}, nil
}

// Retire moves the files an earlier batch left in the directory (runs/,
// profiles/, results.json, results.bench, report.html, summary.md, traces/,
// calibration.json and heaptrack's files) into
// previous/, replacing what was there, so that no stale record or profile
// passes for the new batch's, and returns the names it moved.
func (l *Lock) Retire() ([]string, error) {
	var stale []string
	for _, name := range batchFiles {
		if _, err := os.Lstat(filepath.Join(l.dir, name)); err == nil {
			stale = append(stale, name)
		}
	}
	if len(stale) == 0 {
		return nil, nil
	}
	prev := filepath.Join(l.dir, PreviousDir)
	if err := os.RemoveAll(prev); err != nil {
		return nil, fmt.Errorf("results directory %s: remove the batch before last: %w", l.dir, err)
	}
	if err := os.Mkdir(prev, 0o755); err != nil {
		return nil, fmt.Errorf("results directory %s: %w", l.dir, unwrapPath(err))
	}
	for _, name := range stale {
		if err := os.Rename(filepath.Join(l.dir, name), filepath.Join(prev, name)); err != nil {
			return nil, fmt.Errorf("results directory %s: move the earlier batch's %s aside: %w", l.dir, name, unwrapPath(err))
		}
	}
	return stale, nil
}

// Unlock releases the directory.
func (l *Lock) Unlock() error {
	return l.f.Close() // closing the descriptor releases the flock
}

// unwrapPath drops a *fs.PathError's operation and path when the message
// names the path already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}
