"""The google-cloud-dlp client for the DLP engine, and where it points.

Global requests go to ``dlp.googleapis.com``; a regional location uses DLP's
regional endpoint ``dlp.<location>.rep.googleapis.com`` (data stays in that
region; the parent is ``projects/P/locations/<location>``). ``pii.dlp.endpoint``
overrides the host (a private endpoint, or a test server).

The client comes from :data:`CLIENT_FACTORIES` (as the KMS client of
``veilwatch.transforms.keys.cloud``): a test supplies one on an insecure channel to an
in-process server; nothing else differs from a production call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from veilwatch.transforms.config.model import DlpEngineSpec

GLOBAL_ENDPOINT = "dlp.googleapis.com"
# Seconds one content.* call may take before DEADLINE_EXCEEDED (then retried with backoff).
CALL_TIMEOUT_SECONDS = 120.0


def endpoint_for(spec: DlpEngineSpec) -> str:
    if spec.endpoint:
        return spec.endpoint
    if spec.location == "global":
        return GLOBAL_ENDPOINT
    return f"dlp.{spec.location}.rep.googleapis.com"


def parent_for(spec: DlpEngineSpec) -> str:
    return f"projects/{spec.project}/locations/{spec.location}"


def _default_client(spec: DlpEngineSpec) -> Any:
    from google.cloud import dlp_v2

    return dlp_v2.DlpServiceClient(client_options={"api_endpoint": endpoint_for(spec)})


# name -> factory of the DlpServiceClient for a DlpEngineSpec.
CLIENT_FACTORIES: dict[str, Callable[[DlpEngineSpec], Any]] = {"dlp": _default_client}


class DlpClientError(RuntimeError):
    """The client could not be created; the message is safe to print."""


def build_client(spec: DlpEngineSpec) -> Any:
    try:
        return CLIENT_FACTORIES["dlp"](spec)
    except ImportError:
        raise DlpClientError("google-cloud-dlp is not installed (needed for pii.engine dlp)") from None
    except Exception as exc:  # noqa: BLE001 - credentials and transport errors; type only
        raise DlpClientError(
            f"cannot create the Cloud DLP client ({type(exc).__name__}); "
            "check the application default credentials"
        ) from None
