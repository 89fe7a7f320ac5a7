"""Beam's ``apache_beam.ml.anomaly`` univariate detectors behind veilwatch's Detector contract.

    detector = BeamDetector(BeamDetectorParams(algorithm="RobustZScore", history=96, threshold=3))
    # YAML: {type: beam, algorithm: IQR, history: 96, threshold: 1.5}

Beam's detectors (``ZScore``, ``RobustZScore``, ``IQR``) keep their statistics
in tracker objects (deques, sorted lists) that cannot be stored as JSON and
whose classes may change between Beam releases, so they must not live in
pipeline state. The adapter keeps only the last ``history`` values (a JSON
list) and, for each window, builds a fresh Beam detector whose trackers
slide over ``history`` values, replays the list through ``learn_one`` and
calls ``score_one``. That costs O(history) per window - fine for per-window
metrics (hundreds of windows a day), not for per-element scoring, which is
what Beam's own ``AnomalyDetection`` transform is for.

Beam's scores are unsigned (ZScore, RobustZScore) or positive on both sides
(IQR); the adapter signs them by the side of the trailing median. Expected
and spread in the verdict are the trailing window's mean and standard
deviation (ZScore), median and MAD / 0.6745 (RobustZScore), median and IQR
(IQR), recomputed from the same values Beam saw. ``threshold`` is applied
to the signed score with the shared direction / min_abs_change rules;
Beam's own ``threshold_criterion`` is not used. ``min_spread`` and
``min_relative_spread`` are not applied: Beam scores a zero spread as 0.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

from veilwatch.transforms.anomaly.base import Detector, Observation, State, Verdict
from veilwatch.transforms.anomaly.params import CommonParams, bounded, flags
from veilwatch.transforms.anomaly.stats import median, quantile

ALGORITHMS = ("ZScore", "RobustZScore", "IQR")


@dataclass(frozen=True)
class BeamDetectorParams(CommonParams):
    """algorithm: which Beam detector; history: values its trackers slide over."""

    algorithm: str = field(default="RobustZScore", metadata={"choices": ALGORITHMS})
    history: int = bounded(100, min=4, max=5000, help="values Beam's trackers slide over")
    threshold: float = bounded(3.0, min=0.0, help="Beam score at or above which a window flags")


class BeamDetector(Detector):
    """Replays a JSON history through a fresh Beam detector per window."""

    def __init__(self, params: BeamDetectorParams = BeamDetectorParams()):
        if params.algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm must be one of {ALGORITHMS}")
        self.params = params
        self.name = f"beam_{params.algorithm.lower()}"

    def initial_state(self) -> State:
        return {"history": []}

    def observe(self, state: State, obs: Observation) -> tuple[Verdict, State]:
        p = self.params
        history: list[float] = list(state["history"])
        expected = spread = score = None
        is_anomaly = False
        if len(history) >= max(p.warmup, 2):
            raw = self._beam_score(history, obs.value)
            if raw is not None and not math.isnan(raw):
                expected, spread = self._baseline(history)
                score = math.copysign(raw, obs.value - median(history))
                is_anomaly = flags(p, score, obs.value - expected)
        verdict = Verdict(
            obs.value,
            expected,
            spread,
            score,
            p.threshold,
            is_anomaly,
            self.name,
            basis=f"trailing {len(history)} windows (Beam {p.algorithm})",
        )
        history.append(obs.value)
        return verdict, {"history": history[-p.history :]}

    def _beam_score(self, history: list[float], value: float) -> float | None:
        import apache_beam as beam  # noqa: PLC0415 - heavy import, only when this detector is used

        detector = self._fresh()
        for v in history:
            detector.learn_one(beam.Row(value=float(v)))
        return detector.score_one(beam.Row(value=float(value)))

    def _fresh(self):
        from apache_beam.ml.anomaly.detectors.iqr import IQR  # noqa: PLC0415
        from apache_beam.ml.anomaly.detectors.robust_zscore import RobustZScore  # noqa: PLC0415
        from apache_beam.ml.anomaly.detectors.zscore import ZScore  # noqa: PLC0415
        from apache_beam.ml.anomaly.univariate.mad import MadTracker  # noqa: PLC0415
        from apache_beam.ml.anomaly.univariate.mean import IncSlidingMeanTracker  # noqa: PLC0415
        from apache_beam.ml.anomaly.univariate.median import MedianTracker  # noqa: PLC0415
        from apache_beam.ml.anomaly.univariate.quantile import BufferedSlidingQuantileTracker  # noqa: PLC0415
        from apache_beam.ml.anomaly.univariate.stdev import IncSlidingStdevTracker  # noqa: PLC0415

        n = self.params.history
        if self.params.algorithm == "ZScore":
            return ZScore(sub_stat_tracker=IncSlidingMeanTracker(n), stdev_tracker=IncSlidingStdevTracker(n))
        if self.params.algorithm == "RobustZScore":
            return RobustZScore(
                mad_tracker=MadTracker(
                    MedianTracker(BufferedSlidingQuantileTracker(n, 0.5)),
                    MedianTracker(BufferedSlidingQuantileTracker(n, 0.5)),
                )
            )
        return IQR(q1_tracker=BufferedSlidingQuantileTracker(n, 0.25))

    def _baseline(self, history: list[float]) -> tuple[float, float]:
        algorithm = self.params.algorithm
        if algorithm == "ZScore":
            return statistics.fmean(history), statistics.stdev(history)
        center = median(history)
        if algorithm == "RobustZScore":
            return center, median([abs(v - center) for v in history]) / 0.6745
        return center, quantile(history, 0.75) - quantile(history, 0.25)
