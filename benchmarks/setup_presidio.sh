#!/usr/bin/env bash
# Build the Presidio reference environment used by benchmarks/pii_accuracy.py.
#
#   bash benchmarks/setup_presidio.sh            # -> .venv-presidio/ beside the repo's .venv
#
# Presidio lives in its own venv (its spaCy/numpy pins clash with the pipeline's
# TFDV stack). No spaCy model can be downloaded here, so a *blank* English
# pipeline is saved to .venv-presidio/blank_en: Presidio then runs its pattern
# recognizers (and phonenumbers) only, which is the comparison we want.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${PRESIDIO_VENV:-$ROOT/.venv-presidio}"
PYTHON="${PYTHON:-python3.11}"

if [[ ! -x "$VENV/bin/python" ]]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$ROOT/benchmarks/requirements-presidio.txt"
"$VENV/bin/python" -m pip check
"$VENV/bin/python" - "$VENV/blank_en" <<'PY'
import sys
import spacy

spacy.blank("en").to_disk(sys.argv[1])
print("blank spaCy pipeline saved to", sys.argv[1])
PY
