// Package compare is the engine of `fanbench compare OLD NEW`: it compares
// two files in the Go benchmark format, as benchstat does, and gives every
// metric a verdict that a CI job can act on, which benchstat does not (it
// exits 0 even on parse errors).
//
// Compare works in four steps:
//
//  1. Read each file with its own golang.org/x/perf/benchfmt.Reader. Every
//     syntax error (an odd field count, a value that is not a number,
//     conflicting unit metadata) is an *InputError naming the file and line;
//     benchstat prints such lines to stderr and drops them, which can turn a
//     corrupt file into a quiet "no change".
//  2. Group the samples by benchmark full name (e.g.
//     "Upload/scenario=seed-20mb/mode=streamed/limiter=aimd-2") and tidied
//     unit. File configuration keys take no part in grouping, so a `commit:`
//     or `fanbench-version:` that differs between the files does not split
//     anything, as it would in benchstat without `-ignore commit`; keys
//     whose values differ are listed in Report.ConfigDiffs instead.
//  3. Summarise and test each (benchmark, unit) with golang.org/x/perf
//     benchmath: the median, its confidence interval (Options.Confidence,
//     95 % by default) and a two-sided Mann-Whitney U test for units under
//     assume=nothing (the default); the mode and no test for units that both
//     files declare assume=exact.
//  4. Give each a Verdict from the relative change of the centres, the unit's
//     direction (better=lower or higher; lower when a file does not say), its
//     tolerance and the test's p value (see Verdict).
//
// Report.Outcome is Fail when a gating metric (Options.Metrics) regressed,
// NotJudged when one could not be judged, and Pass otherwise; input errors,
// a NaN or infinite value among them, are returned by Compare before any
// statistics run, and the CLI exits 2 on them.
//
// # Samples
//
// The U test can call a difference significant at α = 0.05 only with at
// least 4 samples on a side (its smallest p with 3 and 3 is 0.1), and the
// median's 95 % interval is finite only from 6 samples. A metric whose
// sample sizes keep the U test's smallest p above α (2 / C(n+m, n): 3 and 3,
// or 6 and 1) is Unjudged, whatever its values, and makes the outcome
// NotJudged, never a pass; six runs a side is the least that gives both.
package compare
