"""The NFKC matching view and its offset map (transforms/detection/normalize.py)."""

from __future__ import annotations

from veilwatch.transforms.detection.findings import Finding, Likelihood
from veilwatch.transforms.detection.normalize import for_matching


def test_ascii_and_nfkc_text_need_no_view():
    assert for_matching("plain ascii 4111 1111 1111 1111") is None
    assert for_matching("Müller, Łódź, 東京") is None  # non-ASCII but already NFKC


def test_full_width_forms_become_ascii_one_to_one():
    view = for_matching("ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ")
    assert view is not None
    assert view.text == "jane@example.com"
    assert view.origin == tuple(range(len(view.text) + 1))


def test_offsets_map_back_through_expansions():
    original = "㎡ ﬁ ＠x"  # ㎡ -> "m2", ﬁ -> "fi": the view is longer than the original
    view = for_matching(original)
    assert view is not None
    assert view.text == "m2 fi @x"
    # a finding on "@x" in the view is "＠x" in the original
    (mapped,) = view.to_original([Finding(6, 8, "T", Likelihood.LIKELY)])
    assert original[mapped.start : mapped.end] == "＠x"
    # a finding that ends inside an expansion covers the whole original character
    (mapped,) = view.to_original([Finding(0, 1, "T", Likelihood.LIKELY)])
    assert (mapped.start, mapped.end) == (0, 1)
    # two findings inside one expanded character do not come back overlapping
    assert (
        len(view.to_original([Finding(0, 1, "T", Likelihood.LIKELY), Finding(1, 2, "T", Likelihood.LIKELY)]))
        == 1
    )


def test_a_text_whose_view_is_not_nfkc_as_a_whole_is_scanned_once(engine):
    # NFKC per character leaves "e" + U+0301 as two characters, which NFKC of the whole text would
    # compose: the view is not NFKC, and re-normalising it never converges (it recursed until
    # RecursionError, failing a run whose group value held such a text).
    text = "Cafe\u0301 ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ"
    view = for_matching(text)
    assert view is not None
    assert for_matching(view.text) is not None  # the view itself still "needs" a view
    findings = engine.scan(text)
    assert [(text[f.start : f.end], f.info_type) for f in findings] == [
        ("ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ", "EMAIL_ADDRESS")
    ]
    assert engine.scan("e\u0301" * 3) == []
