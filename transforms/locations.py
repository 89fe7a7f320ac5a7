"""Where a path points: a URI Beam's FileSystems resolves (``gs://``, ``s3://`` ...) or a local file."""

from __future__ import annotations


def is_uri(path: str) -> bool:
    """Whether ``path`` is a URI (``scheme://...``) rather than a local path: relative URIs are
    joined with ``/`` whatever the OS, and local-only checks (does it exist here?) skip them."""
    return "://" in path
