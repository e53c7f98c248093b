# citygrid — two commands to start: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test venv lint migrate seed run worker beat bench loadtest clean screenshots e2e production production-prepare mutate

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

migrate: venv
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

demo: seed
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: venv
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	DJANGO_SETTINGS_MODULE=citygrid.test_settings $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

# Production (README "Production"): with the production variables set (.env.example), migrate,
# collect the static files (hashed and compressed, served by WhiteNoise), print every check of a
# deployment and refuse to start on a security warning (the others, such as a work calendar that
# lacks next year, are the administrator's to act on), then gunicorn (gunicorn.conf.py). CI's third
# pass runs exactly this.
production-prepare: venv
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput -v 0
	$(BIN)/python manage.py check --deploy
	$(BIN)/python manage.py check --deploy --tag security --fail-level WARNING

production: production-prepare
	exec $(BIN)/gunicorn citygrid.wsgi:application

# WORKER_QUEUES: the queues this host consumes (comma-separated, with CELERY_ROUTE_BY_QUEUE=1; see
# docs/topology.md). Unset: the default queue, which then holds every task.
worker: venv
	$(BIN)/celery -A citygrid worker -l info $(if $(WORKER_QUEUES),-Q $(WORKER_QUEUES))

# BEAT_SCHEDULE: where beat keeps its last-run times (a file it writes).
BEAT_SCHEDULE ?= celerybeat-schedule
beat: venv
	$(BIN)/celery -A citygrid beat -l info --schedule $(BEAT_SCHEDULE)

# Benchmarks (not part of `make test`): the locator alone, then the whole scale run on a dedicated
# PostgreSQL database (citygrid_bench). BENCH_ARGS="--scale 1000000" for the issue's 1M figure.
BENCH_ARGS ?= --scale 100000
bench: venv
	$(BIN)/python bench/locator.py
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# The bounded load test (issue 8) on its own PostgreSQL database (citygrid_load, rebuilt each run):
# 100 operators browsing and moving cases while collectors report, for LOADTEST_SECONDS; prints
# p50/p95/p99 per kind and fails on any error, duplicate case number or lost report.
LOADTEST_SECONDS ?= 120
loadtest: venv
	LOADTEST_SECONDS=$(LOADTEST_SECONDS) $(BIN)/python bench/loadtest.py $(LOADTEST_ARGS)

# Mutation testing of the loop's rules (permissions, transitions, steps): not in CI's time budget.
# Survivors are listed by `mutmut results`; see [tool.mutmut] in pyproject.toml.
mutate: venv
	$(BIN)/mutmut run --max-children 2
	$(BIN)/mutmut results

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles mutants

# The workbench pages at 1366x768 from the demo city, for the README (needs /usr/bin/chromium).
screenshots: venv
	$(BIN)/python tests/e2e/screenshots.py

# End-to-end tests in the machine's headless Chromium (apt: chromium chromium-driver).
e2e: venv
	$(BIN)/pytest tests/e2e
