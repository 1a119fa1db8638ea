# Siyu — `make demo` runs the embedded demo, `make test` runs every check. Both bootstrap first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
UV := UV_PROJECT_ENVIRONMENT=$(VENV) UV_PYTHON_DOWNLOADS=never $(BIN)/uv
VENDOR := src/siyu/static/vendor
PORT ?= 8000

.PHONY: install demo test lint typecheck migrations-check pytest bench serve clean messages

install: $(BIN)/uv $(VENDOR)/.stamp
	$(UV) sync --frozen --inexact --quiet
	@echo "installed: $(BIN)/siyu"

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Front-end assets come from the npm registry (pinned by package-lock.json) and are served by
# Siyu itself: no CDN at run time.
$(VENDOR)/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/echarts/dist/echarts.min.js $(VENDOR)/
	touch $@

demo: install
	$(BIN)/siyu demo --port $(PORT)

serve: install
	$(BIN)/siyu serve --port $(PORT)

# The suite runs on SQLite; when SIYU_TEST_DATABASE_URL is set it runs again on PostgreSQL
# (and Redis, with SIYU_TEST_REDIS_URL).
test: install lint typecheck migrations-check pytest

lint:
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck:
	$(BIN)/mypy

migrations-check:
	@rm -rf var/alembic-check && mkdir -p var/alembic-check
	SIYU_DATABASE_URL=sqlite:///./var/alembic-check/check.db $(BIN)/siyu db upgrade >/dev/null
	SIYU_DATABASE_URL=sqlite:///./var/alembic-check/check.db $(BIN)/alembic check

pytest:
	env -u SIYU_TEST_DATABASE_URL -u SIYU_TEST_REDIS_URL $(BIN)/pytest
	@if [ -n "$$SIYU_TEST_DATABASE_URL" ]; then \
		echo "--- again on $$SIYU_TEST_DATABASE_URL $${SIYU_TEST_REDIS_URL:+and $$SIYU_TEST_REDIS_URL}"; \
		$(BIN)/pytest -m "not browser"; \
	fi

bench: install
	$(BIN)/python -m benchmarks $(BENCH)

messages:
	$(BIN)/pybabel extract -F babel.cfg -k N_ -o var/messages.pot .
	$(BIN)/pybabel update -i var/messages.pot -d src/siyu/locale -D messages --no-fuzzy-matching

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var
