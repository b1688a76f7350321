# kubegate: `make demo` runs the demo, `make test` runs every test. Both install what is missing.
SHELL := /bin/bash
BUILD_DIR := build
JOBS ?= $(shell nproc)
NODE_TEST := node --test --test-concurrency=2 --test-timeout=300000

.PHONY: deps build demo test test-unit test-kube-sim test-e2e bench clean

deps:
	@scripts/install-deps.sh

# -g1: line tables and function names (enough for perf and backtraces) without full debug info,
# which made every compile ~20% slower and the binaries ~200 MB; a CI run builds everything afresh.
build: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" > /dev/null
	@cmake --build $(BUILD_DIR) -j$(JOBS)

demo: build
	@scripts/demo.sh

# Unit tests (ctest), then, in one run of node's test runner (one closing summary), kube-sim's own
# tests against real clients and the gateway's end-to-end tests.
test: build test-unit
	$(NODE_TEST) testing/kube-sim/test/*.test.js testing/idp/test/*.test.js testing/aws-sim/test/*.test.js tests/e2e/*.test.js

test-unit:
	cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS)

test-kube-sim:
	$(NODE_TEST) testing/kube-sim/test/*.test.js

test-e2e: build
	$(NODE_TEST) tests/e2e/*.test.js

bench: build
	@scripts/install-deps.sh bench
	@bench/proxy_bench.sh

clean:
	rm -rf $(BUILD_DIR) .demo
