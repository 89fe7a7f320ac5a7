"""Local PII detection: a Cloud DLP-style infoType catalog with validation, context and overlap rules.

Pure Python (no Beam): the DoFns wrap it. Public API:

    from veilwatch.transforms.detection import DetectionEngine, DetectionSettings, parse_detection_settings
    engine = DetectionEngine(parse_detection_settings(config.get("detection"), "detection"))
    for f in engine.scan(text):
        print(f.start, f.end, f.info_type, f.likelihood.name)   # never log text[f.start:f.end]
"""

from veilwatch.transforms.detection.catalog import DEFAULT_CATALOG, DEFAULT_HOTWORDS
from veilwatch.transforms.detection.engine import DetectionEngine
from veilwatch.transforms.detection.findings import Finding, Likelihood
from veilwatch.transforms.detection.recognizer import Recognizer, RegexRecognizer
from veilwatch.transforms.detection.settings import DetectionSettings, parse_detection_settings

__all__ = [
    "DEFAULT_CATALOG",
    "DEFAULT_HOTWORDS",
    "DetectionEngine",
    "DetectionSettings",
    "Finding",
    "Likelihood",
    "Recognizer",
    "RegexRecognizer",
    "parse_detection_settings",
]
