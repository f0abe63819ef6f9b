# Two commands on a fresh machine: `make run` and `make test`.
# Everything else here is what those two need.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 0.0.0.0
PORT   ?= 5000

.PHONY: run test serve-room bench bench-room reset-demo clean

run: $(VENV)/.runtime
	$(BIN)/flask --app app run --host 127.0.0.1 --port 5000

test: $(VENV)/.dev
	$(BIN)/python -m pytest

# Serve a whole workshop room from one laptop (see lessons/instructor-guide.md).
serve-room: $(VENV)/.runtime
	$(BIN)/python -m clinic.serve --host $(HOST) --port $(PORT)

# GET /api/me against a bare endpoint, under both production servers (see README, Speed).
bench: $(VENV)/.dev
	$(BIN)/python bench/me_vs_bare.py --server waitress --threads 4
	$(BIN)/python bench/me_vs_bare.py --server gunicorn --threads 2

bench-room: $(VENV)/.runtime
	$(BIN)/python bench/room.py

reset-demo: $(VENV)/.runtime
	$(BIN)/flask --app app reset-demo

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis test-artifacts
