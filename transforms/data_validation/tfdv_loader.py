"""Import TensorFlow Data Validation without the lines it prints to stderr.

Importing TFDV loads TensorFlow, whose C++ runtime logs CUDA, cuDNN/cuFFT/cuBLAS
and TensorRT lines on a machine without a GPU, and TFDV writes "Unable to import
IPython" when its notebook extras are absent: a dozen lines of noise in every
run's output that hide veilwatch's own. ``TF_CPP_MIN_LOG_LEVEL`` (read once,
when TensorFlow loads) silences the C++ log unless the user set it; the IPython
note is written with ``sys.stderr.write`` during the import and is dropped.

    tfdv = import_tfdv()
"""

from __future__ import annotations

import contextlib
import io
import os
import sys

# 3: C++ errors too (the "Unable to register cuFFT factory" lines are logged as errors).
_QUIET_TF_CPP_LOG_LEVEL = "3"


def import_tfdv():
    """The ``tensorflow_data_validation`` module (ImportError as usual when it is not installed)."""
    if "tensorflow_data_validation" in sys.modules:
        return sys.modules["tensorflow_data_validation"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", _QUIET_TF_CPP_LOG_LEVEL)
    with contextlib.redirect_stderr(io.StringIO()):
        import tensorflow_data_validation as tfdv
    return tfdv
