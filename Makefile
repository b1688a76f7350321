# kubegate: `make demo` runs the demo, `make test` runs every test. Both install what is missing.
SHELL := /bin/bash
KUBE_SIM := testing/kube-sim
NODE_TEST_FLAGS := --test --test-concurrency=2 --test-timeout=180000

.PHONY: deps demo test test-kube-sim

deps:
	@scripts/install-deps.sh

demo: deps
	@scripts/demo.sh

test: deps test-kube-sim

test-kube-sim:
	node $(NODE_TEST_FLAGS) $(KUBE_SIM)/test/
