"""Secrets that leak into logs: JSON_WEB_TOKEN, AUTH_TOKEN, GCP_API_KEY, AWS_CREDENTIALS, ENCRYPTION_KEY.

These have vendor-fixed prefixes (``AIza``, ``AKIA``, ``eyJ`` = base64 of
``{"``), so the patterns are precise; a JWT must also decode to a JSON header
with an ``alg``. PEM private-key blocks are reported whole (header to footer).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator

from veilwatch.transforms.detection.findings import Finding, Likelihood
from veilwatch.transforms.detection.recognizer import Recognizer, RegexRecognizer

# One gate for the whole family: every secret pattern below contains one of
# these, so a text without any of them skips all of them after one search.
SECRETS_GATE = (
    "eyJ",
    "AIza",
    "AKIA",
    "ASIA",
    "AGPA",
    "AIDA",
    "AROA",
    "ANPA",
    "ANVA",
    "AIPA",
    "ecret",
    "ECRET",
    "earer",
    "EARER",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "xox",
    "sk_live_",
    "glpat-",
    "-----BEGIN",
)


def _jwt_valid(token: str) -> bool:
    header = token.split(".", 1)[0]
    try:
        decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return False
    return isinstance(decoded, dict) and "alg" in decoded


JWT = RegexRecognizer(
    "JSON_WEB_TOKEN",
    r"(?<![\w\-])eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{0,1024}(?![\w\-])",
    likelihood=Likelihood.VERY_LIKELY,
    validator=_jwt_valid,
    gate=SECRETS_GATE,
)

GCP_API_KEY = RegexRecognizer(
    "GCP_API_KEY",
    r"(?<![\w\-])AIza[0-9A-Za-z_\-]{35}(?![\w\-])",
    likelihood=Likelihood.VERY_LIKELY,
    gate=SECRETS_GATE,
)

# Access key ids by prefix (AKIA long-term, ASIA temporary ...); secret access
# keys have no prefix, so they need their usual key name right before them.
AWS = [
    RegexRecognizer(
        "AWS_CREDENTIALS",
        r"(?<![A-Z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z2-7]{16}(?![A-Z0-9])",
        likelihood=Likelihood.LIKELY,
        gate=SECRETS_GATE,
    ),
    RegexRecognizer(
        "AWS_CREDENTIALS",
        r"(?i:aws_?secret_?access_?key|secret_?access_?key)[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])",
        likelihood=Likelihood.VERY_LIKELY,
        group=1,
        gate=SECRETS_GATE,
    ),
]

AUTH_TOKENS = [
    RegexRecognizer(  # HTTP Authorization header values
        "AUTH_TOKEN",
        r"(?i:\bbearer\s+)([A-Za-z0-9\-._~+/]{16,}=*)",
        likelihood=Likelihood.LIKELY,
        group=1,
        gate=SECRETS_GATE,
    ),
    RegexRecognizer(  # GitHub, Slack, Stripe and GitLab tokens have fixed prefixes
        "AUTH_TOKEN",
        r"(?<![\w\-])(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{40,255}|xox[abposr]-[A-Za-z0-9\-]{10,250}"
        r"|sk_live_[A-Za-z0-9]{24,99}|glpat-[A-Za-z0-9_\-]{20})(?![\w\-])",
        likelihood=Likelihood.VERY_LIKELY,
        gate=SECRETS_GATE,
    ),
]


class PemPrivateKeyRecognizer(Recognizer):
    """``-----BEGIN ... PRIVATE KEY-----`` blocks up to their footer (or the text's end)."""

    info_types = ("ENCRYPTION_KEY",)
    gate = SECRETS_GATE
    _header = re.compile(r"-----BEGIN ([A-Z ]*)PRIVATE KEY-----")
    prefilter_patterns = ((_header.pattern, 0),)

    def find(self, text: str) -> Iterator[Finding]:
        for match in self._header.finditer(text):
            footer = f"-----END {match.group(1)}PRIVATE KEY-----"
            end = text.find(footer, match.end())
            end = len(text) if end < 0 else end + len(footer)
            yield Finding(match.start(), end, "ENCRYPTION_KEY", Likelihood.VERY_LIKELY)


def recognizers() -> list[Recognizer]:
    """The secrets family."""
    return [JWT, GCP_API_KEY, *AWS, *AUTH_TOKENS, PemPrivateKeyRecognizer()]
