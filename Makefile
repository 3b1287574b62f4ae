# One command sets up and runs the demo; one sets up and runs the tests.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: demo test setup bench clean chromium

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	# pyCANON (the tests' independent k-anonymity oracle) pins old pandas and numpy; its
	# checker needs neither more nor those versions, so it is installed without them.
	$(BIN)/pip install --quiet --no-deps 'pycanon==1.3.6'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/libstats demo --out demo-output

# The annual report's HTML is rendered in headless Chromium by the tests (Playwright drives
# Debian's chromium; no browser is downloaded).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && \
	    $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: $(STAMP) chromium
	$(BIN)/python -m pytest -q -n 2 --doctest-modules libstats transforms reports tests

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_run.py --rows 10000000

clean:
	rm -rf demo-output benchmarks/out .pytest_cache
