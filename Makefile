# docgen: `make run` starts the inbox watcher, `make test` runs the whole suite.
# Both install whatever is missing first (Debian packages, the virtualenv, the package) and skip what is there.

PYTHON ?= python3
VENV   := .venv
APT_PACKAGES := libreoffice-writer-nogui python3-uno fonts-liberation2 fonts-crosextra-carlito \
                fonts-dejavu-core poppler-utils python3-venv
# The suite also starts its own PostgreSQL server and drives Debian's chromium
APT_TEST_PACKAGES := postgresql chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test bench setup system system-test venv clean-venv

run: setup
	$(VENV)/bin/docgen watch

test: setup system-test
	$(VENV)/bin/python -m pytest -q $(PYTEST_ARGS)

bench: setup
	$(VENV)/bin/python bench/bench.py $(BENCH_ARGS)
	$(VENV)/bin/python bench/memory.py --documents 600 --out bench/memory.json

setup: system venv

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

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@[ -x $(VENV)/bin/python ] || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade pip
	$(VENV)/bin/python -m pip install -q -e '.[test]'
	@touch $@

clean-venv:
	rm -rf $(VENV)
