// Package budget judges a scenario's budgets against a batch's runs. A
// budget (scenarios.Budget) limits one metric of a strategy's runs: an
// absolute limit (max) or a limit on its ratio to the analytic model's
// prediction (max_model_ratio).
//
// In steps:
//  1. Keep and DropAbsolute fit the budgets to the command line: the
//     budgets of strategies no longer run go, and absolute limits go (with
//     a note) when a flag changes the settings they were written for.
//  2. Check takes each budget's metric (result.Metric) over each case's
//     measured runs that finished, its median against the limit, and
//     returns the breaches as typed values (result.Breach), which the batch
//     records and the summary, the report and the command print.
package budget

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/reports/runs"
	"github.com/fanbench/fanbench/scenarios"
)

// Check returns spec's broken budgets over recs, the records of a batch
// whose results directory is dir: for each budget and each case of spec it
// applies to, the median of the metric over the case's measured runs that
// finished against the limit. A case whose runs all failed (oom, timeout)
// breaks every budget it has.
func Check(spec *scenarios.Spec, recs []*result.Record, dir string) []result.Breach {
	profiles := map[[2]string]string{}
	for _, r := range recs {
		if r.Scenario == spec.Name && r.Profile && r.PeakProfile != "" {
			profiles[[2]string{r.Strategy, r.Limiter}] = filepath.Join(dir, r.PeakProfile)
		}
	}
	var out []result.Breach
	for _, b := range spec.Budgets {
		m, ok := result.LookupMetric(b.Metric)
		if !ok {
			continue // a scenario's Validate refuses any other metric
		}
		for _, g := range runs.Groups(recs) {
			if g.Scenario != spec.Name || b.Strategy != scenarios.AnyStrategy && b.Strategy != g.Strategy {
				continue
			}
			br := result.Breach{Budget: b.Pos.String(), Scenario: spec.Name, Strategy: g.Strategy, Limiter: g.Limiter, Metric: b.Metric,
				Max: b.Max, MaxModelRatio: b.MaxModelRatio, Profile: profiles[[2]string{g.Strategy, g.Limiter}]}
			br.Value = int64(runs.StatOf(g.OK, func(r *result.Record) float64 { return float64(m.Of(r)) }).Med)
			switch {
			case len(g.OK) == 0:
				br.Unfinished = runs.Statuses(g.Runs)
			case b.MaxModelRatio > 0:
				br.Model = int64(runs.StatOf(g.OK, func(r *result.Record) float64 { return float64(r.ModelPeak) }).Med)
				if br.Model > 0 && float64(br.Value)/float64(br.Model) <= b.MaxModelRatio {
					continue
				}
			case b.Max > 0 && float64(br.Value) > b.Max:
			default:
				continue
			}
			out = append(out, br)
		}
	}
	return out
}

// Keep returns the budgets of bs that apply to some of strategies: a
// strategy's own, or every strategy's (scenarios.AnyStrategy).
func Keep(bs []scenarios.Budget, strategies []string) []scenarios.Budget {
	var out []scenarios.Budget
	for _, b := range bs {
		if b.Strategy == scenarios.AnyStrategy || slices.Contains(strategies, b.Strategy) {
			out = append(out, b)
		}
	}
	return out
}

// SettingFlags are the flags of fanbench run that change the settings a
// scenario's absolute budgets are written for; budgets relative to the
// model follow them.
var SettingFlags = []string{"size", "limiter", "payment", "transport"}

// DropAbsolute returns bs without its absolute budgets (max) when changed,
// the flags given, holds some of SettingFlags, with a note for each it
// dropped: a built-in's 256 MiB for seed-20mb's streamed says nothing of a
// 1 GiB upload at cap 64. Budgets relative to the model stay.
func DropAbsolute(bs []scenarios.Budget, changed []string) (kept []scenarios.Budget, notes []string) {
	var flags []string
	for _, f := range SettingFlags {
		if slices.Contains(changed, f) {
			flags = append(flags, "-"+f)
		}
	}
	if len(flags) == 0 {
		return bs, nil
	}
	for _, b := range bs {
		if b.Max == 0 {
			kept = append(kept, b)
			continue
		}
		notes = append(notes, fmt.Sprintf("budget %s: %s %s ≤ %s dropped: it was written for the scenario's own settings, and %s changed them",
			b.Pos, b.Strategy, b.Metric, Limit(b), strings.Join(flags, ", ")))
	}
	return kept, notes
}

// Limit formats an absolute budget's limit in its metric's unit: a
// duration for ns/op, bytes as the reports write them otherwise.
func Limit(b scenarios.Budget) string {
	if b.Metric == result.UnitWall {
		return time.Duration(b.Max).String()
	}
	return runs.FormatBytes(int64(b.Max))
}
