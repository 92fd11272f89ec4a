# fanbench: CI calls only these targets.
GO ?= go
BENCHTIME ?= 1x
COUNT ?= 1

.PHONY: all test vet fmt-check tidy-check bench run

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

## bench: the model's throughput benchmarks (encryption and upload phases).
bench:
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -count $(COUNT) ./bench/... | tee bench.txt

## run: the default scenario, every strategy.
run:
	$(GO) run ./cmd/fanbench run
