"""veilwatch's pipeline options (also the flex template's parameters).

    veilwatch run --dataset_config gs://cfg/payments.yaml --input 'gs://in/*.jsonl' \
        --output_dir gs://out/run1 --runner DataflowRunner --project P --region R
"""
from __future__ import annotations

from apache_beam.options.pipeline_options import PipelineOptions


class VeilwatchOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser) -> None:
        parser.add_argument("--dataset_config", required=True,
                            help="Dataset config YAML (local path or gs:// URI).")
        parser.add_argument("--input", default=None,
                            help="Input file pattern; overrides source.path of the config.")
        parser.add_argument("--output_dir", default=None,
                            help="Output directory; overrides sinks.output_dir of the config.")
        parser.add_argument("--keyset", default=None,
                            help="tink keyset (path or URI); overrides keys.keyset of the config.")
        parser.add_argument("--allow_plaintext_keys", action="store_true", default=False,
                            help="Allow a plaintext (not KMS-wrapped) keyset. For local runs and tests only.")
        parser.add_argument("--batch_size", type=int, default=1000,
                            help="Records per batch element (runner overhead is paid once per batch).")
