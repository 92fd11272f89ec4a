// Package bench holds fanbench's go test benchmarks. They live in _test.go
// files, in two packages.
//
// This package is the CI suite: BenchmarkUpload runs scenarios through the
// same isolated runner as `fanbench run`, and reports the same units under
// the same names, so that plain go test output goes straight to benchstat:
//
//	go test -run '^$' -bench . -count 6 ./bench | tee new.txt
//	go test -run '^$' -bench . -count 6 ./bench -scenarios smoke,seed-20mb
//	benchstat old.txt new.txt
//
// How it runs:
//  1. TestMain calls runner.MaybeChild first: the test binary is also the
//     child that each run re-executes.
//  2. BenchmarkUpload loads the scenarios named by -scenarios (default
//     smoke; built-in names or YAML files, a relative path being relative to
//     this folder), and writes the unit metadata lines of
//     reports/benchout before any result, so the units carry the same
//     better= and assume= keys as in fanbench's results.bench.
//  3. Each (scenario, strategy, limiter) case is a sub-benchmark named as
//     benchout.Name names its records, e.g.
//     BenchmarkUpload/scenario=smoke/mode=copy-per-peer/limiter=fixed8-2
//     (the limiter encoded by benchout.NameValue, and go test's
//     -<GOMAXPROCS> suffix, which is also the child's GOMAXPROCS).
//  4. Every iteration spawns one child with runner.Spawn (no profiling run;
//     the scenario's timeout and memory limit; GOGC 100; the record under
//     b.TempDir()). A child that does not end OK fails the benchmark with
//     its status and error.
//  5. The sub-benchmark reports the mean over its iterations of every unit
//     benchout.Values gives: ns/op (overridden with the upload phase's wall
//     time), peak-live-B, peak-heap-B, peak-RSS-B, alloc-B, allocs,
//     model-peak-B and sim-ns/op.
//
// Flags (after the package): -scenarios, -cache=false to encrypt afresh in
// every child, and -dry to print the sub-benchmarks' names without running
// any child.
//
// Two go test outputs compare directly (`benchstat old.txt new.txt`: one
// table per unit). Against fanbench's results.bench the rows match, but the
// file keys differ (go test writes pkg:, fanbench gomaxprocs:, gogc:,
// go-version:, fanbench-version:, scale:), which splits benchstat's tables
// unless they are ignored:
//
//	benchstat -ignore pkg,gomaxprocs,gogc,go-version,fanbench-version,scale results/results.bench new.txt
//
// Unlike `fanbench run`, go test runs each case's repetitions (-count)
// back to back rather than interleaved, and checks no budgets: `make bench`
// does both. The spill cache (-cache, on by default) is fanbench run's,
// in the user cache directory; it only shortens the children's setup.
//
// The model benchmarks, of the uploader model's phases and of what
// measuring costs, run in-process and live in bench/model:
//
//	go test -run '^$' -bench . ./bench/model -size 1073741824
package bench
