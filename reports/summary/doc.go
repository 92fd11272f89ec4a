// Package summary renders result records as a short Markdown summary fit
// for a pull-request comment.
//
// Write works in four steps:
//
//  1. It groups the measured records (Profile runs left out) by scenario,
//     strategy and limiter, and takes medians over each group's OK runs.
//  2. Per scenario it writes a one-line verdict: the strategy with the
//     highest median peak live, its ratio to the lowest, and how many
//     strategies were OOM-killed at the memory limit (or failed otherwise).
//  3. It writes the medians table: runs, statuses, peak live (with min–max),
//     model, live/model, peak heap and peak RSS, in MiB (2^20 bytes).
//  4. When Options.Comparison is set (e.g. `fanbench compare` output) it
//     includes it verbatim in a <details> block, fenced as code.
package summary
