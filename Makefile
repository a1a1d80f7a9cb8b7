# The README's two commands: `make run` and `make test`. Everything else is a helper.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wsgi
PORT ?= 5000

.PHONY: run test install translations lint format bench-register clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	$(BIN)/pybabel compile -f -d docflow/translations -D messages >/dev/null

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask docflow demo
	@echo "docflow is serving on http://127.0.0.1:$(PORT)/ (Ctrl+C to stop)"
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

test: install
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .

# Extract new strings into the catalogs, then fill the msgstr lines in docflow/translations/*/LC_MESSAGES/messages.po
translations-update: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -o /tmp/docflow-messages.pot . >/dev/null
	$(BIN)/pybabel update -i /tmp/docflow-messages.pot -d docflow/translations -D messages --no-fuzzy-matching

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
