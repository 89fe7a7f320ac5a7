"""Flex template entry point: ``python main.py --dataset_config gs://... [--option ...]`` is ``veilwatch run ...``.

The Dataflow flex template launcher runs this file (``FLEX_TEMPLATE_PYTHON_PY_FILE``
in ``templates/Dockerfile``) with each template parameter as ``--name=value``.
"""

import logging
import sys

from veilwatch.pipelines.cli import main

if __name__ == "__main__":
    logging.getLogger().setLevel(logging.INFO)
    sys.exit(main(["run", *sys.argv[1:]]))
