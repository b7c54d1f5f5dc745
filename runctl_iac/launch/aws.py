"""boto3 clients for the launch layer: botocore's adaptive retry mode, the local emulator's endpoint."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runctl_iac.diagnostics import Diagnostic, Severity, without_html

RETRIES = {"mode": "adaptive", "max_attempts": 10}


@dataclass(frozen=True)
class Clients:
    s3: Any
    ssm: Any


def boto_session(region: str, credentials: Mapping[str, str] | None = None) -> Any:
    """A boto3 session; `credentials` (AWS_ACCESS_KEY_ID, ...): the local emulator's fake ones."""
    import boto3

    creds = credentials or {}
    return boto3.session.Session(
        region_name=region,
        aws_access_key_id=creds.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=creds.get("AWS_SECRET_ACCESS_KEY"),
        aws_session_token=creds.get("AWS_SESSION_TOKEN"),
    )


def clients(
    region: str, endpoint_url: str | None = None, credentials: Mapping[str, str] | None = None
) -> Clients:
    """S3 and SSM clients (thread-safe; one pair is shared by every node's thread)."""
    from botocore.config import Config

    config = Config(retries=RETRIES, max_pool_connections=64)
    session = boto_session(region, credentials)
    return Clients(
        s3=session.client("s3", endpoint_url=endpoint_url, config=config),
        ssm=session.client("ssm", endpoint_url=endpoint_url, config=config),
    )


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ClientError ("" for anything else)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def is_aws_failure(exc: BaseException) -> bool:
    """A botocore failure (credentials, endpoint, throttling beyond retries, access denied...)."""
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # pragma: no cover - boto3 is a dependency
        return False
    return isinstance(exc, (BotoCoreError, ClientError))


def failure_diagnostic(exc: BaseException) -> Diagnostic:
    return Diagnostic(
        Severity.ERROR,
        "E0806",
        f"AWS call failed: {without_html(str(exc))}",
        hint="check your AWS credentials and region (aws sts get-caller-identity), "
        "and that the stack is applied",
    )
