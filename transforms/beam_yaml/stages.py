"""The Beam YAML transforms: thin composites around the stages of the ``veilwatch run`` graph.

    rows -> VeilwatchAnonymize -> anonymized, dead_letter, findings      (AnonymizeRecords)
    anonymized (+ dead_letter) -> VeilwatchWindowMetrics -> metrics      (ComputeWindowMetrics)
    metrics (+ anonymized, dead_letter) -> VeilwatchScore -> scores, flagged  (ScoreSeries)

Each is configured by a dataset config (``config_path`` or ``config`` inline,
as ``veilwatch run --dataset_config``) and reads it, and checks every
parameter, when the pipeline is built: a bad one stops the build with a
message naming the key (:mod:`.params`). The dataset config's ``source`` and
``sinks`` play no part (the YAML pipeline reads and writes), nor does
``data_validation``. Row schemas: :mod:`.rows`.

No ``from __future__ import annotations`` here: Beam YAML reads the
parameters' types from these signatures.
"""

from typing import Any

import apache_beam as beam

from veilwatch.transforms.anomaly.coverage import InputExtent
from veilwatch.transforms.anomaly.score import ScoreSeries
from veilwatch.transforms.anonymize import AnonymizeRecords, ProcessorFactory
from veilwatch.transforms.beam_yaml.params import (
    check_flag,
    check_positive_int,
    check_text,
    dataset_config,
    dead_letter_output,
)
from veilwatch.transforms.beam_yaml.rows import (
    ANONYMIZED,
    ANONYMIZED_ROW,
    DEAD_LETTER,
    DEAD_LETTER_ROW,
    FINDING_ROW,
    SCORE_ROW,
    WINDOW_METRIC_ROW,
    DeadLetterRowsFn,
    RowsToRawBatchFn,
    anonymized_rows,
    field_names,
    finding_rows,
    metric_row,
    score_row,
    to_anonymized_batch,
    window_metric,
)
from veilwatch.transforms.config.errors import ConfigError, ConfigIssue
from veilwatch.transforms.io.sources import DEFAULT_BATCH_SIZE
from veilwatch.transforms.metrics.window_metrics import ComputeWindowMetrics
from veilwatch.transforms.stage_checks import check_keys, check_scanner

FINDINGS = "findings"


class VeilwatchAnonymize(beam.PTransform):
    """Parses, validates and de-identifies records as ``veilwatch run`` does.

    Input: one record per row, as JSON text in ``json_field`` (e.g. ``line``
    from ReadFromText) or, without ``json_field``, the row's own fields.
    Outputs: ``anonymized`` (``record`` as JSON text, ``event_time``,
    ``findings``), ``dead_letter`` (``stage``, ``error``, ``source``,
    ``record`` redacted, ``event_time``) and ``findings`` (where PII was found,
    never the value). Every row read is anonymized, dead-lettered or
    suppressed (``pii.record_suppressions``).

    Args:
      config_path: the dataset config file (local or gs://); or give ``config``.
      config: the dataset config inline (a mapping); or give ``config_path``.
      json_field: the field holding each record's JSON text; unset: the row is the record.
      keyset: the keyset file, in place of the config's ``keys.keyset``.
      kms_key_uri: the KMS key that wraps the keyset, in place of ``keys.kms_key_uri``.
      allow_plaintext_keys: accept an unwrapped keyset (local runs and tests only).
      batch_size: records per batch inside the stage.
      error_handling: ``{output: NAME}`` names the dead-letter output (default ``dead_letter``).
    """

    def __init__(
        self,
        config_path: str | None = None,
        config: Any | None = None,
        json_field: str | None = None,
        keyset: str | None = None,
        kms_key_uri: str | None = None,
        allow_plaintext_keys: bool = False,
        batch_size: int = DEFAULT_BATCH_SIZE,
        error_handling: Any | None = None,
    ):
        super().__init__()
        self.json_field = check_text("json_field", json_field)
        self.allow_plaintext_keys = check_flag("allow_plaintext_keys", allow_plaintext_keys)
        self.batch_size = check_positive_int("batch_size", batch_size)
        self.dead_letter_name = dead_letter_output(error_handling, DEAD_LETTER)
        if self.dead_letter_name in (ANONYMIZED, FINDINGS):
            raise ConfigError(
                ConfigIssue("error_handling.output", f"must differ from {ANONYMIZED} and {FINDINGS}")
            )
        self.config = dataset_config(
            config_path, config, check_text("keyset", keyset), check_text("kms_key_uri", kms_key_uri)
        )
        # the keys and the detection engine load (StageCheckError naming the key), as `veilwatch run` checks
        check_keys(self.config, self.allow_plaintext_keys)
        check_scanner(self.config)

    def expand(self, rows: beam.PCollection) -> dict:
        names = field_names(rows)
        if self.json_field is not None and names is not None and self.json_field not in names:
            raise ConfigError(ConfigIssue("json_field", "names no field of the input rows"))
        config = self.config
        anon = (
            rows
            | "Batch" >> beam.BatchElements(min_batch_size=self.batch_size, max_batch_size=self.batch_size)
            | "ToRawBatches" >> beam.ParDo(RowsToRawBatchFn(self.json_field, config.source.max_record_bytes))
            | "Anonymize" >> AnonymizeRecords(config, ProcessorFactory(config, self.allow_plaintext_keys))
        )
        return {
            ANONYMIZED: anon.anonymized
            | "AnonymizedRows" >> beam.FlatMap(anonymized_rows).with_output_types(ANONYMIZED_ROW),
            self.dead_letter_name: anon.dead_letters
            | "DeadLetterRows" >> beam.ParDo(DeadLetterRowsFn(config)).with_output_types(DEAD_LETTER_ROW),
            FINDINGS: anon.findings
            | "FindingRows" >> beam.FlatMap(finding_rows).with_output_types(FINDING_ROW),
        }


class VeilwatchWindowMetrics(beam.PTransform):
    """Computes the dataset config's metrics per event-time window, as ``veilwatch run`` does.

    Input: VeilwatchAnonymize's ``anonymized`` rows, or a map of them
    (``anonymized``) and its dead letters (``dead_letter``, for
    ``dead_letter_rate``). Output: one row per metric, group and window
    (``metric``, ``group_by``, ``group``, ``window_start``, ``window_end``,
    ``value``, ``detail``, ``series_key``).

    Args:
      config_path: the dataset config file (local or gs://); or give ``config``.
      config: the dataset config inline (a mapping); or give ``config_path``.
      batch_size: records per batch inside the stage.
    """

    def __init__(
        self,
        config_path: str | None = None,
        config: Any | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ):
        super().__init__()
        self.batch_size = check_positive_int("batch_size", batch_size)
        self.config = dataset_config(config_path, config)

    def expand(self, inputs: Any) -> beam.PCollection:
        batches = _anonymized_batches(
            _named_inputs(inputs, ANONYMIZED, (ANONYMIZED, DEAD_LETTER)), self.batch_size
        )
        return (
            batches
            | "WindowMetrics" >> ComputeWindowMetrics(self.config)
            | "MetricRows" >> beam.Map(metric_row).with_output_types(WINDOW_METRIC_ROW)
        )


class VeilwatchScore(beam.PTransform):
    """Scores each window metric against its series' baseline, as ``veilwatch run`` does.

    Input: VeilwatchWindowMetrics' rows, or a map of them (``metrics``) with
    VeilwatchAnonymize's ``anonymized`` (and ``dead_letter``) rows, whose
    first and last event time leave the windows the input only partly covers
    unscored (bounded input). Outputs: ``scores`` (every scored window) and
    ``flagged`` (the anomalous ones), with the fields of ``scores/``.

    Args:
      config_path: the dataset config file (local or gs://); or give ``config``.
      config: the dataset config inline (a mapping); or give ``config_path``.
      batch_size: records per batch when reading the input's extent.
    """

    def __init__(
        self,
        config_path: str | None = None,
        config: Any | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ):
        super().__init__()
        self.batch_size = check_positive_int("batch_size", batch_size)
        self.config = dataset_config(config_path, config)

    def expand(self, inputs: Any) -> dict:
        named = _named_inputs(inputs, "metrics", ("metrics", ANONYMIZED, DEAD_LETTER))
        _require_fields(named["metrics"], "metrics", WINDOW_METRIC_ROW)
        records = {k: v for k, v in named.items() if k != "metrics"}
        extent = None
        if ANONYMIZED in records and all(p.is_bounded for p in records.values()):
            extent = _anonymized_batches(records, self.batch_size) | "InputExtent" >> InputExtent()
        scores = (
            named["metrics"]
            | "ToWindowMetrics" >> beam.Map(window_metric)
            | "Score" >> ScoreSeries.for_config(self.config, extent)
            | "ScoreRows" >> beam.Map(score_row).with_output_types(SCORE_ROW)
        )
        flagged = scores | "KeepAnomalies" >> beam.Filter(lambda row: row.is_anomaly).with_output_types(
            SCORE_ROW
        )
        return {"scores": scores, "flagged": flagged}


def _named_inputs(inputs: Any, main: str, allowed: tuple) -> dict:
    """One PCollection (the ``main`` input) or a map of inputs named from ``allowed``."""
    if isinstance(inputs, beam.PCollection):
        return {main: inputs}
    if not isinstance(inputs, dict) or main not in inputs or not set(inputs) <= set(allowed):
        raise ConfigError(
            ConfigIssue(
                "input",
                f"must be one PCollection or a map with {main} "
                f"and optionally {', '.join(a for a in allowed if a != main)}",
            )
        )
    return dict(inputs)


def _require_fields(pcoll: beam.PCollection, name: str, row_type) -> None:
    """Input ``name`` must carry the fields of ``row_type`` (when its element type says)."""
    names = field_names(pcoll)
    missing = [f for f, _ in row_type._fields if names is not None and f not in names]
    if missing:
        raise ConfigError(ConfigIssue(f"input.{name}", f"lacks the fields {', '.join(missing)}"))


def _anonymized_batches(named: dict, batch_size: int) -> beam.PCollection:
    """Anonymized rows (and dead-letter rows) -> AnonymizedBatch es, as the stages after
    AnonymizeRecords take them."""
    _require_fields(named[ANONYMIZED], ANONYMIZED, ANONYMIZED_ROW)
    tagged = [named[ANONYMIZED] | f"Tag{ANONYMIZED}" >> beam.Map(lambda row: (ANONYMIZED, row))]
    if DEAD_LETTER in named:
        _require_fields(named[DEAD_LETTER], DEAD_LETTER, DEAD_LETTER_ROW)
        tagged.append(named[DEAD_LETTER] | f"Tag{DEAD_LETTER}" >> beam.Map(lambda row: (DEAD_LETTER, row)))
    return (
        tagged
        | "AllRows" >> beam.Flatten()
        | "Batch" >> beam.BatchElements(min_batch_size=batch_size, max_batch_size=batch_size)
        | "ToAnonymizedBatches" >> beam.Map(to_anonymized_batch)
    )
