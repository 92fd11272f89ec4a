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
//     gomaxprocs, gogc, go-version, fanbench-version, allocator, and an
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
// strategies side by side and `-col /limiter` the limiters. The strategy's
// key is mode=, although everything else names it a strategy (the
// -strategies flag, Record.Strategy): the key is part of every stored
// result, and renaming it would split every comparison with an older
// results.bench (benchstat and fanbench compare match results by name), so
// it stays mode=. As `go test`
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
// accepts (limiter.Parse: a letters-only name, optionally `:` and a
// positive cap).
//
// # Units
//
// Units are frozen: renaming one breaks every stored history. They are the
// metrics of package result (result.Metrics), which names them once:
//
//	unit          figure, from the Record                          assume
//	ns/op         upload phase wall time (Upload.Wall)             nothing
//	peak-live-B   peak of live tracked bytes (Live.Peak)           exact
//	client-resident-B  the client's peak resident memory           exact
//	              (Memory.PeakResident: its buffers' resident pages
//	              as its allocator holds them, plus the baseline)
//	peak-heap-B   peak sampled Go heap of the harness              nothing
//	              (Runtime.PeakHeap)
//	peak-RSS-B    peak resident set of the harness process         nothing
//	              (OS.PeakRSS, VmHWM only)
//	alloc-B       bytes allocated (Runtime.AllocBytes)             nothing
//	allocs        objects allocated (Runtime.AllocObjects)         nothing
//	model-peak-B  the analytic model's peak (ModelPeak)            exact
//	sim-ns/op     upload phase simulated time (Upload.Sim)         exact
//
// All are figures of the upload phase alone.
//
// Every unit is better=lower. Raw byte counts are written with a `B` unit
// word, which benchstat shows with binary prefixes (Ki, Mi, Gi); never `MB`,
// which benchunit.Tidy would rescale by 10^6. The reader tidies `ns/op` to
// `sec/op` and `sim-ns/op` to `sim-sec/op` (value × 1e-9); the file keeps
// the nanoseconds.
//
// The exact units are functions of the scenario and its seed: the upload
// runs on a discrete-event clock (harness/simtime) whose tasks run one at a
// time in a fixed order, the client's allocator is a deterministic model,
// and the analytic model reads the run's structure. Every repetition gives
// the same value, so benchmath treats them as exact (x/perf
// benchmath/aexact.go): one sample a side decides a comparison, and a file
// whose repetitions disagree is a bug benchstat warns about. The others
// measure the harness process (its Go heap, its resident set, its
// allocations, its wall time), which move with the GC, the sampler's
// period and the machine's load, and take benchmath's U test.
//
// sim-ns/op is written because the limiters trade memory for upload time:
// ns/op is the Go model's CPU cost on this machine, while the simulated time
// is how long the modelled upload takes on its simulated network, the figure
// a cap sweep weighs against peak-live-B.
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
