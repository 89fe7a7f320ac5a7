"""User-supplied regexes (custom infoTypes, exclusions) are RE2: linear time, refused by key path."""

from __future__ import annotations

import json
import multiprocessing
import time

import pytest

from tests.conftest import FIXTURES, run_cli
from veilwatch.transforms.config.errors import ConfigError
from veilwatch.transforms.detection import DetectionEngine, parse_detection_settings

_NESTED_REPEAT = "(a+)+$"  # exponential under a backtracking engine on "aaa...!"


def _timed_scan(settings, text, results):
    engine = DetectionEngine(settings)
    started = time.perf_counter()
    findings = engine.scan(text)
    results.put((time.perf_counter() - started, [f.info_type for f in findings]))


def _scan_in_child(settings, text, timeout=10.0):
    """(seconds the scan took, infoTypes found), or a failure if it has not finished in ``timeout``
    (a forked child, so that a backtracking regex fails the test instead of hanging it)."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_timed_scan, args=(settings, text, results))
    child.start()
    child.join(timeout)
    if child.is_alive():
        child.terminate()
        child.join()
        pytest.fail(f"the scan had not finished after {timeout} s")
    return results.get(timeout=1)


def test_custom_regex_with_nested_repeats_scans_in_linear_time():
    settings = parse_detection_settings(
        {"custom_info_types": {"A_RUN": {"regex": _NESTED_REPEAT}}, "use_ner": False}, "detection"
    )
    # the final "a" lets a prefilter pass the text on to the recognizer, whose backtracking
    # regex would then take minutes on the run before the "!" (39 characters took over 150 s)
    elapsed, found = _scan_in_child(settings, "a" * 5000 + "! a")
    assert elapsed < 0.5, elapsed
    assert found == ["A_RUN"]
    assert [f.info_type for f in DetectionEngine(settings).scan("aaaa")] == ["A_RUN"]


def test_exclusion_regex_with_nested_repeats_is_linear():
    settings = parse_detection_settings(
        {"exclusions": {"EMAIL_ADDRESS": {"regex": "(a+)+@x\\.io"}}, "use_ner": False}, "detection"
    )
    elapsed, found = _scan_in_child(settings, "mail " + "a" * 40 + "@x.io and " + "a" * 40 + "@y.io")
    assert elapsed < 0.5, elapsed
    assert found == ["EMAIL_ADDRESS"]  # the x.io address is excluded, the other is not


def test_custom_regex_ignore_case_and_validator_still_apply():
    settings = parse_detection_settings(
        {"custom_info_types": {"EMP_ID": {"regex": r"EMP-\d{4}", "ignore_case": True}}, "use_ner": False}, "d"
    )
    findings = DetectionEngine(settings).scan("ids emp-1234, EMP-9876")
    assert [(f.start, f.end, f.info_type) for f in findings] == [(4, 12, "EMP_ID"), (14, 22, "EMP_ID")]


@pytest.mark.parametrize("pattern", [r"(\w+)\s\1", r"(?<=id )\d+", r"a(?!b)"])
@pytest.mark.parametrize("section", ["custom_info_types", "exclusions"])
def test_what_re2_refuses_is_a_config_error_naming_the_key(pattern, section):
    entry = {"CODE_X": {"regex": pattern}}
    with pytest.raises(ConfigError, match=r"pii\.detection\.") as info:
        parse_detection_settings({section: entry}, "pii.detection")
    message = str(info.value)
    path = (
        "pii.detection.custom_info_types.CODE_X.regex"
        if section == "custom_info_types"
        else "pii.detection.exclusions.CODE_X.regex[0]"
    )
    assert path in message
    assert "RE2" in message
    assert pattern not in message
    assert pattern[3:] not in message


def test_validate_config_refuses_a_back_reference_with_exit_2(tmp_path):
    config = (FIXTURES / "configs" / "minimal.yaml").read_text(encoding="utf-8")
    entry = '  detection:\n    custom_info_types:\n      DUP_WORD: {regex: "(secret)-\\\\1"}\n'
    config = config.replace("pii:\n", "pii:\n" + entry)
    path = tmp_path / "config.yaml"
    path.write_text(config, encoding="utf-8")
    result = run_cli("validate-config", path, "--output_dir", tmp_path / "out")
    assert result.code == 2, result.err
    assert "pii.detection.custom_info_types.DUP_WORD.regex" in result.err
    assert "secret" not in result.err + result.out
    assert not (tmp_path / "out").exists()


def test_scan_command_with_a_nested_repeat_custom_regex_finishes(tmp_path):
    source = tmp_path / "texts.jsonl"
    source.write_text(json.dumps({"text": "a" * 3000 + "! a"}) + "\n", encoding="utf-8")
    config = tmp_path / "detection.yaml"
    config.write_text(
        "detection:\n  use_ner: false\n  custom_info_types:\n    A_RUN: {regex: '(a+)+$'}\n", encoding="utf-8"
    )
    started = time.perf_counter()
    result = run_cli(
        "scan", "--input", source, "--output", tmp_path / "f.jsonl", "--detection-config", config
    )
    assert result.code == 0, result.err
    assert time.perf_counter() - started < 5
    assert json.loads((tmp_path / "f.jsonl").read_text(encoding="utf-8")) == {
        "findings": [{"start": 3002, "end": 3003, "info_type": "A_RUN", "likelihood": "LIKELY"}]
    }


def test_a_lone_surrogate_in_the_text_does_not_break_a_custom_or_exclusion_regex():
    settings = parse_detection_settings(
        {
            "custom_info_types": {"EMP_ID": {"regex": r"EMP-\d{4}"}},
            "exclusions": {"EMAIL_ADDRESS": {"regex": r".*@x\.io"}},
            "use_ner": False,
        },
        "d",
    )
    findings = DetectionEngine(settings).scan("\ud800 EMP-1234 a@x.io b@y.io")
    assert [(f.start, f.end, f.info_type) for f in findings] == [(2, 10, "EMP_ID"), (18, 24, "EMAIL_ADDRESS")]
