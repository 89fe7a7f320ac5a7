"""Can the anonymizing stage run with this config? Its keys and its detection engine, checked up front.

The stage builds its keys and scanner on the workers (``setup()``), where a
missing keyset or NER model would fail every bundle. These checks build the
same things once, before any pipeline object exists, so a bad config stops
with a message naming the key (never a value): ``veilwatch run`` and
``reidentify`` (``pipelines/preflight.py``) and the Beam YAML transforms
(:mod:`veilwatch.transforms.beam_yaml`) run them.
"""

from __future__ import annotations

from veilwatch.transforms.anonymize import load_keys
from veilwatch.transforms.config.model import DatasetConfig
from veilwatch.transforms.deid.base import TransformationError
from veilwatch.transforms.deid.crypto.errors import CryptoError
from veilwatch.transforms.deid.crypto_key import CryptoKeyError
from veilwatch.transforms.deid.record_deidentifier import RecordDeidentifier
from veilwatch.transforms.keys.keyring import KeysetError
from veilwatch.transforms.processing.record_processor import build_scanner


class StageCheckError(ValueError):
    """The stage cannot run with the config; the message names the key and what is wrong."""


def check_keys(config: DatasetConfig, allow_plaintext_keys: bool, key_id: int | None = None) -> None:
    """Load the keyset (file, KMS, Secret Manager) and build every transformation with it,
    so a missing, unreadable or wrong-type key stops the run here, before any output."""
    try:
        keys = load_keys(config, allow_plaintext_keys)
        if keys is not None and key_id is not None:
            keys = keys.pinned(key_id)
        RecordDeidentifier(config.pii, keys, scanner=_NoScanner())
    except KeysetError as exc:
        raise StageCheckError(f"keys.keyset: {exc}") from None
    except CryptoKeyError as exc:  # a DLP cryptoKey: the message names its config path
        raise StageCheckError(str(exc)) from None
    except (CryptoError, TransformationError, LookupError) as exc:
        raise StageCheckError(f"pii: a transformation cannot be built with the keyset ({exc})") from None


class _NoScanner:
    """Stands in for the detection engine: check_keys only builds the primitives."""

    def scan(self, text: str) -> list:
        return []

    def text_too_long(self, text: str) -> bool:
        return False


def check_scanner(config: DatasetConfig) -> None:
    """The detection engine loads, with the NER model when the config's scope has names in it."""
    from veilwatch.transforms.detection.ner import NerUnavailable

    try:
        build_scanner(config)
    except ImportError as exc:
        raise StageCheckError(
            f"pii.scan_fields: the detection engine cannot be loaded ({exc.name})"
        ) from None
    except NerUnavailable as exc:
        raise StageCheckError(
            f"pii.detection.use_ner: scanned text is searched for PERSON_NAME, LOCATION and ORGANIZATION_NAME, "
            f"but {exc} (or set pii.detection.use_ner: false to scan without them)"
        ) from None
