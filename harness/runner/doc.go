// Package runner runs measured uploads, each in a fresh child process.
//
// The flow:
//  1. Plan lays out the jobs: count rounds, every (scenario, strategy,
//     limiter) case once per round, in a shuffled order, so the cases
//     interleave.
//  2. RunBatch runs them one at a time; Spawn re-executes the program with
//     the job in FANBENCH_CHILD_JOB and GOGC, GOMEMLIMIT, GOMAXPROCS and the
//     profile rate pinned, samples the child's RSS (gopsutil), kills it at
//     the time limit, and reads wait4's peak; the child itself ends a run
//     whose client reaches the emulated memory limit.
//  3. In the child, MaybeChild (called first in main) runs RunChild: setup,
//     a reset of VmHWM, the measured upload phase (exact live bytes by site,
//     the runtime sampler, heap profiles at the peak and at the end), the
//     analytic model's prediction; it writes the record and exits.
//  4. The parent completes the record with its OS figures and writes it
//     atomically under the results directory, so an interrupted batch keeps
//     every finished run; a child that crashes, hangs or is killed still
//     yields a record that says so.
//
// The package holds two ideas, in two groups of files:
//
//   - Process isolation (the parent, and the child's entry): plan.go lays
//     out the jobs (Plan), spawn.go runs each in a child process and
//     completes its record (RunBatch, Spawn), protocol.go holds both ends of
//     the re-exec protocol (the job file, MaybeChild, the progress lines'
//     writer and reader), stderr.go keeps a crashed child's stderr, job.go
//     is the Job and its file layout. The RSS sampler the parent runs is
//     meter.RSSSampler, beside the runtime sampler.
//   - The measurement of one upload, in the process that runs it:
//     measure.go (RunChild), env.go (what the process runs with, /proc),
//     predict.go (the analytic model's input, predictions before a run).
//
// Both use the cases: runner.go (Case, the limiter names) and spec.go
// (CasesOf, from a scenario); uploaders.go links in the uploaders a case
// may name.
package runner
