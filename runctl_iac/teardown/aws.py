"""boto3 clients for the teardown layer: one session, cached thread-safe clients, adaptive retries.

boto3 is imported when a `Clients` is made, never at module import, so the CLI
answers `--help` without it. Endpoints follow boto3's own settings
(`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`, profiles), which is how the
tests point everything at a moto server.

Retries: botocore's `adaptive` mode (standard retries plus client-side rate
limiting when AWS throttles), so a sweep of hundreds of resources slows down
instead of failing. Clients are thread-safe once created; sessions are not, so
creation happens under a lock. (boto3 docs, "Multithreading or multiprocessing
with clients"; botocore docs, "Retries: adaptive retry mode".)
"""

from __future__ import annotations

import threading
from typing import Any

from runctl_iac.diagnostics import without_html

MAX_ATTEMPTS = 10
WORKERS = 8  # bound on concurrent AWS calls (listing and deleting)


class AwsError(Exception):
    """An AWS call failed in a way the user must fix (credentials, permissions, connection)."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ClientError, or the exception's class name."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if code:
            return str(code)
    return type(exc).__name__


def short_error(exc: BaseException) -> str:
    """`Code: message` on one line (no request ids, no credentials)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        err = response.get("Error", {})
        message = without_html(str(err.get("Message", "")))
        return f"{err.get('Code', type(exc).__name__)}: {message}".strip().rstrip(":")
    text = without_html(str(exc)).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


AUTH_CODES = {
    "AuthFailure",
    "UnauthorizedOperation",
    "AccessDenied",
    "AccessDeniedException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "NoCredentialsError",
    "EndpointConnectionError",
}


def as_aws_error(exc: BaseException, doing: str) -> AwsError:
    code = error_code(exc)
    if code in ("NoCredentialsError", "PartialCredentialsError"):
        hint = "configure AWS credentials (AWS_PROFILE, environment variables, or OIDC in CI)"
    elif code == "EndpointConnectionError":
        hint = "check the network and the region name"
    else:
        hint = "the identity needs read access to EC2, IAM, SSM, S3 and the Resource Groups Tagging API"
    return AwsError(f"{doing}: {short_error(exc)}", hint)


class Clients:
    """One boto3 session and a cache of clients per (service, region)."""

    def __init__(self, session: Any = None, endpoint_url: str | None = None) -> None:
        import boto3
        from botocore.config import Config

        self.session = session or boto3.session.Session()
        self.config = Config(
            retries={"mode": "adaptive", "max_attempts": MAX_ATTEMPTS},
            max_pool_connections=WORKERS * 2,
            connect_timeout=10,
            read_timeout=60,
        )
        self.endpoint_url = endpoint_url  # the local emulator's, for `--local`
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], Any] = {}

    @property
    def default_region(self) -> str | None:
        region: str | None = self.session.region_name
        return region

    def get(self, service: str, region: str) -> Any:
        with self._lock:
            key = (service, region)
            if key not in self._cache:
                self._cache[key] = self.session.client(
                    service, region_name=region, config=self.config, endpoint_url=self.endpoint_url
                )
            return self._cache[key]
