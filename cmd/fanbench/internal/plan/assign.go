package plan

import (
	"cmp"
	"fmt"
	"slices"
)

// Unit is one indivisible piece of a batch: a case with all its runs (or,
// for fanbench fit, one search). Key names it, uniquely; Weight is its
// expected cost, in any unit common to the batch (fanbench uses bytes
// uploaded), ≥ 0.
type Unit struct {
	Key    string
	Weight float64
}

// Assign returns the 1-based shard of each unit, by key, for count shards:
// the units sorted by key, then taken heaviest first (ties: by key), each
// given to the shard with the least weight so far (ties: the lower index),
// which keeps the shards' totals close (the longest-processing-time rule).
// It is a function of the keys and weights alone. It fails on a repeated
// key, a negative or NaN weight, or a count below 1.
func Assign(units []Unit, count int) (map[string]int, error) {
	if count < 1 {
		return nil, fmt.Errorf("plan: %d shards", count)
	}
	sorted := slices.Clone(units)
	slices.SortFunc(sorted, func(a, b Unit) int { return cmp.Compare(a.Key, b.Key) })
	for i, u := range sorted {
		if i > 0 && sorted[i-1].Key == u.Key {
			return nil, fmt.Errorf("plan: unit %q given twice", u.Key)
		}
		if !(u.Weight >= 0) {
			return nil, fmt.Errorf("plan: unit %q weighs %v", u.Key, u.Weight)
		}
	}
	slices.SortStableFunc(sorted, func(a, b Unit) int { return cmp.Compare(b.Weight, a.Weight) })
	load := make([]float64, count)
	out := make(map[string]int, len(units))
	for _, u := range sorted {
		least := 0
		for i, l := range load {
			if l < load[least] {
				least = i
			}
		}
		load[least] += u.Weight
		out[u.Key] = least + 1
	}
	return out, nil
}
