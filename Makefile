# The two commands of the README: `make run` and `make test`. Only Python 3.11, pip and make needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app

.PHONY: run test install translations bench clean lock audit lint

# requirements*.txt name the direct dependencies; requirements.lock pins the whole tree.
$(BIN)/.installed: requirements.txt requirements-dev.txt requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements-dev.txt -c requirements.lock
	touch $@

# axe-core for the accessibility tests (package.json, pinned in package-lock.json). Without npm
# those tests are skipped (they fail under CI=true, where .ci/run installs npm).
node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund && touch $@; \
	else echo "npm not found: accessibility tests will be skipped (apt-get install npm)"; fi

install: $(BIN)/.installed node_modules/.package-lock.json

translations: install
	$(BIN)/pybabel compile -d translations

# Starts the app with the demo data on SQLite (instance/motcua.db), loading it on first start.
run: translations
	$(BIN)/flask db upgrade
	@$(BIN)/python -c "from app import create_app; from seed import database_is_empty; app = create_app(); app.app_context().push(); raise SystemExit(0 if database_is_empty() else 1)" \
		&& $(BIN)/flask seed demo || echo "Demo data already loaded (flask seed demo --reset reloads it)."
	@echo "motcua: http://127.0.0.1:5000  (demo logins: admin, canbo, lanhdao / demo1234)"
	$(BIN)/flask run --host 127.0.0.1 --port 5000

# The whole test suite: SQLite always; PostgreSQL and Chromium when present (required in CI).
# TEST_JOBS pytest-xdist workers (each with its own databases; 0: one process, no xdist);
# loadgroup keeps a group's tests (the demo data set) on one worker, which builds it once.
# Three on two cores: the Chromium tests mostly wait on the browser and the live server, and a
# third worker fills the waits (tests/browser: 279 s with two workers, 226 s with three).
TEST_JOBS ?= 3
test: translations
	$(BIN)/pytest -q -n $(TEST_JOBS) --dist loadgroup $(PYTEST_ARGS)

# ruff (configured in pyproject.toml): the linter, and the formatter's check (the tree is
# formatted with `ruff format .`; RUFF_FORMAT=0 skips the check).
RUFF_FORMAT ?= 1
lint: install
	$(BIN)/ruff check .
	@if [ "$(RUFF_FORMAT)" = 1 ]; then $(BIN)/ruff format --check .; \
	else echo "ruff format --check: off (RUFF_FORMAT=0 in the Makefile)"; fi

bench: translations
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) instance/motcua.db*

# Re-extract translatable strings and merge them into the catalogues (then fill in vi).
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_pgettext:1c,2 -o translations/messages.pot --no-location --omit-header --ignore-dirs=.venv --ignore-dirs=tests .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-wrap --ignore-obsolete

# Re-pin the whole tree after a change to requirements*.txt (pip-tools in a throw-away venv).
lock:
	rm -rf /tmp/motcua-lock && $(PYTHON) -m venv /tmp/motcua-lock
	/tmp/motcua-lock/bin/pip install -q pip-tools==7.6.2
	/tmp/motcua-lock/bin/pip-compile -q --strip-extras --allow-unsafe --no-header --annotation-style=line \
		--no-emit-index-url --no-emit-find-links -o requirements.lock requirements-dev.txt

# Known vulnerabilities in the locked tree (skipped, with the reason, when the advisory data is out of reach).
audit: install
	$(BIN)/python .ci/audit.py
