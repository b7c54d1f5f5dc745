"""The explicit AWS provider: region, default tags, and the local-emulator settings."""

from __future__ import annotations

from typing import Any

from runctl_iac.compiler.context import Context
from runctl_iac.compiler.graph import Config

PROVIDER_ID = "provider.aws"
PROVIDER_TYPE = "pulumi:providers:aws"

# Default URL of the local AWS emulator (moto server) for `target: local`; the program may override it.
LOCAL_ENDPOINT = "http://127.0.0.1:5000"
# Every AWS service the Graph can touch (resources and invokes), pointed at the emulator for `target: local`.
LOCAL_SERVICES = ("ec2", "iam", "s3", "ssm", "sts")
LOCAL_CREDENTIAL = "test"  # moto accepts any key; not a secret
_LOCAL_SWITCHES = (
    "skip_credentials_validation",
    "skip_requesting_account_id",
    "skip_metadata_api_check",
    "s3_use_path_style",
)

EXPIRES_AT_CONFIG = "runctl:expiresAt"
MANAGED_BY = "runctl"
RETAIN_TAG = "runctl:retain"  # "true" on retained buckets and volumes (compiler/buckets.py, volumes.py)


def default_tags(ctx: Context) -> dict[str, Any]:
    """Tags on every taggable resource. runctl's own keys win over the spec's `tags`.

    The expiry is a Config placeholder resolved at apply time, so the Graph (and its hash)
    does not change as time passes; the spec hash is deliberately not a tag.
    """
    tags: dict[str, Any] = dict(ctx.spec.tags)
    tags["runctl:managed-by"] = MANAGED_BY
    tags["runctl:project"] = ctx.project
    tags["runctl:stack"] = ctx.stack
    if ctx.spec.ttl is not None:
        tags["runctl:expires-at"] = Config(EXPIRES_AT_CONFIG)
    return tags


def compile_provider(ctx: Context) -> None:
    props: dict[str, Any] = {
        "region": ctx.spec.region,
        "default_tags": {"tags": default_tags(ctx)},
    }
    if ctx.spec.target == "local":
        props["endpoints"] = [{service: LOCAL_ENDPOINT for service in LOCAL_SERVICES}]
        props["access_key"] = props["secret_key"] = LOCAL_CREDENTIAL
        # the emulator has no STS account, no instance metadata and no virtual-host bucket names
        props.update(dict.fromkeys(_LOCAL_SWITCHES, True))
    ctx.add(PROVIDER_ID, PROVIDER_TYPE, props)
