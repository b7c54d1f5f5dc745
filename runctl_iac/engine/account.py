"""The AWS account applying, for the per-account bucket name suffix (`compiler.names`)."""

from __future__ import annotations

from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity
from runctl_iac.engine.local import FAKE_CREDENTIALS


def caller_account(region: str, endpoint_url: str | None = None) -> str:
    """STS GetCallerIdentity's account id; with `endpoint_url` (the local emulator) fake credentials."""
    import boto3
    import botocore.exceptions

    kwargs: dict[str, str] = {"region_name": region}
    if endpoint_url is not None:
        kwargs.update(
            endpoint_url=endpoint_url,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )
    try:
        return str(boto3.client("sts", **kwargs).get_caller_identity()["Account"])
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        raise DiagnosticError(
            [
                Diagnostic(
                    Severity.ERROR,
                    "E0704",
                    "AWS credentials are missing, invalid or expired "
                    f"(STS GetCallerIdentity: {type(exc).__name__})",
                    hint="log in (`aws sso login`, or export AWS_PROFILE); "
                    "`runctl doctor` shows the account in use",
                )
            ]
        ) from None
