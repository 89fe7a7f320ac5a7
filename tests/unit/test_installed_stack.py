"""The pinned dependency set has what veilwatch imports, not only what pip check sees.

Beam 2.69/2.70 moved dill, jsonschema and crcmod out of its core dependencies into extras.
Nothing else declares them, so a resolve without them passes ``pip check`` while TFDV fails to
import (tfx-bsl imports dill; the data-validation tests would then skip, not fail), Beam YAML's
runner fails on every pipeline (it validates specs with jsonschema), and every command logs a
crcmod warning. setup.py pins the three; these tests fail when one goes missing.
"""

from __future__ import annotations

import subprocess
import sys


def test_tfdv_imports_with_the_pinned_stack():
    # not importorskip: TFDV is a direct dependency, and a missing transitive import must fail here
    import tensorflow_data_validation  # noqa: F401
    import tfx_bsl.beam  # noqa: F401  (the module that imports dill)


def test_beam_yaml_validates_pipeline_specs():
    from apache_beam.yaml import yaml_transform

    assert yaml_transform.jsonschema is not None


def test_importing_apache_beam_logs_no_missing_package_warning():
    done = subprocess.run(
        [sys.executable, "-c", "import apache_beam"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert [line for line in done.stderr.splitlines() if "not found" in line or "crcmod" in line] == []
