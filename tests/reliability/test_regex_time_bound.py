"""A custom infoType regex with catastrophic backtracking under Python's re (``(a+)+$``) on long
``aaaa...!`` notes: the run finishes within seconds (RE2: linear) or the config is refused (exit 2).
Never a hang: the run is bounded by a thread join timeout."""

from __future__ import annotations

import threading
import time

import pytest

from tests.reliability.harness import payments_config, run_cli_captured
from tests.reliability.writers import write_jsonl

pytestmark = pytest.mark.pipeline
BOUND_SECONDS = 60  # a whole DirectRunner run; backtracking on 40 'a's alone would take hours


def test_a_catastrophic_custom_regex_finishes_or_is_refused(tmp_path, keyset_path):
    records = [
        {
            "transaction_id": f"t-{i}",
            "ts": "2026-11-01T10:00:00Z",
            "customer": {"email": "a@b.example"},
            "card_number": "4111111111111111",
            "amount": 1.0,
            "note": "a" * (40 + i) + "!",
        }
        for i in range(20)
    ]
    write_jsonl(tmp_path / "in.jsonl", records)
    config = payments_config(tmp_path, "jsonl", "drop")
    text = config.read_text().replace(
        "    min_likelihood: POSSIBLE",
        "    min_likelihood: POSSIBLE\n    custom_info_types:\n      A_RUN: {regex: '(a+)+$'}",
    )
    assert "A_RUN" in text
    config.write_text(text)
    result = {}
    started = time.perf_counter()
    worker = threading.Thread(
        target=lambda: result.update(
            zip(
                ("code", "out"),
                run_cli_captured(
                    "run",
                    "--dataset_config",
                    config,
                    "--input",
                    tmp_path / "in.jsonl",
                    "--output_dir",
                    tmp_path / "out",
                    "--keyset",
                    keyset_path,
                    "--allow_plaintext_keys",
                ),
                strict=True,
            )
        ),
        daemon=True,
    )
    worker.start()
    worker.join(BOUND_SECONDS)
    assert not worker.is_alive(), f"the run did not finish within {BOUND_SECONDS} s"
    assert result["code"] in (0, 2), result["out"]["stderr"][-2000:]
    print(f"custom regex run: exit {result['code']} in {time.perf_counter() - started:.1f} s")
