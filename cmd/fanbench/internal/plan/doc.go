// Package plan lays out the runs of fanbench run, fit and compare -base:
// which scenarios run with which settings, which runs they make, which of
// them this machine runs when a batch is split between several (a CI
// matrix, a Kubernetes Indexed Job, Bazel's test sharding), and how long
// the batch has left.
//
// In steps:
//  1. Flags.Load looks a scenario up and applies the command line's
//     settings (Flags, bound to the command's flags): the scenario as it
//     will run, checked, with a note for each budget a flag made
//     meaningless.
//  2. Runs lays out a scenario's cases and runs: Count interleaved rounds
//     (runner.Plan), then one profiling run per case.
//  3. Resolve finds this machine's shard: the -shard i/n flag (1-based, as
//     Playwright's --shard), else Kubernetes' JOB_COMPLETION_INDEX (0-based,
//     the count from -shards or FANBENCH_SHARDS), else Bazel's
//     TEST_SHARD_INDEX and TEST_TOTAL_SHARDS (0-based). Bad input is an
//     error naming the flag or the variable.
//  4. Split keeps the shard's runs: Assign gives every unit of work (a case
//     with all its runs) a shard, from the units sorted by key: heaviest
//     first, each to the shard with the least weight so far (ties: the
//     lower index). The assignment is a function of the keys and weights
//     alone, so every shard computes the same one, and each unit runs on
//     exactly one shard. Part and Digest describe the whole batch, so that
//     fanbench merge can check its parts against each other.
//  5. An Estimate follows a batch's finished runs and says how long the
//     rest will take, at the pace so far per unit of weight.
package plan
