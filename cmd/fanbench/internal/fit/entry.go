package fit

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/fanbench/fanbench/harness/result"
)

// File is the name of the answers in a results directory.
const File = "fit.json"

// Entry is one strategy's answers for one upload (scenario variant) under
// one memory limit, as fit.json holds them. Byte figures are bytes.
type Entry struct {
	Strategy string `json:"strategy"`
	// Client is the client profile's name (fanbench clients).
	Client string `json:"client"`
	// Scenario is the name of the runs' scenario; Size the upload's bytes.
	Scenario string `json:"scenario"`
	Size     int64  `json:"size"`
	// MemLimit is the memory limit, on the client's resident memory.
	MemLimit  int64  `json:"memlimit"`
	Allocator string `json:"allocator"`
	// CapBound is the highest store cap that changes the upload: a cap
	// above it (the wave's 64 chunks, or the upload's chunks if fewer) runs
	// as it does.
	CapBound int `json:"cap_bound"`
	// ProposedCap is the model's proposal, where the search began: the
	// highest cap whose predicted peak of live bytes is under the limit.
	ProposedCap int `json:"proposed_cap"`
	// MaxFixedCap is the highest fixed store cap whose run completes under
	// the limit: 0 when even cap 1 is killed; CapBound when none is.
	MaxFixedCap int `json:"max_fixed_cap"`
	// MaxByteBudget is the highest in-flight byte budget whose run
	// completes, over the limiter BudgetInner (the AIMD limiter's ceiling,
	// the worst it can reach): 0 when none fits; null when every cap fits,
	// so no budget is needed.
	MaxByteBudget *int64 `json:"max_byte_budget"`
	// LargestChunk is the upload's largest chunk, which the client divides
	// the byte budget by.
	LargestChunk int64  `json:"largest_chunk_b"`
	BudgetInner  string `json:"budget_inner"`
	// PeakLive, Resident and ModelPeak are measured at MaxFixedCap (0 when
	// it is 0): the peak of live tracked bytes, the client's peak resident
	// memory (what the limit judges) and the model's prediction.
	PeakLive  int64 `json:"peak_live_b"`
	Resident  int64 `json:"client_resident_b"`
	ModelPeak int64 `json:"model_peak_b"`
	// Next is the run at the cap after the answer, killed at the limit;
	// nil when MaxFixedCap is CapBound.
	Next *Outcome `json:"next,omitempty"`
	// Setting is what to put in the client's configuration, one line.
	Setting string `json:"setting"`
	// CapRuns and BudgetRuns are every measured run of the two searches,
	// in the order they ran.
	CapRuns    []Outcome `json:"cap_runs"`
	BudgetRuns []Outcome `json:"budget_runs"`
	// Predicted is the model's peak of live bytes at caps 1 to CapBound
	// (index 0 is cap 1).
	Predicted []int64 `json:"predicted_peak_live_b"`
}

// Answer fills in e's answers and measured figures from the two searches:
// caps, over fixed caps, and budgets (nil when none ran), whose steps are
// the caps that budgets allow, budget(step) being the highest budget of
// each.
func (e *Entry) Answer(caps Answer, budgets *Answer, budget func(step int) int64) {
	e.CapBound, e.MaxFixedCap, e.CapRuns = caps.Bound, caps.Max, caps.Runs
	if at, ok := caps.At(caps.Max); ok {
		e.PeakLive, e.Resident, e.ModelPeak = at.PeakLive, at.Resident, at.ModelPeak
	}
	if next, ok := caps.At(caps.Max + 1); ok {
		e.Next = &next
	}
	if budgets != nil {
		b := int64(0)
		if budgets.Max > 0 {
			b = budget(budgets.Max)
		}
		e.MaxByteBudget, e.BudgetRuns = &b, budgets.Runs
	}
}

// WriteFile writes entries to DIR/fit.json atomically, as a JSON array.
func WriteFile(dir string, entries []Entry) error {
	if entries == nil {
		entries = []Entry{}
	}
	b, err := json.MarshalIndent(entries, "", "  ")
	if err != nil {
		return fmt.Errorf("fit: %w", err)
	}
	return result.WriteFileAtomic(filepath.Join(dir, File), append(b, '\n'))
}

// ReadFile reads DIR/fit.json.
func ReadFile(dir string) ([]Entry, error) {
	path := filepath.Join(dir, File)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("fit: %w", err)
	}
	var entries []Entry
	if err := json.Unmarshal(b, &entries); err != nil {
		return nil, fmt.Errorf("fit: %s: %w", path, err)
	}
	return entries, nil
}
