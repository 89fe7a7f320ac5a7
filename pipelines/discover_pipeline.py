"""The discovery graph: read a feed, sample N records, profile every field, write a proposed config.

    files -> ReadRawBatches -> records (unparseable ones counted and skipped)
          -> Sample.FixedSizeGlobally(N) -> ProfileFields (CombineFn, merged across workers)
          -> propose -> proposed.yaml

``build_pipeline`` returns the merged :class:`~veilwatch.transforms.discovery.FieldProfiles`
PCollection (one element), exposed for testing; ``write_proposal`` adds the
step that writes the YAML through Beam's FileSystems (local or ``gs://``).
"""

from __future__ import annotations

from collections.abc import Iterator

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from veilwatch.transforms.config.model import SourceSpec
from veilwatch.transforms.discovery import FieldProfiles, ProfileFields, propose, render_config
from veilwatch.transforms.io.sources import RawBatch, ReadRawBatches
from veilwatch.transforms.records.errors import RecordError
from veilwatch.transforms.records.parse import parse_payload


class ParseRecordsFn(beam.DoFn):
    """RawBatch -> its records; what cannot be read or parsed is counted, not sampled."""

    def __init__(self) -> None:
        self.parsed = Metrics.counter(self.__class__, "records_parsed")
        self.unparseable = Metrics.counter(self.__class__, "records_unparseable")
        self.unreadable_files = Metrics.counter(self.__class__, "files_unreadable")

    def process(self, batch: RawBatch) -> Iterator[dict]:
        if batch.file_errors:  # a file that cannot be read is skipped; the sample comes from the rest
            self.unreadable_files.inc(len(batch.file_errors))
        for item in batch.items:
            try:
                record = parse_payload(item.payload, item.error)
            except RecordError:
                self.unparseable.inc()
                continue
            self.parsed.inc()
            yield record


class ProfileSample(beam.PTransform):
    """records -> one FieldProfiles over a uniform random sample of ``sample_size`` of them."""

    def __init__(self, sample_size: int) -> None:
        super().__init__()
        self.sample_size = sample_size

    def expand(self, records: beam.PCollection[dict]) -> beam.PCollection[FieldProfiles]:
        return (
            records
            | "Sample" >> beam.combiners.Sample.FixedSizeGlobally(self.sample_size)
            | "Unpack" >> beam.FlatMap(lambda sample: sample)
            | "Profile" >> beam.CombineGlobally(ProfileFields())
        )


def build_pipeline(
    pipeline: beam.Pipeline, source: SourceSpec, sample_size: int
) -> beam.PCollection[FieldProfiles]:
    """Adds reading and profiling to ``pipeline``; returns the merged profile (one element)."""
    return (
        pipeline
        | "Read" >> ReadRawBatches(source)
        | "Parse" >> beam.ParDo(ParseRecordsFn())
        | "ProfileSample" >> ProfileSample(sample_size)
    )


def _write(text: str, path: str) -> str:
    with FileSystems.create(path) as handle:
        handle.write(text.encode("utf-8"))
    return path


def write_proposal(
    profiles: beam.PCollection[FieldProfiles],
    output: str,
    *,
    min_hit_rate: float,
    dataset: str,
    source_format: str,
    source_path: str,
    keyset: str | None,
    csv_delimiter: str | None,
) -> beam.PCollection[str]:
    """Adds "propose and write ``output``" after ``profiles``."""

    def render(profile: FieldProfiles) -> str:
        proposal = propose(profile, min_hit_rate=min_hit_rate, strings_only=source_format == "csv")
        return render_config(
            proposal,
            dataset=dataset,
            source_format=source_format,
            source_path=source_path,
            keyset=keyset,
            csv_delimiter=csv_delimiter,
        )

    return profiles | "Propose" >> beam.Map(render) | "WriteConfig" >> beam.Map(_write, output)
