# The two commands: `make run` serves the playground, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CHROMIUM ?= $(shell command -v chromium 2>/dev/null || echo /usr/bin/chromium)

.PHONY: run test test-image lint bench clean
# axe-core for the accessibility test (tests/e2e/test_accessibility.py), from npm into a git-ignored folder.
AXE_VERSION := 4.11.0
AXE := .tools/node_modules/axe-core/axe.min.js

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(VENV)/bin/activate
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(VENV)/bin/activate
	$(PY) -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.run-installed

run: $(VENV)/.run-installed
	$(VENV)/bin/playground

lint: $(VENV)/.test-installed
	$(VENV)/bin/ruff check app engine tests bench

$(AXE):
	npm install --prefix .tools --no-save --no-audit --no-fund axe-core@$(AXE_VERSION)

test: $(VENV)/.test-installed lint $(AXE)
	@CHROMIUM="$(CHROMIUM)" $(PY) tests/browser_check.py
	@$(PY) tests/debian_check.py
	CHROMIUM="$(CHROMIUM)" $(PY) -m pytest
	@# The claims again under other CPUs' BLAS kernels (their float32 rounding), each one this CPU can run.
	@for kernel in $$($(PY) tests/blas.py); do \
		echo "claims under OPENBLAS_CORETYPE=$$kernel"; \
		OPENBLAS_CORETYPE=$$kernel $(PY) -m pytest tests/engine -m claims -q || exit 1; \
	done

# The Dockerfile built and run for real with podman (root; podman, runc, debootstrap): tests/image/.
IMAGE ?= localhost/playground:test
test-image: $(VENV)/.test-installed
	bash tests/image/build.sh "$(IMAGE)"
	PLAYGROUND_TEST_IMAGE="$(IMAGE)" CHROMIUM="$(CHROMIUM)" $(PY) -m pytest tests/image -v -s

bench: $(VENV)/.run-installed
	$(PY) -m engine.bench
	$(PY) bench/stream.py

clean:
	rm -rf $(VENV) dist build .pytest_cache .ruff_cache .hypothesis test-artifacts .tools
