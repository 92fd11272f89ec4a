// Package benchout writes result records in the Go benchmark format
// (golang.org/design/14313-benchmark-format), so that benchstat and
// golang.org/x/perf read fanbench's runs as they read `go test -bench`
// output. It writes through golang.org/x/perf/benchfmt.Writer, never by
// formatting result lines itself.
//
// Write lays a file out in three steps:
//
//  1. Unit metadata: one `Unit <unit> better=lower` and one
//     `Unit <unit> assume=…` line for every unit below, before any result,
//     because metadata applies to the results that follow it.
//  2. File configuration: the lowercase keys of Config (goos, goarch, cpu,
//     gomaxprocs, gogc, go-version, fanbench-version, scale, and an
//     optional commit), written once by the Writer before the first result.
//  3. One result line per record whose Status is OK, in the records' order,
//     with one iteration (a run is one upload). A record with another
//     status is not a sample: it becomes a `# warning: …` comment, which
//     benchstat skips.
//
// A result line reads
//
//	BenchmarkUpload/scenario=<s>/mode=<strategy>/limiter=<limiter>[-<GOMAXPROCS>] 1 <value> <unit> …
//
// The Writer prints values with %v, so large counts appear in exponent form
// (4.82811192e+08 peak-live-B); float64 holds every count below 2^53
// exactly and the shortest form round-trips, so nothing is lost.
//
// # Names
//
// The name carries the case as name keys, so `benchstat -col /mode` puts the
// strategies side by side and `-col /limiter` the limiters. As `go test`
// does, a `-N` suffix gives GOMAXPROCS when it is above 1 (benchfmt.Name
// splits a final `-digits` off as GOMAXPROCS; /gomaxprocs in a projection
// reads it).
//
// Values are encoded by NameValue. A colon is legal inside a benchmark name
// (benchfmt and benchproc's name extractor split only on '/' and a final
// `-digits`), but benchproc's filter and projection syntax takes a bare word
// only without ':' (syntax: bareWord = [^-*"():@,][^ ():@,]*), so
// `-filter /limiter:fixed:64` would not parse and users would have to quote
// every limiter value. NameValue therefore drops the colon: the limiters
// `fixed:64` and `warm:64` are written `fixed64` and `warm64`; `aimd` and
// `budget` are unchanged. This is one to one over the limiters fanbench
// accepts (runner.ParseLimiter: a letters-only name, optionally `:` and a
// positive cap).
//
// # Units
//
// Units are frozen: renaming one breaks every stored history.
//
//	unit          figure, from the Record                          assume
//	ns/op         upload phase wall time (Upload.Wall)             nothing
//	peak-live-B   peak of live tracked bytes (Live.Peak)           nothing
//	peak-heap-B   peak sampled Go heap (Runtime.PeakHeap)          nothing
//	peak-RSS-B    peak resident set (OS.PeakRSS, VmHWM only)       nothing
//	alloc-B       bytes allocated (Runtime.AllocBytes)             nothing
//	allocs        objects allocated (Runtime.AllocObjects)         nothing
//	model-peak-B  the analytic model's peak (ModelPeak)            nothing
//	sim-ns/op     upload phase simulated time (Upload.Sim)         nothing
//
// All are figures of the upload phase alone.
//
// Every unit is better=lower. Raw byte counts are written with a `B` unit
// word, which benchstat shows with binary prefixes (Ki, Mi, Gi); never `MB`,
// which benchunit.Tidy would rescale by 10^6. The reader tidies `ns/op` to
// `sec/op` and `sim-ns/op` to `sim-sec/op` (value × 1e-9); the file keeps
// the nanoseconds.
//
// Why no unit is assume=exact:
//   - model-peak-B is a function of the run's structure (waves, caps,
//     proof size), but the proof size is measured from the run's own proofs,
//     whose MessagePack length moves by a few bytes with the quotes' prices
//     and timestamps: over runs of one seed it varied by up to about 400
//     bytes in 3.6 MB. Declaring it exact would make benchstat warn on every
//     such file. Where the model does not cover a run (faults, AIMD
//     changes) the record has no figure and the unit is left out.
//   - peak-live-B is counted exactly at every allocation and release, but
//     the peak depends on how the concurrent sends' buffer lifetimes overlap,
//     which follows goroutine scheduling and the real clock, so it moves
//     between runs of the same seed (README: a coefficient of variation of
//     0.0–0.1 % over 10 runs). Declaring it exact would make every such wobble a "significant"
//     difference; the U test is the honest choice, and with six runs a side
//     it still finds a real change at p = 0.002.
//   - alloc-B and allocs include the runtime's and the sampler's own
//     allocations, which differ between processes.
//   - peak-RSS-B, peak-heap-B and both times depend on the GC's timing, the
//     sampler's period and the machine's load.
//
// sim-ns/op is written because the limiters trade memory for upload time:
// ns/op is the Go model's CPU cost on this machine, while the simulated time
// is how long the modelled upload takes on its simulated network, the figure
// a cap sweep weighs against peak-live-B. It is not exact: the simulated
// clock is the real clock scaled (harness/netsim Clock), so it inherits the
// machine's timing.
//
// # Comparing files
//
// `benchstat -col /mode results.bench` compares strategies within one file.
// benchstat splits tables on any file configuration key whose value differs
// between its inputs, so two files compare only if their keys agree; a
// Config.Commit (written as `commit:`) or a fanbench-version naming a commit
// needs `benchstat -ignore commit,fanbench-version old.bench new.bench`.
// fanbench compare (package reports/compare) ignores file keys for grouping.
package benchout
