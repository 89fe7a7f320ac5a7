"""``veilwatch generate-sample``: write a seeded sample feed and the labels of its anomalies.

    veilwatch generate-sample --dataset payments --days 6 --anomalies all \
        --out /tmp/payments.jsonl --labels /tmp/payments.labels.json
"""

from __future__ import annotations

import argparse

from veilwatch.pipelines import sample_data

NAME = "generate-sample"
HELP = "Write a realistic sample dataset (JSONL) with labelled injected anomalies."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", choices=sample_data.DATASETS, required=True)
    parser.add_argument("--out", required=True, help="JSONL file to write")
    parser.add_argument("--labels", help="JSON file for the injected anomalies' labels")
    parser.add_argument("--days", type=int, default=5, help="days of data (default 5)")
    parser.add_argument("--per_hour", type=float, default=40.0, help="average records per hour (default 40)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--anomalies",
        choices=("default", "all", "none"),
        default="default",
        help="which anomalies to inject (default: the demo's one)",
    )
    parser.add_argument(
        "--records", type=int, help="write exactly this many records, no anomalies (benchmarks)"
    )


def main(args: argparse.Namespace) -> int:
    labels: list[sample_data.Label]
    if args.records:
        records, labels = list(sample_data.iter_bulk(args.dataset, args.records, args.seed)), []
    else:
        chosen = {"default": sample_data.DEFAULT_ANOMALIES, "all": sample_data.ALL_ANOMALIES}.get(
            args.anomalies, {}
        )
        records, labels = sample_data.generate(
            args.dataset,
            days=args.days,
            seed=args.seed,
            base_per_hour=args.per_hour,
            anomalies=chosen.get(args.dataset, ()),
        )
    sample_data.write_jsonl(args.out, records)
    if args.labels:
        sample_data.write_labels(args.labels, labels)
    print(
        f"wrote {len(records):,} {args.dataset} records to {args.out}"
        + (f", {len(labels)} labels" if labels else "")
    )
    return 0
