// Package html renders result records as one self-contained HTML report:
// charts as inline SVG drawn by gonum.org/v1/plot (vg/vgsvg), styles
// inline, no script, no font or image fetched, so the file opens offline
// and reads without JavaScript.
//
// Write works in six steps:
//
//  1. It groups the records by scenario, limiter and strategy, keeping the
//     measured repetitions (Profile runs are left out of every figure) and
//     choosing for each (strategy, limiter) the first OK repetition as the
//     one whose timelines are drawn, or, when none finished, the first
//     OOM-killed one.
//  2. It fixes one colour per strategy (the four known strategies first, in
//     the README's order, then the others by name) and one per buffer site,
//     used by every chart.
//  3. Per scenario it draws: (a) live tracked bytes over simulated time, one
//     line per strategy, each strategy's model peak dashed, the memory limit
//     in red and OOM kills marked "oom at stored/total", one chart per
//     limiter; (b) per strategy, the live bytes stacked by site over
//     simulated time; (c) per strategy, three panels side by side: tracked
//     live (simulated time), Go heap (real time since the upload phase began)
//     and RSS (real time since the child started), on one MiB scale, because
//     the three clocks differ and must not share an axis; (d) for a sweep
//     (two or more limiters with a numeric cap), median peak live against
//     the cap per strategy, with the memory limit.
//  4. It builds the results table: per (scenario, strategy, limiter) the
//     medians of peak live, model, live/model, peak heap and peak RSS over
//     the OK measured runs, with min–max, and the runs' statuses.
//  5. For every record naming a PeakProfile (relative to Options.Dir) it
//     reads the profile with github.com/google/pprof/profile and lists the
//     top five leaf functions by inuse_space, with the command that opens it
//     in pprof's web UI; a missing profile gets a note instead.
//  6. When Options.Dir holds calibration.json (fanbench calibrate), it
//     shows it as a table: per traced run, fanbench's peak live beside the
//     replay's (= or ≠), fanbench's resident prediction for the client's
//     buffers beside the replay's VmHWM less its baseline, their ratio,
//     and heaptrack's figures when the calibration ran under it. Rows of
//     another batch than Options.Batch are said to be stale; a
//     calibration.json that does not parse is an error naming it.
//
// Byte figures are shown in MiB (2^20 bytes). Every text reaches the page
// through html/template, and gonum's SVG canvas escapes the text it draws.
// The SVG of each chart is gonum's output without its XML prolog.
package html
