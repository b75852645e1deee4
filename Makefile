# The README's two commands: `make run` and `make test`. Both create .venv if missing and
# install the pinned versions from constraints.txt, so a fresh machine gets what CI ran.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-test
DB     ?= ticketflow.db

.PHONY: install run test lint bench clean catalogs

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[test,bench]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/ticketflow demo --db sqlite:///$(DB)

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check engine storage tui mail api tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# Extract the messages marked _("…") / N_("…") in tui/ and merge them into each language's
# .po (translate the new msgstr, then commit the .po: it is compiled at import, no .mo).
catalogs: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --sort-output \
		--project ticketflow -o tui/locale/ticketflow.pot .
	$(BIN)/pybabel update -D ticketflow -i tui/locale/ticketflow.pot -d tui/locale \
		--no-location --no-fuzzy-matching

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
