# lmb — make targets. `make demo` and `make test` do all the set-up a fresh machine needs.
SWIFT ?= swift
PREFIX ?= /usr/local
APT_PACKAGES := libsqlite3-dev libcurl4-openssl-dev libssl-dev zlib1g-dev pkg-config curl
BENCH_ROWS ?= 1000000
BENCH_DIR ?= bench-data

.PHONY: all deps build release check test bench install install-files uninstall dist demo man completions clean fixtures fuzz soak

# install-files, man and completions work on an lmb already built; install builds one for release first.
LMB_BINARY ?= .build/release/lmb

all: build

## deps: install the C libraries the build links (SQLite, libcurl, libcrypto, zlib) when they are missing
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
	@# The conformance tests validate with openapi-core (Xero) and jsonschema (Amazon) from PyPI, the report tests parse
	@# with html5lib; without them they skip.
	@if command -v python3 >/dev/null 2>&1 && ! .venv/bin/python -c 'import openapi_core, jsonschema, html5lib' >/dev/null 2>&1; then \
		(python3 -m venv .venv && .venv/bin/pip install -q openapi-core pyyaml jsonschema html5lib) \
		|| echo "openapi-core, jsonschema or html5lib could not be installed: the conformance and report tests will skip"; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

## check: build, then the unit tests only (LMBCoreTests, XeroSandboxTests): no lmb binary started, no end-to-end
## suite, no soak; under a minute once built. `make test` runs everything.
check: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --filter 'LMBCoreTests|XeroSandboxTests'

## test: every unit and end-to-end test (tests that read ../shared skip when it is absent)
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

## bench: preview and import speed and peak memory on generated settlements, next to awk; sync over many clients
bench: release
	@BENCH_ROWS=$(BENCH_ROWS) BENCH_DIR=$(BENCH_DIR) ./scripts/bench.sh
	@LMB=.build/release/lmb ./scripts/bench-clients.py

## install: build lmb for release, then install-files it (deps is apt's, so Linux only)
install: $(if $(filter Linux,$(shell uname -s)),deps)
	$(SWIFT) build -c release --product lmb --manifest-cache none
	$(MAKE) install-files LMB_BINARY=.build/release/lmb

## install-files: install LMB_BINARY, its man page and its bash, zsh and fish completions under $(DESTDIR)$(PREFIX),
## recording each file and directory in share/doc/lmb/install-manifest.txt; no build (the tests install a debug lmb)
install-files:
	./scripts/install.sh --binary "$(LMB_BINARY)" "$(DESTDIR)$(PREFIX)"

## uninstall: remove exactly what install recorded under $(DESTDIR)$(PREFIX)
uninstall:
	./scripts/install.sh --uninstall "$(DESTDIR)$(PREFIX)"

## dist: dist/lmb-<version>-linux-<arch>.tar.gz from the committed tree, Swift runtime linked in (-static-stdlib),
## with man page, completions, units, LICENSE and SHA256SUMS; then: LMB_TEST_DIST=1 swift test --filter Release
dist: deps
	./scripts/dist.sh

## demo: the main job, on the project's own fixtures
demo: build
	@./scripts/demo.sh

## man: man/lmb.1, rendered by ArgumentParser's generate-manual tool from LMB_BINARY's own help
man:
	mkdir -p man
	./scripts/layout.sh man "$(LMB_BINARY)" > man/lmb.1.part && mv man/lmb.1.part man/lmb.1 || { rm -f man/lmb.1.part; exit 1; }
	@echo "man/lmb.1 (man -l man/lmb.1)"

## completions: completions/lmb.bash, lmb.zsh and lmb.fish from LMB_BINARY
completions:
	mkdir -p completions
	for shell in bash zsh fish; do ./scripts/layout.sh completion $$shell "$(LMB_BINARY)" > completions/lmb.$$shell || exit 1; done

fixtures:
	python3 fixtures/make_fixtures.py

FUZZ_SECONDS ?= 120
SOAK_SENDS ?= 200

## fuzz: libFuzzer over the settlement parsers and the decoding of Xero's answers, for FUZZ_SECONDS;
## a crash lands in fuzz/crashes/, which `make test` replays
fuzz: deps
	$(SWIFT) build -c release --product lmb-fuzz --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer -Xswiftc -DLMB_FUZZ
	mkdir -p .build-fuzz/corpus fuzz/crashes
	cp -n fuzz/corpus/* .build-fuzz/corpus/ 2>/dev/null || true
	.build-fuzz/release/lmb-fuzz .build-fuzz/corpus -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -artifact_prefix=fuzz/crashes/

## soak: SOAK_SENDS sends against a sandbox switching faults at random, with kill -9s; then checks exactly-once
soak: deps
	$(SWIFT) build --build-tests
	LMB_SOAK_SENDS=$(SOAK_SENDS) timeout 1800 $(SWIFT) test --skip-build --filter 'Soak'

clean:
	rm -rf .build .build-dist .build-tools dist completions $(BENCH_DIR)
