"""Packaging for veilwatch.

The same ``setup.py`` ships the code to Dataflow workers (``--setup_file``)
and installs the ``veilwatch`` console script. Direct dependencies are
pinned here; ``constraints.txt`` pins the whole resolved set so that pip never
backtracks. apache-beam's version must match ``templates/Dockerfile``.
"""
from setuptools import find_packages, setup

INSTALL_REQUIRES = [
    "apache-beam[gcp]==2.64.0",  # must match templates/Dockerfile
    "tensorflow-data-validation==1.16.1",  # newest that installs on Python 3.11 with Beam 2.64
    "google-cloud-dlp==3.38.0",
    "google-cloud-kms==3.14.0",  # KMS-wrapped keysets (keys.kms_key_uri)
    "google-cloud-secret-manager==2.29.0",  # keysets in Secret Manager (secretmanager://...)
    "tink==1.10.0",  # newest tink that fits protobuf < 5 (pinned by TFDV)
    "cryptography==50.0.2",
    "pyyaml==6.0.4",
    "fastavro==1.13.1",
    "pyarrow==10.0.1",
    "phonenumbers==9.0.43",
    "python-stdnum==2.2",
    "hyperscan==0.9.1",  # one native multi-pattern pass gates the PII recognizers (wheel bundles the library)
]

TEST_REQUIRES = [
    "pytest==9.2.0",
    "hypothesis==6.170.17",
]

setup(
    name="veilwatch",
    version="0.1.0",
    description="Beam pipeline template: de-identify PII in records and flag anomalous windows.",
    python_requires=">=3.11,<3.12",
    packages=find_packages(include=["pipelines", "pipelines.*", "transforms", "transforms.*"]),
    package_data={"pipelines": ["py.typed"], "transforms": ["py.typed"]},
    install_requires=INSTALL_REQUIRES,
    extras_require={
        "test": TEST_REQUIRES,
        # Optional named-entity recognizer (PERSON_NAME, LOCATION, ORGANIZATION); the
        # user installs a spaCy model separately (none can be downloaded in CI).
        "ner": ["spacy>=3.7,<3.9"],
    },
    entry_points={"console_scripts": ["veilwatch = pipelines.cli:main"]},
)
