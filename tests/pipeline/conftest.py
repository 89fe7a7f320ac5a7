"""Fixtures shared by the pipeline tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def fake(monkeypatch):
    """An in-process DlpService (tests/support/fake_dlp.py) that every DLP client of the run talks to."""
    from tests.support.fake_dlp import FakeDlp
    from veilwatch.transforms.dlp import client

    server = FakeDlp()
    monkeypatch.setitem(client.CLIENT_FACTORIES, "dlp", lambda spec: server.client(spec.endpoint))
    yield server
    server.stop()
