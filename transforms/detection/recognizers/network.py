"""EMAIL_ADDRESS, URL, DOMAIN_NAME, IP_ADDRESS and MAC_ADDRESS.

IP addresses are validated with the standard library's ``ipaddress`` (octet
ranges, IPv6 compression, embedded IPv4, zone ids). Bare domains are flagged
only with a known top-level domain, so ``file.txt`` or ``Mr.Smith`` are not
domains; a URL with a scheme or ``www.`` accepts any TLD.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from veilwatch.transforms.detection.findings import Finding, Likelihood
from veilwatch.transforms.detection.recognizer import Recognizer, RegexRecognizer
from veilwatch.transforms.detection.validators import ip_address_valid

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
_TLD = r"(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9\-]{1,59})"

EMAIL = RegexRecognizer(
    "EMAIL_ADDRESS",
    rf"[A-Za-z0-9](?:[A-Za-z0-9._%+\-]{{0,63}}[A-Za-z0-9_%+\-])?@(?:{_LABEL}\.)+{_TLD}(?![\w\-]|\.\w)",
    likelihood=Likelihood.LIKELY,
    gate="@",
    not_after=".%+-",
)

# Common generic TLDs; every two-letter TLD (country codes) is accepted too.
# Deliberately short: a bare "name.word" is only a domain if "word" is a TLD
# people actually register under, which keeps "config.yaml" out.
_GENERIC_TLDS = (
    "com|org|net|edu|gov|mil|int|info|biz|name|pro|mobi|app|dev|io|ai|cloud|online|site|"
    "store|shop|tech|xyz|blog|news|media|email|web|page|live|website|space|club|agency|"
    "company|services|solutions|digital|network|systems|group|global|world|today|"
    "museum|travel|jobs|aero|coop|asia|tel|post|cat"
)
_CC_TLD_EXCLUDED = "(?!(?:js|py|rb|md|sh|pl|cs|go|rs|ts|db|gz|bz|xz|mp|ps|so|dll|ko)\\b)"
_BARE_TLD = rf"(?:(?:{_GENERIC_TLDS})|{_CC_TLD_EXCLUDED}[a-z]{{2}})"

URL = RegexRecognizer(
    "URL",
    r"(?<![\w@/])(?:(?:https?|ftp)://[^\s<>\"'`\]\[{}|\\^]+|www\.(?:"
    + _LABEL
    + r"\.)+"
    + _TLD
    + r"(?:[/?#][^\s<>\"'`{}|\\^]*)?)",
    likelihood=Likelihood.LIKELY,
    gate=("://", "www.", "WWW."),
    flags=re.IGNORECASE,
)


class UrlRecognizer(Recognizer):
    """URLs with a scheme or ``www.``; trailing sentence punctuation is not part of a URL."""

    info_types = ("URL",)
    gate = URL.gate
    prefilter_patterns = URL.prefilter_patterns
    _trailing = ".,;:!?)'\""

    def find(self, text: str) -> Iterator[Finding]:
        for finding in URL.find(text):
            end = finding.end
            while end > finding.start and text[end - 1] in self._trailing:
                end -= 1
            host = text[finding.start : end].split("://", 1)[-1]
            # a scheme needs a host with a dot ("http://microsoft" is not a URL we flag)
            if "." not in host.split("/", 1)[0].strip("."):
                continue
            yield Finding(finding.start, end, "URL", finding.likelihood)


DOMAIN = RegexRecognizer(
    "DOMAIN_NAME",
    rf"(?:{_LABEL}\.)+{_BARE_TLD}(?![\w\-@]|\.\w)",
    likelihood=Likelihood.POSSIBLE,
    not_after="@.-/:",
    gate=r"\.[a-z]{2}",
)

IPV4 = RegexRecognizer(
    "IP_ADDRESS",
    r"(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d{1,3}\.)",
    not_after=".",
    likelihood=Likelihood.LIKELY,
    validator=ip_address_valid,
    gate=r"\d\.\d{1,3}\.\d",
    min_digit_run=1,
)

# a colon right after the address ends it ("blocked 2a02:...:9be6: too many requests"); one followed
# by more hex or colons continues it (or is a port: ambiguous without brackets, not flagged)
IPV6 = RegexRecognizer(
    "IP_ADDRESS",
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{1,4})?(?:%[A-Za-z0-9_\-]+)?(?<![0-9A-Fa-f]:)(?!\w|:[0-9A-Fa-f:]|\.\d)",
    likelihood=Likelihood.LIKELY,
    validator=ip_address_valid,
    gate=r":[0-9A-Fa-f]{0,4}:",
)


def _mac_valid(text: str) -> bool:
    digits = text.replace(":", "").replace("-", "").replace(".", "").lower()
    # all-zero and broadcast are placeholders, not a device's address
    return digits not in ("000000000000", "ffffffffffff")


MAC = RegexRecognizer(
    "MAC_ADDRESS",
    r"(?:[0-9A-Fa-f]{2}([:\-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}"
    r"|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})(?![\w:\-]|\.\w)",
    likelihood=Likelihood.LIKELY,
    validator=_mac_valid,
    not_after=":-.",
    gate=r"[:\-.][0-9A-Fa-f]{2}[:\-.]|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.",
)


def recognizers() -> list[Recognizer]:
    """The network family, in catalog order."""
    return [EMAIL, UrlRecognizer(), DOMAIN, IPV4, IPV6, MAC]
