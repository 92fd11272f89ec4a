// Package scenarios defines fanbench's declarative scenario files and loads
// them: the built-in ones, embedded from builtin/*.yaml, and any file given
// by path.
//
// A scenario names a generated file to upload and the cases to run it
// under: every strategy with every limiter, Count times. Of fanbench it
// imports only the registries of names (the strategies, client profiles and
// allocators). It checks what it can know by itself (structure, types,
// units, ranges and the names in Strategies(), Payments, Limiters and
// Metrics); the harness converts a Spec into runs and positions its own
// errors with Spec.Pos.
//
// Loading a scenario:
//  1. Lookup takes a built-in name or a path; Builtin and Load take one of
//     each, Parse the bytes.
//  2. The YAML is parsed (github.com/goccy/go-yaml) into a tree with the
//     line and column of every key. A syntax error is an *Error at the
//     character where the syntax breaks.
//  3. The tree is decoded strictly: an unknown key, a repeated key, a value
//     of the wrong type or without its unit, an empty value and YAML
//     anchors, aliases, merge keys and tags are errors at the key (or list
//     item) concerned, naming the field by its dotted path, such as
//     "network.faults.fail" or "budgets[1].max" (list items count from 0).
//  4. Defaults fill the keys the file leaves out, and Spec.Validate checks
//     ranges and consistency.
//
// Every error is an *Error whose text is "file:line:col: field: message":
//
//	scenarios/x.yaml:7:3: network.uplink: "-5Mbit" is not a positive bandwidth (…)
//	scenarios/x.yaml:5:3: network.bandwidth: unknown field (known: peers, uplink, latency, jitter, faults)
//
// # The format
//
// A scenario file is one YAML mapping. Keys, with their types, units and
// defaults:
//
//	name: seed-20mb          # required. Lowercase letters, digits and single
//	                         # hyphens, at most 64 characters. A built-in's
//	                         # name is its file name.
//	description: "…"         # required. One line: what the scenario reproduces.
//	source:                  # required. The generated file to upload:
//	  size: 20MiB            #   required. Bytes, ≥ 3: a whole number, or a
//	                         #   number with a unit: B, KiB, MiB, GiB, TiB
//	                         #   (powers of 2) or kB, MB, GB, TB (powers of 10).
//	  seed: 1                #   default 1. Whole number ≥ 0; selects the bytes.
//	  compressibility: 0     #   default 0. Share of each block that compresses
//	                         #   away, in [0, 1).
//	payment: auto            # default auto. auto (merkle at ≥ 64 chunks, else
//	                         # single), single or merkle.
//	strategies: [copy-per-peer, shared-buffer, encode-once, streamed]
//	                         # default all four, in that order. No repeats.
//	limiters: [aimd]         # default [aimd]. Store-concurrency policies, each
//	                         # aimd (AIMD, cold start 8), warm:N (AIMD
//	                         # warm-started at the saved cap N), fixed:N (a
//	                         # constant cap N) or budget (AIMD under the 64 MiB
//	                         # in-flight byte budget); N ≥ 1, no leading zeros.
//	transport: true          # default true. The transport's own copies.
//	network:                 # every field optional:
//	  peers: 200             #   default 200. Whole number ≥ 32.
//	  uplink: 100Mbit        #   default 100Mbit. Bits per simulated second,
//	                         #   > 0, with a unit: bit, kbit, Mbit, Gbit
//	                         #   (powers of 10).
//	  latency: 20ms          #   default 20ms. Go duration ≥ 0 (a bare 0 is 0).
//	  jitter: 10ms           #   default 10ms. Go duration ≥ 0; latencies spread
//	                         #   over [latency, latency+jitter).
//	  faults:                #   shares in [0, 1], each default 0:
//	    dead: 0              #     of peers that cannot be reached;
//	    fail: 0              #     of requests answered with an error;
//	    timeout: 0           #     of requests never answered;
//	    already_exists: 0    #     of (peer, chunk) pairs already stored.
//	memory_limit: 4GiB       # optional, no limit by default. The emulated
//	                         # machine's memory in bytes (units as for size),
//	                         # > 0: a run whose client's resident memory
//	                         # reaches it is killed, as by the OOM killer.
//	client: seed             # optional: the client profile the strategies
//	                         # run on (fanbench clients lists them;
//	                         # default seed, the seed capture's client),
//	                         # or a list of them, one variant each, named
//	                         # <name>-client-<client>.
//	allocator: glibc         # optional: the allocator that places the
//	                         # client's buffers: glibc, mimalloc or go
//	                         # (default: the client's own, glibc).
//	count: 1                 # default 1. Repetitions of each case, ≥ 1.
//	timeout: 10m             # default 10m. Wall-clock limit per run, > 0.
//	budgets:                 # optional. Limits checked after the runs, each:
//	  - strategy: "*"        #   required. One of the scenario's strategies,
//	                         #   or "*" for each of them (quote it: a bare *
//	                         #   is YAML syntax).
//	    metric: peak-live-B  #   required. One of Metrics: ns/op,
//	                         #   peak-live-B, client-resident-B,
//	                         #   peak-heap-B, peak-RSS-B or alloc-B.
//	    max: 300MiB          #   either an absolute limit, > 0: bytes (units as
//	                         #   for size) for the -B metrics, a Go duration
//	                         #   for ns/op;
//	  - strategy: "*"
//	    metric: peak-live-B
//	    max_model_ratio: 1.01 # or a limit on measured / the analytic model's
//	                         #   prediction, > 0, for peak-live-B only.
//	                         #   Exactly one of max and max_model_ratio.
//
// Numbers may be written as integers or decimals; strings in quotes are
// strings, so count: "1" is an error. A scenario file is at most
// MaxFileSize bytes and holds one YAML document.
//
// Spec.Format writes a Spec back with every default spelled out; Parse reads
// that text back to the same Spec.
package scenarios
