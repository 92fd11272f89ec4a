package plan

import (
	"slices"

	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/runner"
	"github.com/fanbench/fanbench/harness/spill"
	"github.com/fanbench/fanbench/harness/upload/strategy"
	"github.com/fanbench/fanbench/scenarios"
)

// Options are how a command runs a scenario's cases, besides the
// scenario's own settings.
type Options struct {
	// Out is the results directory.
	Out string
	// GOGC of each run; Trace writes each run's buffer events.
	GOGC  int
	Trace bool
	// Order seeds the shuffled order of the cases within each round.
	Order uint64
	// Profile adds one profiling run per case.
	Profile bool
	// Cache reuses encrypted spills across runs, in spill.DefaultBase.
	Cache bool
	// Child is the fanbench program that runs each job in a child process;
	// "" means this one (runner.SpawnOptions.Path).
	Child string
}

// CacheRoot is where the runs keep their spill cache, "" for none.
func (o Options) CacheRoot() string {
	if o.Cache {
		return spill.DefaultBase()
	}
	return ""
}

// Template is the job every run of cases starts from: spec's time limit
// and memory limit, with o's GOGC and trace.
func (o Options) Template(spec *scenarios.Spec, cases []runner.Case) runner.Job {
	tmpl := runner.DefaultJob(cases[0], 1, o.Out)
	tmpl.Timeout, tmpl.GOGC, tmpl.MemoryLimit, tmpl.Trace = spec.Timeout, o.GOGC, spec.MemoryLimit, o.Trace
	return tmpl
}

// Scenario is a scenario as the flags left it, with its runs.
type Scenario struct {
	Spec *scenarios.Spec
	Jobs []runner.Job
}

// Runs returns the cases of spec and its runs as run and compare -base
// lay them out: spec.Count interleaved rounds of every case
// (runner.Plan), then with o.Profile one profiling run of each, every job
// with the outcome the scenario expects of it.
func Runs(spec *scenarios.Spec, o Options) (*Scenario, error) {
	cases, err := runner.CasesOf(spec, o.CacheRoot())
	if err != nil {
		return nil, err
	}
	tmpl := o.Template(spec, cases)
	js, err := runner.Plan(tmpl, cases, spec.Count, o.Order)
	if err != nil {
		return nil, err
	}
	if o.Profile {
		for _, c := range cases {
			j := tmpl
			j.Case, j.Profile = c, true
			js = append(js, j)
		}
	}
	for i := range js {
		js[i].Expect = result.Status(spec.Expected(js[i].Case.Strategy.String(), js[i].Case.Limiter))
	}
	return &Scenario{Spec: spec, Jobs: js}, nil
}

// Baseline is the strategy a scenario's other strategies are compared
// against in the summary: the scenario's baseline, else copy-per-peer
// (before PR #82) when it runs, else its first strategy.
func Baseline(spec *scenarios.Spec) string {
	switch {
	case spec.Baseline != "":
		return spec.Baseline
	case slices.Contains(spec.Strategies, strategy.CopyPerPeer.String()):
		return strategy.CopyPerPeer.String()
	}
	return spec.Strategies[0]
}
