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

## test: vet, a gofmt check, and the race-enabled test suite.
test: vet fmt-check
	$(GO) test -race -count=1 ./...

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

tidy-check:
	$(GO) mod tidy -diff

## fuzz: a short run of the fuzz tests of outside input: the scenario
## decoder, the spill cache's manifest and the data map it carries, and the
## limiter's saved-cap file. FUZZTIME is each one's time but the decoder's.
FUZZTIME ?= 5s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 10s ./scenarios
	$(GO) test -run '^$$' -fuzz '^FuzzManifest$$' -fuzztime $(FUZZTIME) ./harness/spill
	$(GO) test -run '^$$' -fuzz '^FuzzDataMapUnmarshal$$' -fuzztime $(FUZZTIME) ./harness/selfenc
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./harness/limiter

## bench: the CI suite with its budgets; benchfmt in bench.txt, exit 3 on a
## broken budget. Compare two with: benchstat old.txt new.txt, or
## fanbench compare old.txt new.txt.
bench:
	$(GO) run ./cmd/fanbench run -count $(COUNT) -format bench -o $(RESULTS) $(SCENARIOS) | tee bench.txt

## bench-compare: the CI suite on BASE and on the working tree, interleaved
## in one job, with a verdict (exit 1 on a regression, 2 on unusable input).
BASE ?= main
bench-compare:
	$(GO) run ./cmd/fanbench compare -base $(BASE) -count $(COUNT) -o results/compare $(SCENARIOS)

## model-bench: the model's own Go benchmarks (phase throughput, overhead).
model-bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x ./bench/model

## run: the default scenario, every strategy.
run:
	$(GO) run ./cmd/fanbench run
