# The two commands of the README.  Everything else here serves them.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
DB     ?= data/warehouse.duckdb
PORT   ?= 8501
# Debian packages the test suite needs: a PostgreSQL server for the warehouse tests, and a real
# Chromium with CJK fonts for the browser screenshots (driven by the PyPI playwright package).
TEST_DEBS := postgresql chromium fonts-noto-cjk poppler-utils
# Debian packages the dashboard itself needs: the CJK font the review pack's PDF embeds.
RUN_DEBS := fonts-noto-cjk

.PHONY: run test bench debs system-deps clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

## make run: install, load the demo data into an empty warehouse, serve on http://localhost:8501
run: $(VENV)/.installed
	@$(MAKE) --no-print-directory debs DEBS="$(RUN_DEBS)"
	$(PY) -m loaders --db $(DB) demo --if-empty
	$(PY) -m appraisal --db $(DB) demo-history
	$(PY) -m metrics --db $(DB) rollups build
	CSDASH_DB=$(DB) PYTHONPATH=. $(VENV)/bin/streamlit run app.py --server.port $(PORT) --server.headless true \
		--browser.gatherUsageStats false

## Debian packages (root or sudo; apt-get update first): make debs DEBS="…"
debs:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		echo "installing Debian packages:$$missing"; \
		$$SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y --no-install-recommends $$missing; \
	fi

## make test: install dev requirements and Debian packages, run the whole suite
system-deps:
	@$(MAKE) --no-print-directory debs DEBS="$(TEST_DEBS)"

test: $(VENV)/.dev-installed system-deps
	$(PY) -m pytest

## make bench SCALE=1m|10m [PG=postgresql+psycopg://…/empty_db]: the benchmarks at chain scale, DuckDB beside
## chDB (and PostgreSQL when PG names an empty database), results into docs/benchmarks.md (on demand, not in CI)
SCALE ?= 1m
PG ?=
bench: $(VENV)/.installed
	PYTHONPATH=. $(PY) -m bench all --scale $(SCALE) --write docs/benchmarks.md $(if $(PG),--pg $(PG))

clean:
	rm -rf $(VENV) .pytest_cache tests/artifacts
