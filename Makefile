# Two commands set everything up: `make build` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
YAML_LANGUAGE_SERVER := 2.0.0

.PHONY: build test lint check clean preview schema release release-check previous-release publish system-packages bench

build: $(VENV)/.runtime
	$(BIN)/python build.py build

test: $(VENV)/.dev
	$(BIN)/python -m pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check .

check: lint test

preview: $(VENV)/.dev
	$(BIN)/python build.py preview

# The JSON Schemas that editors check the sources with, written from the schema in code (deckbuild/schemas/).
schema: $(VENV)/.runtime
	$(BIN)/python build.py schema

# Releases. `make release VERSION=X.Y.Z` updates deck.yaml, the locks and changelogs of every edition;
# commit, tag vX.Y.Z and push the tag: .github/workflows/release.yml does the rest,
# with the targets below. `make release-check` runs its checks locally.
release: $(VENV)/.dev
	@test -n "$(VERSION)" || { echo "usage: make release VERSION=X.Y.Z" >&2; exit 2; }
	$(BIN)/python build.py bump "$(VERSION)"

PREVIOUS_OPTION = $(foreach package,$(wildcard dist/previous/*.apkg),--previous "$(package)")
release-check: $(VENV)/.dev
	$(BIN)/python build.py release-check $(if $(TAG),--tag "$(TAG)") $(PREVIOUS_OPTION)

previous-release:
	@previous=$$(git tag --list 'v*' --sort=-v:refname | grep -vx "$(TAG)" | head -n 1); \
	if [ -n "$$previous" ]; then \
		mkdir -p dist/previous && gh release download "$$previous" --pattern '*.apkg' --dir dist/previous --clobber; \
	else echo "no earlier release"; fi

publish:
	gh release create "$(TAG)" dist/release/*.apkg dist/release/*.sha256 \
		--title "$(TAG)" --notes-file dist/release/notes.md --verify-tag

# Chromium (or the Google Chrome of GitHub's runners) and CJK fonts: the tests that need them are
# skipped without them. Debian's package names; run as root or with sudo. (espeak-ng comes from
# PyPI: the espeakng-loader wheel holds the library and its data.)
system-packages:
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		fonts-noto-cjk \
		$(if $(shell command -v chromium || command -v google-chrome),,chromium)

clean:
	rm -rf $(VENV) dist/*.apkg dist/preview dist/release dist/previous .cache .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# The package itself is installed editable, for the `deckbuild` command; its dependencies are the pinned ones.
# requirements-data.txt goes in without its packages' own dependencies, which only their command-line
# tools need. Then the French data index is built, once for the environment (.venv/share/deckbuild/).
$(VENV)/.runtime: requirements.txt requirements-data.txt pyproject.toml | $(VENV)/bin/python
	$(PIP) -r requirements.txt
	$(PIP) --no-deps -r requirements-data.txt
	$(PIP) --no-deps -e . --config-settings editable_mode=compat
	$(BIN)/python -m deckbuild.french_data
	touch $@

# The test tools, on top of what the build needs; where npm is found, VS Code's YAML language server too: the tests check what an editor shows of the sources
# (skipped, each saying why, where it could not be installed).
$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(PIP) -r requirements-dev.txt
	if command -v npm >/dev/null; then npm install --silent --no-audit --no-fund --prefix $(VENV)/yaml-language-server \
		yaml-language-server@$(YAML_LANGUAGE_SERVER) || echo "npm could not install yaml-language-server: its tests are skipped"; fi
	touch $@

# Speed and memory against bare genanki, in one run: `make bench` (N=50000 entries) or `make bench N=5000`.
N ?= 50000
bench: $(VENV)/.dev
	$(BIN)/python bench/bench.py $(N)
