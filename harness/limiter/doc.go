// Package limiter holds the store-concurrency policies the uploader model
// reads once per wave or retry round: the upstream AIMD limiter (cold or warm
// start), a fixed cap, and the later in-flight byte budget.
//
// The AIMD limiter reproduces ant-client's per-channel controller, added in
// commit 768e3bd (PR #62, 2026-04-28), file
// ant-core/src/data/client/adaptive.rs; line numbers below are into that
// commit. Only the store channel is modelled; the quote and fetch channels
// run the same algorithm with other bounds.
//
// # How a cap is used
//
// The uploader builds each wave's (and each retry round's) store pipeline
// with Limit(items) = max(1, min(cap, items)), read once when the pipeline is
// built (buffer_unordered(current().min(len)) at batch.rs L569, file.rs
// L1358 and merkle.rs L525, per shared/reference/uploader.md §2). A cap
// change therefore reaches only the next wave. The later upstream store
// path re-reads the cap as each slot frees (V2-554); a client profile
// with client.PerSlot does so (package upload). Observe is called once
// per completed close-group put, from many goroutines; its latency is the
// whole put, upload included.
//
// # The AIMD rules (observe L346, evaluate L399–447, apply_decision L449–499)
//
//  1. Every observed sample, of any outcome, is appended to a FIFO window of
//     the last Window (32) samples, and the count of samples since the last
//     change goes up by one.
//  2. While the window holds fewer than MinWindow (8) samples, of any
//     outcome, nothing is evaluated. From then on the window is evaluated
//     on every sample. (Rule 3 alone would give the same result, since a
//     window below MinWindow also has fewer relevant samples; the check is
//     kept because upstream makes it.)
//  3. ApplicationError samples are dropped from every rate. If fewer than
//     MinWindow capacity-relevant samples (Success, Timeout, NetworkError)
//     remain, the decision is Hold.
//  4. If the success rate is below SuccessTarget (0.95), or the timeout rate
//     is above TimeoutCeiling (0.10), both over the relevant samples, the
//     decision is Decrease.
//  5. If the window holds no success at all, the decision is Hold (p95_of
//     returns None; reachable only with SuccessTarget = 0).
//  6. If a latency baseline exists and the p95 latency of the window's
//     successes is strictly above LatencyInflation (2.0) × baseline, the
//     decision is Decrease. p95 is nearest-rank: sort the successes'
//     latencies and take index ceil(0.95·n) − 1 (p95_of L504–512), so with
//     32 successes it is the second largest and one slow outlier is ignored.
//  7. Otherwise the decision is Increase.
//  8. An Increase is applied only once at least Window (32) samples have
//     been observed since the last change. The baseline becomes the
//     window's p95 the first time and EWMA(baseline, window p95, EWMAAlpha
//     = 0.2) after that; the cap doubles while in slow start and grows by 1
//     after it, clamped to Max (64).
//  9. A Decrease is applied only once at least MinWindow (8) samples have
//     been observed since the last change. The cap becomes max(cap/2, Min),
//     and slow start ends for good.
//  10. Applying either change resets the count of samples since the last
//     change, even when the cap cannot move (at Max or at Min).
//
// # Readings where the sheet is silent, checked against the source
//
//   - "Samples since the last change" counts every observed sample, including
//     ApplicationError samples and samples seen while the window was still
//     below MinWindow: observe increments its counters before the
//     window-length check and regardless of outcome. The count starts at 0
//     when the limiter is built (a warm start does not change it). So 32
//     ApplicationErrors followed by 8 healthy samples double the cap at the
//     40th sample.
//   - Upstream keeps two counters (samples_since_increase and
//     samples_since_decrease), but both start at 0, both grow on every sample
//     and both are reset together, so at this commit they are always equal;
//     this package keeps one. (A later upstream store channel keeps its
//     increase credit across a Decrease; that variant is not modelled.)
//   - The baseline changes only when an Increase is applied, including an
//     Increase clamped at Max that leaves the cap unchanged. Holds, gated
//     Increases and Decreases leave it alone; a warm start has none.
//   - A change that leaves the cap where it was (an Increase at Max, a
//     Decrease at Min) still counts as a change: it resets the count, and a
//     Decrease at Min still ends slow start.
//   - With the default thresholds the timeout ceiling never decides
//     anything on its own: a timeout rate above 0.10 means a success rate
//     below 0.90 < 0.95. It can decide alone only when
//     SuccessTarget < 1 − TimeoutCeiling.
//   - Latencies are time.Duration nanoseconds. The EWMA and the inflation
//     limit are computed in float64 and rounded to the nearest nanosecond,
//     as Rust's Duration::from_secs_f64 and mul_f64 round.
//
// # Names
//
// Scenario files, flags, records and reports name a policy in one of Forms
// (aimd, warm:N, fixed:N, budget, budget:SIZE, budget:SIZE@INNER). Parse is
// the one reader of that grammar: it refuses any other spelling of a
// policy, so equal policies are equal names; Name.New builds the policy and
// BudgetOf reads a name's byte budget.
//
// # Persistence
//
// The real client saves its caps to <data_dir>/client_adaptive.json (schema
// 1) when the Client is dropped (mod.rs L429–437, 500 ms timeout) and, at
// connect, warm-starts each channel at max(saved, cold start), clamped to
// [Min, Max], with slow start already exited (mod.rs L211–216,
// adaptive.rs L371–380, L613–623). Save and Load read and write that file in
// the upstream layout, so a real client's file can seed a fanbench run.
package limiter
