"""Per-series anomaly scoring engines (pure Python, no Beam needed).

- ``base``: the Detector contract (Observation -> Verdict, JSON-serialisable state).
- ``params``: parameters every detector shares and the flag rule.
- ``stats``: median, quantiles, robust and tail-aware spreads.
- ``detectors/``: ``robust_zscore``, ``ewma``, ``seasonal``, ``iqr``, ``ensemble``,
  ``beam_adapter`` (Beam's ``apache_beam.ml.anomaly`` detectors, state kept as JSON).
- ``registry``: YAML mapping -> validated DetectorSpec -> Detector.
- ``cooldown``: one alert per incident; ``explain``: one-line explanations.
"""
