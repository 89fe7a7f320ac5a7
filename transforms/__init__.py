"""Reusable veilwatch transforms and the pure-Python engines under them.

Layering: engines (config model, de-identification primitives, detectors,
metrics) are plain Python and unit-tested without Beam; thin DoFns and
composite PTransforms wrap them. Nothing here imports ``pipelines``.
The full layer order (element types at the bottom, composites at the top) is
written down and enforced in ``tests/test_layering.py`` (README: Layout).
"""
