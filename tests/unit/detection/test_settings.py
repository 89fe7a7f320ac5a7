"""Parsing the ``detection`` config section: defaults, every option, and errors that name the key."""

from __future__ import annotations

import pytest

from veilwatch.transforms.config.errors import ConfigError
from veilwatch.transforms.detection import DetectionSettings, Likelihood, parse_detection_settings
from veilwatch.transforms.detection.settings import CustomInfoType, ExclusionRule, HotwordRule


def test_none_gives_defaults():
    assert parse_detection_settings(None, "detection") == DetectionSettings()


def test_full_config():
    settings = parse_detection_settings(
        {
            "info_types": ["EMAIL_ADDRESS", "PHONE_NUMBER"],
            "min_likelihood": "likely",
            "max_text_chars": 5000,
            "phone_regions": ["us", "GB"],
            "hotwords": {"PHONE_NUMBER": {"words": ["hotline"], "window_before": 10, "boost": 2}},
            "exclusions": {"EMAIL_ADDRESS": {"dictionary": ["a@b.io"], "regex": r".*@corp\.io"}},
            "custom_info_types": {"TICKET": {"regex": r"TCK-\d{6}", "likelihood": "POSSIBLE"}},
            "use_ner": False,
        },
        "dataset.detection",
    )
    assert settings.info_types == ("EMAIL_ADDRESS", "PHONE_NUMBER")
    assert settings.min_likelihood is Likelihood.LIKELY
    assert settings.max_text_chars == 5000
    assert settings.phone_regions == ("US", "GB")
    assert settings.hotwords == (HotwordRule("PHONE_NUMBER", ("hotline",), 10, 20, None, 2),)
    assert settings.exclusions == (ExclusionRule("EMAIL_ADDRESS", ("a@b.io",), (r".*@corp\.io",)),)
    assert settings.custom_info_types == (
        CustomInfoType("TICKET", r"TCK-\d{6}", (), None, Likelihood.POSSIBLE),
    )
    assert settings.use_ner is False


@pytest.mark.parametrize(
    "mapping, path",
    [
        ({"min_likelihood": "SURE"}, "d.min_likelihood"),
        ({"max_text_chars": 0}, "d.max_text_chars"),
        ({"phone_regions": ["XX"]}, "d.phone_regions[0]"),
        ({"info_types": ["email"]}, "d.info_types[0]"),
        ({"colour": "red"}, "d.colour"),
        ({"hotwords": {"PHONE_NUMBER": {"words": []}}}, "d.hotwords.PHONE_NUMBER.words"),
        ({"hotwords": {"PHONE_NUMBER": {"words": ["x"], "boost": 9}}}, "d.hotwords.PHONE_NUMBER.boost"),
        ({"exclusions": {"EMAIL_ADDRESS": {"regex": "("}}}, "d.exclusions.EMAIL_ADDRESS.regex[0]"),
        ({"exclusions": {"EMAIL_ADDRESS": {"regex": ".*"}}}, "d.exclusions.EMAIL_ADDRESS.regex[0]"),
        ({"custom_info_types": {"X_ID": {"regex": "a", "words": ["b"]}}}, "d.custom_info_types.X_ID"),
        (
            {"custom_info_types": {"X_ID": {"regex": "a", "validator": "nope"}}},
            "d.custom_info_types.X_ID.validator",
        ),
    ],
)
def test_errors_name_the_key(mapping, path):
    with pytest.raises(ConfigError) as info:
        parse_detection_settings(mapping, "d")
    assert path in [issue.path for issue in info.value.issues]


def test_all_issues_reported_and_no_value_echoed():
    secret = "jane.doe@example.com"
    with pytest.raises(ConfigError) as info:
        parse_detection_settings(
            {"min_likelihood": secret, "exclusions": {"EMAIL_ADDRESS": {"dictionary": [secret, 3]}}}, "d"
        )
    assert len(info.value.issues) == 2
    assert secret not in str(info.value)


def test_stdnum_validator_names():
    settings = parse_detection_settings(
        {"custom_info_types": {"FR_NIR": {"regex": r"\d{15}", "validator": "stdnum:fr.nir"}}}, "d"
    )
    assert settings.custom_info_types[0].validator == "stdnum:fr.nir"
    with pytest.raises(ConfigError):
        parse_detection_settings(
            {"custom_info_types": {"X": {"regex": "a", "validator": "stdnum:../os"}}}, "d"
        )
