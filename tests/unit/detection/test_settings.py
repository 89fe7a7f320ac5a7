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
    with pytest.raises(
        ConfigError, match=r"d\.min_likelihood: must be one of VERY_UNLIKELY, UNLIKELY,"
    ) as info:
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
    with pytest.raises(ConfigError, match=r"must be an infoType name"):
        parse_detection_settings(
            {"custom_info_types": {"X": {"regex": "a", "validator": "stdnum:../os"}}}, "d"
        )


# Messages of the settings parser before it moved onto the config's Node walker (#16 item 1),
# recorded from the old code: the move changes no key path, message or order.
RECORDED = [
    (
        {"max_text_chars": 0, "result_cache_size": -1, "use_ner": "yes", "use_prefilter": 1, "ner_model": ""},
        [
            "d.result_cache_size: must be an integer >= 0",
            "d.max_text_chars: must be an integer >= 1",
            "d.use_ner: must be true or false",
            "d.use_prefilter: must be true or false",
            "d.ner_model: must be a spaCy model package name or path",
        ],
    ),
    (
        {
            "hotwords": {
                "PHONE_NUMBER": {
                    "words": ["a"],
                    "boost": 9,
                    "likelihood": "SURE",
                    "window_before": None,
                    "colour": 1,
                }
            }
        },
        [
            "d.hotwords.PHONE_NUMBER.colour: unknown key (allowed: boost, likelihood, window_after, window_before, words)",
            "d.hotwords.PHONE_NUMBER.window_before: must be an integer >= 0",
            "d.hotwords.PHONE_NUMBER.likelihood: must be one of VERY_UNLIKELY, UNLIKELY, POSSIBLE, LIKELY, VERY_LIKELY",
            "d.hotwords.PHONE_NUMBER.boost: give either 'likelihood' (fixed) or 'boost' (relative), not both",
            "d.hotwords.PHONE_NUMBER.boost: must be an integer from -4 to 4",
        ],
    ),
    (
        {"exclusions": {"EMAIL_ADDRESS": {"regex": ["(", ".*", 3], "dictionary": "x"}}},
        [
            "d.exclusions.EMAIL_ADDRESS.dictionary: must be a list of non-empty strings",
            "d.exclusions.EMAIL_ADDRESS.regex[0]: is not a regular expression RE2 accepts (missing ); "
            "RE2 has no back-references or look-arounds)",
            "d.exclusions.EMAIL_ADDRESS.regex[1]: must not match the empty string",
            "d.exclusions.EMAIL_ADDRESS.regex[2]: must be a non-empty regular expression string",
        ],
    ),
    (
        {
            "exclusions": {
                "EMAIL_ADDRESS": {"regex": None},
                "X_ID": {},
                "Y": {"dictionary": ["a"], "extra": 1},
            }
        },
        [
            "d.exclusions.EMAIL_ADDRESS.regex: must be a regular expression or a list of them",
            "d.exclusions.X_ID: must be a mapping with 'dictionary' and/or 'regex'",
            "d.exclusions.Y: must be an infoType name (upper case letters, digits and _)",
            "d.exclusions.Y.extra: unknown key (allowed: dictionary, regex)",
        ],
    ),
    (
        {
            "custom_info_types": {
                "X_ID": {"regex": "a", "validator": 3, "likelihood": "SURE", "ignore_case": "no", "other": 1}
            }
        },
        [
            "d.custom_info_types.X_ID.other: unknown key (allowed: ignore_case, likelihood, regex, validator, words)",
            "d.custom_info_types.X_ID.validator: unknown validator (choose from credit_card, date, iban, "
            "ip_address, luhn, stdnum:<module>)",
            "d.custom_info_types.X_ID.likelihood: must be one of VERY_UNLIKELY, UNLIKELY, POSSIBLE, LIKELY, VERY_LIKELY",
            "d.custom_info_types.X_ID.ignore_case: must be true or false",
        ],
    ),
    (
        {"custom_info_types": {"X_ID": {"regex": "a(?=b)"}, 5: {"regex": "a"}}},
        [
            "d.custom_info_types.X_ID.regex: is not a regular expression RE2 accepts (invalid perl operator; "
            "RE2 has no back-references or look-arounds)",
            "d.custom_info_types.5: must be an infoType name (upper case letters, digits and _)",
        ],
    ),
]


@pytest.mark.parametrize("mapping, messages", RECORDED, ids=[str(i) for i in range(len(RECORDED))])
def test_the_walker_reports_what_the_old_parser_reported(mapping, messages):
    with pytest.raises(ConfigError) as info:
        parse_detection_settings(mapping, "d")
    assert [str(i) for i in info.value.issues] == messages


def test_a_misspelled_key_gets_the_config_walkers_suggestion():
    # the walker's unknown-key message, as everywhere else in the dataset config
    with pytest.raises(ConfigError) as info:
        parse_detection_settings(
            {"min_likelihod": "LIKELY", "hotwords": {"PHONE_NUMBER": {"word": ["x"]}}}, "d"
        )
    messages = [str(i) for i in info.value.issues]
    assert messages[0].startswith("d.min_likelihod: unknown key (did you mean 'min_likelihood'?) (allowed: ")
    assert "d.hotwords.PHONE_NUMBER.word: unknown key (did you mean 'words'?) (allowed: " in "\n".join(
        messages
    )
