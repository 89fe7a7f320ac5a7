"""Discovery: profile a sample of an unknown feed and propose its dataset config.

Pure logic, no pipeline: :mod:`~veilwatch.transforms.discovery.profile` turns records into
per-field statistics that merge across workers (``ProfileFields`` is the
CombineFn), :mod:`~veilwatch.transforms.discovery.rules` turns statistics into proposals
(type, required, PII infoType and its evidence, transformation, free text,
event time), :mod:`~veilwatch.transforms.discovery.render` writes them as a dataset config
and a table. ``pipelines/discover_pipeline.py`` wires them; ``veilwatch
discover`` runs it.

    from veilwatch.transforms.discovery import FieldProfiles, propose, render_config
    profiles = FieldProfiles()
    for record in records:
        profiles.add(record, engine)              # engine: veilwatch.transforms.detection.DetectionEngine
    proposal = propose(profiles)
    print(render_config(proposal, dataset="orders", source_format="jsonl", source_path="data/*.jsonl"))
"""

from veilwatch.transforms.discovery.profile import FieldProfiles, FieldStats, ProfileFields
from veilwatch.transforms.discovery.render import render_config, render_table
from veilwatch.transforms.discovery.rules import DatasetProposal, FieldProposal, propose

__all__ = [
    "DatasetProposal",
    "FieldProfiles",
    "FieldProposal",
    "FieldStats",
    "ProfileFields",
    "propose",
    "render_config",
    "render_table",
]
