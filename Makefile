# lmb — make targets. `make demo` and `make test` do all the set-up a fresh machine needs.
SWIFT ?= swift
PREFIX ?= /usr/local
APT_PACKAGES := libsqlite3-dev libcurl4-openssl-dev libssl-dev zlib1g-dev pkg-config curl
BENCH_ROWS ?= 1000000
BENCH_DIR ?= bench-data

.PHONY: all deps build release test bench install demo man clean fixtures fuzz soak

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

## test: every unit and end-to-end test (tests that read ../shared skip when it is absent)
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

## bench: preview and import speed and peak memory on generated settlements, next to awk
bench: release
	@BENCH_ROWS=$(BENCH_ROWS) BENCH_DIR=$(BENCH_DIR) ./scripts/bench.sh

install: release
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 .build/release/lmb $(DESTDIR)$(PREFIX)/bin/lmb

## demo: the main job, on the project's own fixtures
demo: build
	@./scripts/demo.sh

## man: lmb.1 through ArgumentParser's generate-manual plugin
man: deps
	mkdir -p man
	$(SWIFT) package plugin --allow-writing-to-package-directory generate-manual --output-directory man
	@ls man

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
	rm -rf .build $(BENCH_DIR)
