# docgen: `make run` starts the inbox watcher, `make test` runs the whole suite.
# Both install whatever is missing first (Debian packages, the virtualenv, the package) and skip what is there.
# Python packages come from the lock (requirements/*.txt, exported from uv.lock): exact versions, checked
# hashes, no resolver at install time, so every machine gets what the suite passed with.

PYTHON ?= python3
VENV   := .venv
PIP    := $(VENV)/bin/python -m pip
APT_PACKAGES := libreoffice-writer-nogui python3-uno libreoffice-script-provider-python libjemalloc2 \
                fonts-liberation2 fonts-crosextra-carlito \
                fonts-dejavu-core poppler-utils python3-venv
# The suite also starts its own PostgreSQL server and drives Debian's chromium
# and seals PDFs with a key on a real software PKCS#11 token (softhsm2)
APT_TEST_PACKAGES := postgresql chromium softhsm2
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# `make lock` runs this uv (installed into its own virtualenv); the lock it writes is committed.
UV_VERSION := 0.13.9
UV_VENV := .venv-uv
UV := $(UV_VENV)/bin/uv
LATEST_VENV := .venv-latest
# `make test-quick`: the edit loop, without the browser, PostgreSQL and the long LibreOffice runs
QUICK := not browser and not postgres and not slow

.PHONY: run test test-quick test-latest bench lock lock-export setup setup-test system system-test venv venv-test clean-venv

run: setup
	$(VENV)/bin/docgen watch

# Two test processes (one per core; a module stays in one process): PYTEST_JOBS=0 runs it in one.
PYTEST_JOBS ?= 2
PYTEST_PAR = $(if $(filter-out 0 1,$(PYTEST_JOBS)),-n $(PYTEST_JOBS) --dist loadfile,)

test: setup-test
	$(VENV)/bin/python -m pytest -q $(PYTEST_PAR) $(PYTEST_ARGS)

test-quick: setup-test
	$(VENV)/bin/python -m pytest -q $(PYTEST_PAR) -m "$(QUICK)" $(PYTEST_ARGS)

bench: setup-test
	$(VENV)/bin/python bench/bench.py $(BENCH_ARGS)
	$(VENV)/bin/python bench/memory.py --documents 600 --out bench/memory.json
	$(VENV)/bin/python bench/limits.py

setup: system venv
setup-test: system system-test venv-test

# Debian packages: installed only when one of them is missing.
system:
	@if ! dpkg -s $(APT_PACKAGES) >/dev/null 2>&1; then \
	  echo "Installing Debian packages: $(APT_PACKAGES)"; \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $(APT_PACKAGES); \
	fi

system-test:
	@if ! dpkg -s $(APT_TEST_PACKAGES) >/dev/null 2>&1; then \
	  echo "Installing Debian packages for the tests: $(APT_TEST_PACKAGES)"; \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $(APT_TEST_PACKAGES); \
	fi

# The virtualenv belongs to one lock: a new uv.lock makes a new virtualenv, so nothing unlocked stays behind.
# run.txt (runtime + PostgreSQL) and test.txt (everything) come from the same uv.lock: same versions in both.
venv: $(VENV)/.installed-run
venv-test: $(VENV)/.installed-test

$(VENV)/.lock: uv.lock
	@echo "Creating $(VENV) from the lock"
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	cp uv.lock $@

$(VENV)/.installed-%: requirements/%.txt $(VENV)/.lock pyproject.toml
	$(PIP) install -q --no-deps --require-hashes -r requirements/$*.txt
	$(PIP) install -q --no-deps --no-build-isolation --no-index -e .
	@touch $@

clean-venv:
	rm -rf $(VENV) $(LATEST_VENV) $(UV_VENV)

# Refresh the lock to the newest versions the ranges in pyproject.toml allow. Commit it only after `make test`.
# After editing pyproject.toml's dependencies: `make lock-export` alone keeps every other pin.
lock: $(UV)
	$(UV) lock --upgrade
	$(MAKE) lock-export

lock-export: $(UV)
	$(UV) lock
	$(UV) export --frozen --no-emit-project --extra postgres --group setup --format requirements.txt -q \
	  -o requirements/run.txt
	$(UV) export --frozen --no-emit-project --all-extras --group setup --group archive-check \
	  --format requirements.txt -q -o requirements/test.txt

$(UV):
	$(PYTHON) -m venv $(UV_VENV)
	$(UV_VENV)/bin/python -m pip install -q uv==$(UV_VERSION)

# Before an upgrade: the suite against the newest releases the ranges in pyproject.toml allow (no lock), in a
# throw-away virtualenv. Not part of CI: it tells an administrator what tomorrow's releases would break.
test-latest: system system-test
	rm -rf $(LATEST_VENV)
	$(PYTHON) -m venv $(LATEST_VENV)
	$(LATEST_VENV)/bin/python -m pip install -q --upgrade pip
	$(LATEST_VENV)/bin/python -m pip install -q -e '.[postgres,test]'
	$(LATEST_VENV)/bin/python -m pip install -q --no-deps eark-validator importlib-resources  # see pyproject.toml
	$(LATEST_VENV)/bin/python -m pip freeze --exclude-editable > $(LATEST_VENV)/freeze.txt
	DOCGEN_UNLOCKED=1 $(LATEST_VENV)/bin/python -m pytest -q $(PYTEST_PAR) $(PYTEST_ARGS); status=$$?; \
	  cp $(LATEST_VENV)/freeze.txt .test-latest-versions.txt; rm -rf $(LATEST_VENV); \
	  echo "Versions tried: .test-latest-versions.txt"; exit $$status
