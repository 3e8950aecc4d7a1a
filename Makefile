VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test test-min lint format bench fixtures clean

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip > /dev/null 2>&1 || true

# pip's build chatter goes to a log, shown only when the install fails
$(STAMP): pyproject.toml | $(PY)
	$(PIP) install -q -e . > $(VENV)/install.log 2>&1 || (cat $(VENV)/install.log; exit 1)
	touch $(STAMP)

$(TEST_STAMP): pyproject.toml | $(PY)
	$(PIP) install -q -e '.[test]' > $(VENV)/install.log 2>&1 || (cat $(VENV)/install.log; exit 1)
	touch $(STAMP) $(TEST_STAMP)

demo: $(STAMP)
	$(VENV)/bin/pantau demo

test: $(TEST_STAMP)
	@# headless Chromium for the Datasette browser test; the test skips with a message without it
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 || true
	@# redis-server for the cluster test (it starts its own on a unix socket); skips without it
	command -v redis-server >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >/dev/null 2>&1 || true
	$(PY) -m pytest -q

# The oldest versions pyproject.toml allows (ci/constraints-min.txt pins each dependency to its
# floor), in their own venv, on a subset that goes through storage, crawl, extraction and
# alerts; tests/test_dependency_floors.py keeps the pins and the floors in step.
MIN_VENV := .venv-min
MIN_STAMP := $(MIN_VENV)/.installed-min
MIN_TESTS := tests/test_dependency_floors.py tests/test_storage.py tests/test_alerts_with_storage.py \
	tests/test_alerts_starttls.py tests/test_extraction.py tests/test_config.py

$(MIN_STAMP): pyproject.toml ci/constraints-min.txt
	rm -rf $(MIN_VENV)
	python3 -m venv $(MIN_VENV)
	$(MIN_VENV)/bin/pip install -q --upgrade pip > /dev/null 2>&1 || true
	$(MIN_VENV)/bin/pip install -q -c ci/constraints-min.txt -e '.[test]' > $(MIN_VENV)/install.log 2>&1 \
		|| (cat $(MIN_VENV)/install.log; exit 1)
	touch $(MIN_STAMP)

test-min: $(MIN_STAMP)
	PANTAU_MIN_VERSIONS=1 $(MIN_VENV)/bin/python -m pytest -q $(MIN_TESTS)

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(TEST_STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(TEST_STAMP)
	$(PY) bench/run_all.py

# every generated fixture, from repository files and ../shared/ (beside the repository root);
# tests/test_fixtures_rebuild.py checks the committed files are what this writes
fixtures: $(STAMP)
	$(PY) pantau/sample_sites/_build.py
	$(PY) tests/fixtures/sites/_build.py
	$(PY) tests/fixtures/sites/_build_blogger.py
	$(PY) tests/extraction/make_seed_pages.py

clean:
	rm -rf $(VENV) $(MIN_VENV) data build *.egg-info
