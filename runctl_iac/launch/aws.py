"""boto3 clients for the launch layer: botocore's adaptive retry mode, the local emulator's endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

RETRIES = {"mode": "adaptive", "max_attempts": 10}


@dataclass(frozen=True)
class Clients:
    s3: Any
    ssm: Any


def clients(region: str, endpoint_url: str | None = None) -> Clients:
    """S3 and SSM clients (thread-safe; one pair is shared by every node's thread)."""
    import boto3
    from botocore.config import Config

    config = Config(retries=RETRIES, max_pool_connections=64)
    session = boto3.session.Session(region_name=region)
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
