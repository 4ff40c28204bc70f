# poshil: `make run` runs the scenario library on the emulated bench,
# `make test` runs every test. Both install and start what they need.
GO      ?= go
BIN     := bin
OUT     ?= out
GOFLAGS ?=
export CGO_ENABLED := 1

.PHONY: all deps build run test unit suite lint bench fuzz mutants package clean

all: build

## deps: install the Debian and npm packages ci/deps.sh names (when missing; README lists them),
## poshil's IFD driver, and start pcscd
deps:
	@bash ci/deps.sh

## build: bin/poshil (with its VCS revision for --version) and the reference terminal bin/refterm
build:
	$(GO) build -buildvcs=auto -o $(BIN)/poshil ./cmd/poshil
	$(GO) build -o $(BIN)/refterm ./fixtures/terminal/cmd/refterm

## package: the Debian package dist/poshil_VERSION_ARCH.deb (nfpm, pinned in
## ci/tools/go.mod): /usr/bin/poshil, the IFD driver, completions, docs;
## depends on pcscd, vsmartcard-vpcd, libpcsclite1 (ci/package.sh)
package:
	GO=$(GO) bash ci/package.sh dist

## run: the scenario library on the embedded emulated bench; writes $(OUT)/junit.xml
run: deps build
	$(BIN)/poshil run --out $(OUT) scenarios

## test: every package's tests against the real pcscd/vpcd, ptys and TCP, and the Ginkgo
## suite, under the race detector; as root on private benches, three parts at once (ci/test.sh)
test: deps build lint
	GO=$(GO) bash ci/test.sh

## mutants: every scenario against each reference-terminal mutant it names; prints
## killed K/N and writes docs/mutants.md. Needs the emulated bench (make deps, or
## run it inside ci/isolated.sh: `ci/isolated.sh make mutants`).
MUTANT_TABLE ?= docs/mutants.md
mutants:
	@rc=0; rm -f $(MUTANT_TABLE).new; \
	  POSHIL_MUTANT_TABLE=$(abspath $(MUTANT_TABLE)).new $(GO) test -count=1 -timeout 60m ./scenarios/ \
	    -ginkgo.label-filter='mutant || mutant-rules' || rc=$$?; \
	  if [ -f $(MUTANT_TABLE).new ]; then mv $(MUTANT_TABLE).new $(MUTANT_TABLE); grep -m1 '^killed ' $(MUTANT_TABLE); \
	  else echo "killed ?: no mutant table written"; fi; exit $$rc

## lint: gofmt and go vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## bench: benchmarks (APDU round trip through pcscd and vpcd, codecs; card insertion
## and removal event latency, poshil's IFD driver beside stock vpcd; a chip sale
## scenario's wall time and harness overhead; the whole library's wall time and
## poshil's peak RSS, run once; the library on 1, 2 and 4 isolated benches,
## POSHIL_BENCH_LIBRARY=third for a third of it): one table, and
## $(OUT)/bench.txt (raw) and $(OUT)/bench.json
SCENARIO_BENCH := ^Benchmark(ScenarioChipSale|Library)$$
bench: deps
	@mkdir -p $(OUT)
	@{ $(GO) test -p 1 -run '^$$' -bench . -skip '$(SCENARIO_BENCH)' -benchtime 2000x $$($(GO) list ./... | grep -v -e '/drivers/ifd$$' -e '/harness/isolated$$') && \
	   $(GO) test -run '^$$' -bench Presence -benchtime 30x ./drivers/ifd && \
	   $(GO) test -run '^$$' -bench '^BenchmarkScenarioChipSale$$' -benchtime 50x ./harness/runner && \
	   $(GO) test -run '^$$' -bench '^BenchmarkLibrary$$' -benchtime 1x -timeout 30m ./harness/runner && \
	   $(GO) test -run '^$$' -bench LibraryOnBenches -benchtime 1x -timeout 30m ./harness/isolated; } > $(OUT)/bench.txt 2>&1 || { cat $(OUT)/bench.txt; exit 1; }
	@$(GO) run ./ci/benchtable -json $(OUT)/bench.json $(OUT)/bench.txt

## fuzz: each fuzz target for FUZZTIME (default 30s)
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

clean:
	rm -rf $(BIN) $(OUT) dist
