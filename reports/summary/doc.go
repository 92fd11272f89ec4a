// Package summary renders result records as a short Markdown summary fit
// for a pull-request comment.
//
// Write works in five steps:
//
//  1. It names the batch and the code under test (Options.Batch), and says
//     first when the batch was interrupted or never finished (read from
//     runs/), since its figures then cover only the finished runs.
//  2. It groups the measured records (profiling and cancelled runs left
//     out) by scenario, strategy and limiter, and takes medians over each
//     group's OK runs.
//  3. Per scenario it writes a one-line verdict: the baseline strategy's
//     median peak live (copy-per-peer, before PR #82, unless the scenario
//     names another), each other strategy's against it, the fix of PR #82
//     (shared-buffer) first, and how many strategies were OOM-killed at the
//     memory limit (as the scenario expects, or not) or failed otherwise.
//  4. It writes the medians table, with each strategy's change of peak live
//     against the baseline at the same limiter: runs, statuses, peak live
//     (with min–max), model, live/model, peak heap and peak RSS, in MiB
//     (2^20 bytes); then the runs that ended unexpectedly, the budgets
//     broken or met, and the notes.
//  5. For a comparison of two commits (Options.Base), it names the largest
//     change of one site's live bytes at the peak; Options.Comparison (e.g.
//     `fanbench compare` output) goes verbatim in a <details> block, fenced
//     as code.
package summary
