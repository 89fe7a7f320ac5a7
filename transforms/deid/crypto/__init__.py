"""Pure-Python crypto core of the de-identification primitives (no Beam).

* :mod:`.ff1`: NIST SP 800-38G Rev. 1 FF1 format-preserving encryption.
* :mod:`.aes_siv`: RFC 5297 AES-SIV deterministic authenticated encryption.
* :mod:`.fpe_alphabets`: DLP's FFX alphabets (common, custom, radix).
* :mod:`.surrogate`: DLP's ``NAME(<length>):<token>`` surrogate annotation.
* :mod:`.tweak`: DLP's encoding of a context field value as a tweak.
* :mod:`.errors`: the errors all of these raise (``ValueError`` subclasses
  whose messages never contain keys or values).

Objects here hold key material: build them in a DoFn's ``setup()``; they
refuse to be pickled.
"""

from veilwatch.transforms.deid.crypto.aes_siv import AesSiv
from veilwatch.transforms.deid.crypto.errors import (
    AuthenticationError,
    CryptoError,
    DomainTooSmallError,
    InvalidInputError,
    InvalidKeyError,
    InvalidParameterError,
)
from veilwatch.transforms.deid.crypto.ff1 import FF1
from veilwatch.transforms.deid.crypto.fpe_alphabets import FfxCommonNativeAlphabet, resolve_alphabet
from veilwatch.transforms.deid.crypto.surrogate import (
    SurrogateScanner,
    SurrogateToken,
    annotate,
    parse_annotated,
)

__all__ = [
    "AesSiv",
    "AuthenticationError",
    "CryptoError",
    "DomainTooSmallError",
    "FF1",
    "FfxCommonNativeAlphabet",
    "InvalidInputError",
    "InvalidKeyError",
    "InvalidParameterError",
    "SurrogateScanner",
    "SurrogateToken",
    "annotate",
    "parse_annotated",
    "resolve_alphabet",
]
