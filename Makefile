# fanbench: CI calls only these targets.
GO ?= go
SHELL := bash
.SHELLFLAGS := -o pipefail -c

# make bench: the CI suite, its repetitions and where results go.
SCENARIOS ?= smoke seed-20mb
COUNT ?= 6
RESULTS ?= results/bench

.PHONY: all test vet fmt-check tidy-check fuzz bench bench-compare model-bench run

all: test

## test: vet, a gofmt check, and the race-enabled test suite. A race-built
## binary sleeps 1 s at exit (the race runtime's atexit_sleep_ms), and the
## end-to-end tests start a child process per run: GORACE cuts the sleep,
## which checks nothing (a race is reported when it happens).
test: vet fmt-check
	GORACE="$${GORACE:-atexit_sleep_ms=0}" $(GO) test -race -count=1 ./...

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

tidy-check:
	$(GO) mod tidy -diff

## fuzz: a short run of the fuzz test of every reader of outside input:
## scenario files, compare's benchfmt files, results.json, runs/*.json and
## batch.json (behind report and pprof), the child's progress lines, the
## spill cache's manifest and the data map it carries, the limiter's
## saved-cap file, allocation traces (behind calibrate) and heaptrack_print's
## text (behind import-heaptrack). FUZZTIME is each one's budget: a count of
## inputs, not a duration, because with a duration go1.26's fuzz coordinator
## can report its own deadline as a failure, "context deadline exceeded"
## with no failing input (golang/go#75804, fixed in Go 1.27).
FUZZTIME ?= 20000x
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./scenarios
	$(GO) test -run '^$$' -fuzz '^FuzzCompare$$' -fuzztime $(FUZZTIME) ./reports/compare
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeRecords$$' -fuzztime $(FUZZTIME) ./harness/result
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeRecord$$' -fuzztime $(FUZZTIME) ./harness/result
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeBatch$$' -fuzztime $(FUZZTIME) ./harness/result
	$(GO) test -run '^$$' -fuzz '^FuzzParseProgress$$' -fuzztime $(FUZZTIME) ./harness/runner
	$(GO) test -run '^$$' -fuzz '^FuzzManifest$$' -fuzztime $(FUZZTIME) ./harness/spill
	$(GO) test -run '^$$' -fuzz '^FuzzDataMapUnmarshal$$' -fuzztime $(FUZZTIME) ./harness/selfenc
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./harness/limiter
	$(GO) test -run '^$$' -fuzz '^FuzzReader$$' -fuzztime $(FUZZTIME) ./harness/trace
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./reports/heaptrack

## bench: the CI suite with its budgets; benchfmt in bench.txt. Exits 1 when
## a run ends in a way its scenario does not expect, 3 on a broken budget.
## Compare two with: benchstat old.txt new.txt, or fanbench compare old.txt
## new.txt.
bench:
	$(GO) run ./cmd/fanbench run -count $(COUNT) -format bench -o $(RESULTS) $(SCENARIOS) | tee bench.txt

## bench-compare: the CI suite on BASE and on the working tree, interleaved
## in one job, with a verdict: exit 1 on a regression, 4 when a gating
## metric could not be judged (COUNT below 4 runs a side), 2 on unusable
## input. COMPARE_FLAGS go to fanbench compare (e.g. -metrics peak-live-B).
BASE ?= main
COMPARE_FLAGS ?=
bench-compare:
	$(GO) run ./cmd/fanbench compare -base $(BASE) -count $(COUNT) $(COMPARE_FLAGS) -o results/compare $(SCENARIOS)

## model-bench: the model's own Go benchmarks (phase throughput, overhead).
model-bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x ./bench/model

## run: the default scenario, every strategy.
run:
	$(GO) run ./cmd/fanbench run
