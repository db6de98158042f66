# The two commands of the README: `make serve` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: serve test build install communes browser screenshots clean
COMMUNES := publish/communes/node_modules/@etalab/decoupage-administratif/data/communes.json

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP) communes

serve: $(STAMP) communes
	$(VENV)/bin/maillage serve --port 8001

build: $(STAMP) communes
	$(VENV)/bin/maillage build

# The official list of French communes (Etalab's decoupage-administratif from the npm registry,
# publish/communes/package.json, pinned by its lock file): the search and the orienter know
# every commune by its name and postcode. Without npm, only the network's own communes.
communes:
	@test -f $(COMMUNES) || { \
	  if command -v npm >/dev/null 2>&1; then \
	    npm ci --prefix publish/communes --no-audit --no-fund --silent \
	      || echo "liste officielle des communes non installée : seules celles du réseau seront reconnues"; \
	  else echo "npm absent : seules les communes du réseau seront reconnues"; fi; }

# Browser tests use Debian's Chromium (Playwright drives it; it downloads no browser), and inject
# axe-core from the npm registry (tests/axe/package.json, pinned by its lock file). Installed
# when missing and apt-get or npm can run; otherwise those tests skip and say why.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
	      >/dev/null) || echo "Chromium could not be installed: browser tests will be skipped"; \
	  else echo "Chromium missing and apt-get unavailable: browser tests will be skipped"; fi; }
	@test -f tests/axe/node_modules/axe-core/axe.min.js || { \
	  if command -v npm >/dev/null 2>&1; then \
	    npm ci --prefix tests/axe --no-audit --no-fund --silent \
	      || echo "axe-core could not be installed: the accessibility tests will be skipped"; \
	  else echo "npm missing: the accessibility tests (axe-core) will be skipped"; fi; }

test: $(STAMP) communes browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/python -m pytest -q -rs

# The screenshots of docs/, taken again by the browser tests (a plain `make test` leaves them).
screenshots: $(STAMP) browser
	MAILLAGE_SCREENSHOTS=docs/screenshots $(VENV)/bin/python -m pytest -q tests/test_site_browser.py \
	  tests/test_phone_pages.py tests/test_guide.py tests/test_coordinators.py tests/test_search.py

clean:
	rm -rf dist $(VENV)
