# Courier — make demo (the embedded test server and real requests), make test (the whole suite).
# Each target installs the Debian packages it needs when they are missing.

SWIFT ?= swift
APT_PACKAGES_BUILD := libssl-dev zlib1g-dev libbrotli-dev
APT_PACKAGES_TEST := $(APT_PACKAGES_BUILD) nginx-light
APT_PACKAGES_BENCH := $(APT_PACKAGES_BUILD) nginx-light wrk curl nghttp2-client

.PHONY: build test demo bench format lint docs deps-build deps-test deps-bench clean

build: deps-build
	$(SWIFT) build

demo: deps-build
	$(SWIFT) run -c release courier-demo

# Process-wide tests (descriptor counts, peak RSS) run in their own process, one at a time;
# everything else runs in parallel in another.
test: deps-test
	scripts/check-rules.sh
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --skip ProcessWide
	$(SWIFT) test --skip-build --filter ProcessWide

bench: deps-bench
	cd Benchmarks && $(SWIFT) build -c release
	Benchmarks/run.py

format:
	swift-format format --in-place --recursive Package.swift Sources Tests Benchmarks/Package.swift Benchmarks/Sources

lint:
	swift-format lint --strict --recursive Package.swift Sources Tests

docs:
	$(SWIFT) build --target Courier -Xswiftc -emit-symbol-graph -Xswiftc -emit-symbol-graph-dir -Xswiftc .build/symbol-graphs
	docc convert Docs/Courier.docc --additional-symbol-graph-dir .build/symbol-graphs \
		--fallback-display-name Courier --fallback-bundle-identifier dev.courier.Courier \
		--output-path .build/docs
	@echo "Documentation written to .build/docs"

deps-build:
	@scripts/ensure-packages.sh $(APT_PACKAGES_BUILD)

deps-test:
	@scripts/ensure-packages.sh $(APT_PACKAGES_TEST)

deps-bench:
	@scripts/ensure-packages.sh $(APT_PACKAGES_BENCH)

clean:
	rm -rf .build Benchmarks/.build
