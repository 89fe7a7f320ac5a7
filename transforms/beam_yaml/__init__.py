"""veilwatch's stages as Beam YAML transforms (``VeilwatchAnonymize``, ``VeilwatchWindowMetrics``, ``VeilwatchScore``).

A Beam YAML pipeline declares them through an inline Python provider:

    providers:
      - type: python
        config: {}
        transforms:
          VeilwatchAnonymize: veilwatch.transforms.beam_yaml.VeilwatchAnonymize
          VeilwatchWindowMetrics: veilwatch.transforms.beam_yaml.VeilwatchWindowMetrics
          VeilwatchScore: veilwatch.transforms.beam_yaml.VeilwatchScore

Each is a thin composite around the PTransforms the ``veilwatch run`` graph
uses (:mod:`veilwatch.transforms.anonymize`, :mod:`veilwatch.transforms.metrics.window_metrics`,
:mod:`veilwatch.transforms.anomaly.score`); this package only turns Beam rows into
their elements and back (:mod:`.rows`) and reads the dataset config
(:mod:`.params`). See ``templates/beam_yaml/`` for an example pipeline.
"""

from veilwatch.transforms.beam_yaml.stages import VeilwatchAnonymize, VeilwatchScore, VeilwatchWindowMetrics

__all__ = ["VeilwatchAnonymize", "VeilwatchScore", "VeilwatchWindowMetrics"]
