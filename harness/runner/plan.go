package runner

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
)

// Plan lays out count rounds of cases as jobs: every round holds every
// case once, in an order shuffled by a generator seeded with seed, so that
// strategies interleave and a drift of the machine (thermal, a noisy
// neighbour) spreads over all of them instead of biasing one. Each job is
// tmpl with its Case and Rep (the 1-based round) set; tmpl supplies Dir,
// Timeout, MemoryLimit and the pinned runtime settings. The same (tmpl,
// cases, count, seed) always gives the same plan; record seed to replay it.
//
// Plan fails if count < 1, if cases is empty, or if two cases would write
// the same record (same name, strategy and limiter) or a record outside
// Dir.
func Plan(tmpl Job, cases []Case, count int, seed uint64) ([]Job, error) {
	if count < 1 {
		return nil, fmt.Errorf("plan: count %d, want at least 1", count)
	}
	if len(cases) == 0 {
		return nil, errors.New("plan: no cases")
	}
	owner := make(map[string]int, len(cases))
	for i, c := range cases {
		j := tmpl
		j.Case, j.Rep = c, 1
		if err := checkJob(&j); err != nil {
			return nil, fmt.Errorf("plan: case %d: %w", i, err)
		}
		p := j.RecordPath()
		if k, dup := owner[p]; dup {
			return nil, fmt.Errorf("plan: cases %d and %d (%s) would share the record %s; give them different names", k, i, j.Name(), p)
		}
		owner[p] = i
	}

	// The second PCG word is a fixed stream ("fanbench"), so the seed alone
	// selects the order.
	r := rand.New(rand.NewPCG(seed, 0x66616e62656e6368))
	order := make([]int, len(cases))
	jobs := make([]Job, 0, count*len(cases))
	for round := 1; round <= count; round++ {
		for i := range order {
			order[i] = i
		}
		r.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		for _, i := range order {
			j := tmpl
			j.Case, j.Rep = cases[i], round
			jobs = append(jobs, j)
		}
	}
	return jobs, nil
}

// checkJob rejects jobs whose files would land outside their place under
// job.Dir: the case name must be one path element.
func checkJob(job *Job) error {
	switch n := job.Case.Name; {
	case n == "":
		return errors.New("case has no name")
	case n == "." || n == ".." || strings.ContainsAny(n, `/\`):
		return fmt.Errorf("case name %q is not a single path element", n)
	}
	if p := job.RecordPath(); !filepath.IsLocal(p) {
		return fmt.Errorf("%s: record path %q leaves the results directory", job.Name(), p)
	}
	return nil
}
