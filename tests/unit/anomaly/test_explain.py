from veilwatch.transforms.anomaly.base import Observation, Verdict
from veilwatch.transforms.anomaly.explain import explain


def test_issue_example():
    # (12 - 480) / 35 = -13.37 -> "13.4 sigma below"
    v = Verdict(12, 480, 35, (12 - 480) / 35, 4, True, "seasonal", "Tuesday 14:00 over 4 weeks")
    assert (
        explain(v, "count")
        == "count 12 vs expected 480 +/- 35 for Tuesday 14:00 over 4 weeks, 13.4 sigma below"
    )


def test_trailing_normal_warmup_and_iqr():
    v = Verdict(480, 470, 35.5, 10 / 35.5, 4, False, "robust_zscore", "trailing 48 windows")
    assert explain(v, "count") == (
        "count 480 vs expected 470 +/- 35.5 over trailing 48 windows, 0.3 sigma above (normal)"
    )
    assert (
        explain(Verdict(7, None, None, None, 4, False, "ewma"), "count")
        == "count 7 in warm-up (no baseline yet)"
    )
    silent = Verdict(7, None, None, None, 6, False, "seasonal", "no seasonal baseline")
    assert explain(silent, "count") == "count 7, no seasonal baseline"
    v = Verdict(8, 3, 2, 2.0, 1.5, True, "all(iqr+ewma):iqr", "quartiles of trailing 5 windows")
    assert explain(v, "mean(amount)").endswith("2.0 IQR beyond the fence above")


def test_window_bounds_on_request():
    v = Verdict(0.25, 0.1, 0.02, 7.5, 4, True, "ewma", "EWMA half-life 24 windows")
    line = explain(v, "null_rate(email)", Observation(0, 3600, 0.25), with_window=True)
    assert line.startswith(
        "null_rate(email) 0.25 in [1970-01-01 00:00, 1970-01-01 01:00) vs expected 0.1 +/- 0.02"
    )


def test_context_and_relative_entropy_are_explained_in_their_own_units_without_a_spread():
    from tests.unit.anomaly.helpers import obs as window
    from tests.unit.anomaly.helpers import run
    from veilwatch.transforms.anomaly.detectors.context import Context, ContextParams
    from veilwatch.transforms.anomaly.detectors.relative_entropy import RelativeEntropy, RelativeEntropyParams

    values = [100.0 + (i % 5) for i in range(400)] + [200.0]
    windows = [window(i, v) for i, v in enumerate(values)]
    context = run(Context(ContextParams(warmup=100, learn=100)), windows)[0][-1]
    assert context.is_anomaly
    line = explain(context, "count")
    assert line.startswith("count 200 vs expected 104")
    assert "+/-" not in line
    assert "1.0 share of new contexts above" in line
    entropy = run(RelativeEntropy(RelativeEntropyParams(warmup=100, window=20)), windows)[0][-1]
    assert entropy.is_anomaly
    assert "x the chi-square critical value above" in explain(entropy, "count")
