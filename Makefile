VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test lint format bench fixtures clean

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
	$(PY) -m pytest -q

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
	rm -rf $(VENV) data build *.egg-info
