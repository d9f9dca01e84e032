# Jingxi: `make run` for a first look, `make test` for the suite on PostgreSQL + Redis.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DATABASE_URL_TEST := $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/jingxi)
PORT ?= 8000
# The suite runs in parallel, one PostgreSQL test database per process (pytest-xdist); a test
# module stays on one process so its module-scoped fixtures are built once.
PYTEST_WORKERS ?= auto
export REDIS_URL := $(or $(REDIS_URL),redis://127.0.0.1:6379/0)

.PHONY: install lock run test lint format messages compilemessages check-services bench clean audit

# Installs exactly the locked versions (requirements/*.txt, hashed); `make lock` renews them
# from pyproject.toml.
$(STAMP): requirements/dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements/dev.txt
	@touch $(STAMP)

install: $(STAMP) compilemessages

lock:
	@test -x $(VENV)/tools/bin/pip-compile || ($(PYTHON) -m venv $(VENV)/tools && $(VENV)/tools/bin/pip install --quiet pip-tools)
	$(VENV)/tools/bin/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links -o requirements/base.txt pyproject.toml
	$(VENV)/tools/bin/pip-compile --quiet --extra dev --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links -o requirements/dev.txt pyproject.toml

compilemessages: $(STAMP)
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=var >/dev/null

# First run: embedded SQLite under var/, demo data, development server.
run: install
	@mkdir -p var/mail var/media
	env -u DATABASE_URL $(BIN)/python manage.py migrate --noinput
	env -u DATABASE_URL $(BIN)/python manage.py seed_demo --scale small
	env -u DATABASE_URL DEBUG=true $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

check-services: $(STAMP)
	@$(BIN)/python bin/check_services.py

test: install check-services
	DATABASE_URL=$(DATABASE_URL_TEST) $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadscope $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

messages: $(STAMP)
	$(BIN)/python manage.py makemessages -l zh_Hans --ignore=.venv --ignore=var --ignore=bench --ignore=tests --no-obsolete --add-location=file

# Supply chain: bandit (high severity fails) and pip-audit on the locked requirements (a known
# vulnerability fails; an unreachable vulnerability service is reported, not failed).
audit: $(STAMP)
	bash bin/supply_chain.sh

bench: install check-services
	DATABASE_URL=$(DATABASE_URL_TEST) $(BIN)/python bench/bench_catalog.py

clean:
	rm -rf $(VENV) var/*.sqlite3 staticfiles
