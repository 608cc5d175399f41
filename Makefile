# Courier — make demo (the embedded test server and real requests), make test (the whole suite).
# Each target installs the Debian packages it needs when they are missing.

SWIFT ?= swift
APT_PACKAGES_BUILD := libssl-dev zlib1g-dev libbrotli-dev
APT_PACKAGES_TEST := $(APT_PACKAGES_BUILD) nginx-light nghttp2-server nghttp2-client curl python3-websockets tinyproxy dante-server
APT_PACKAGES_BENCH := $(APT_PACKAGES_BUILD) nginx-light wrk curl nghttp2-client tinyproxy

.PHONY: build test test-tsan test-asan fuzz autobahn demo bench format lint docs deps-build deps-test deps-bench clean

build: deps-build
	$(SWIFT) build

demo: deps-build
	$(SWIFT) run -c release courier-demo

# Process-wide tests (descriptor counts, peak RSS) run in their own process, one at a time
# (the disk cache's, which start processes and open files, in a process of their own too);
# the tests that drive Python peers in a third; everything else runs in parallel in another.
# Then the Autobahn cases that take seconds
# (framing, pings, reserved bits, opcodes, fragmentation, UTF-8, closing, auto-fragmentation:
# about 15 s, plus about 2 minutes to install the fuzzing server the first time); skipped with
# a message where pyenv's Python 2.7.18, PyPI or network namespaces are missing.
AUTOBAHN_TEST_CASES := 1.*,2.*,3.*,4.*,5.*,6.*,7.*,10.*

test: deps-test
	scripts/check-rules.sh
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --skip ProcessWide --skip PythonPeer
	$(SWIFT) test --skip-build --filter ProcessWide --skip CourierCacheTests
	$(SWIFT) test --skip-build --filter 'CourierCacheTests\..*ProcessWide'
	$(SWIFT) test --skip-build --filter PythonPeer
	SWIFT="$(SWIFT)" AUTOBAHN_REPORTS=.build-autobahn/test-reports \
		scripts/autobahn.sh --if-available '$(AUTOBAHN_TEST_CASES)'

# The suite under ThreadSanitizer, and under AddressSanitizer with LeakSanitizer: not part of
# `make test`; each in its own scratch folder, split the same way. One test at a time, since at
# sanitizer speed the tests with time bounds miss them when the whole suite runs in parallel.
# What the runs preload and suppress, and why: scripts/sanitizers/README.md.
TSAN_ENV = LD_PRELOAD=$(CURDIR)/.build-tsan/libtsan-mutex.so \
	TSAN_OPTIONS=suppressions=$(CURDIR)/scripts/sanitizers/tsan.supp
LSAN_ENV = LSAN_OPTIONS=suppressions=$(CURDIR)/scripts/sanitizers/lsan.supp

test-tsan: deps-test
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan
	clang -shared -fPIC -O2 -o .build-tsan/libtsan-mutex.so scripts/sanitizers/tsan-mutex.c -ldl
	$(TSAN_ENV) $(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan --no-parallel --skip ProcessWide
	$(TSAN_ENV) $(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan --filter ProcessWide --skip CourierCacheTests
	$(TSAN_ENV) $(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan --filter 'CourierCacheTests\..*ProcessWide'

# ASan's quarantine keeps up to 256 MiB of freed memory to catch uses after free; the
# process-wide RSS test (peak growth under 64 MiB for a 1 GiB body) runs with 32 MiB.
test-asan: deps-test
	$(SWIFT) build --build-tests --sanitize=address --scratch-path .build-asan
	$(LSAN_ENV) $(SWIFT) test --skip-build --sanitize=address --scratch-path .build-asan --no-parallel --skip ProcessWide
	$(LSAN_ENV) ASAN_OPTIONS=quarantine_size_mb=32 \
		$(SWIFT) test --skip-build --sanitize=address --scratch-path .build-asan --filter ProcessWide --skip CourierCacheTests
	$(LSAN_ENV) $(SWIFT) test --skip-build --sanitize=address --scratch-path .build-asan --filter 'CourierCacheTests\..*ProcessWide'

# libFuzzer targets for the wire parsers, FUZZ_SECONDS (default 60) each; see Fuzz/README.md.
fuzz: deps-build
	scripts/fuzz.sh

# The Autobahn|Testsuite fuzzing server against the WebSocket client: AUTOBAHN_CASES (default
# all 517, about 20 minutes; e.g. "1.*,2.*") and the results per section; see scripts/autobahn.sh
# and Docs/Conformance.md.
autobahn: deps-build
	SWIFT="$(SWIFT)" scripts/autobahn.sh

# SwiftPM keeps the root package's source list in the benchmarks' build description and misses
# files added or removed since ("missing inputs"): the description is dropped before each build.
bench: deps-bench
	rm -f Benchmarks/.build/release.yaml Benchmarks/.build/*/release/description.json
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
	@scripts/ensure-socks-user.sh

deps-bench:
	@scripts/ensure-packages.sh $(APT_PACKAGES_BENCH)

clean:
	rm -rf .build Benchmarks/.build
