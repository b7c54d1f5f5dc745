"""S3 buckets: the bucket plus versioning, public access block, encryption and lifecycle.

Security defaults are not optional: all four public access blocks are on and
server-side encryption is SSE-S3 (AES256: no KMS key to manage or pay for, and
no kms:Decrypt grant needed on the instance role).

Deletion: a bucket with `retain: true` (and each of its configuration resources,
so a kept bucket never loses its public access block) gets `retain_on_delete`
and `force_destroy: false`. A bucket without `retain` is scratch space of the
environment: `force_destroy: true`, so destroy and `runctl gc` can always tear
the environment down even when objects remain (a half-destroyed expired
environment keeps costing money); `plan` flags its deletion as data loss (W0507).
A retained bucket also carries the tag `runctl:retain=true`, so `runctl gc` knows
to keep it without the spec (its state may be gone).

The staging bucket: every spec with `training` gets one more bucket, under the key
`_staging` (not a valid spec bucket name, so it never collides with one, and its
physical name always carries the naming hash), unless `training.staging_bucket`
names one of the spec's own buckets, which is then tagged `runctl:role=staging`
and otherwise kept as the spec says. It holds the training code, the rendered
node scripts, and each run's logs and status under `runs/<run-id>/`
(`runs/<run-id>/node-<rank>/status.json`, `.../log.txt`). runctl's own is
scratch space: not retained, `force_destroy`, unversioned, tagged
`runctl:role=staging` (the teardown layer finds it by that tag), and a lifecycle
rule expires `runs/` objects after `STAGING_RUNS_EXPIRE_DAYS` days.
"""

from __future__ import annotations

from typing import Any

from runctl_iac import staging
from runctl_iac.compiler.context import Context
from runctl_iac.compiler.graph import Ref
from runctl_iac.compiler.provider import RETAIN_TAG
from runctl_iac.spec.model import Bucket, LifecycleRule

BUCKET = "aws:s3/bucket:Bucket"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"

SSE_ALGORITHM = "AES256"
ABORT_MULTIPART_DAYS = 7
ABORT_RULE_ID = "abort-incomplete-multipart-uploads"

STAGING_KEY = "_staging"
STAGING_ROLE_TAG = ("runctl:role", "staging")
STAGING_RUNS_PREFIX = staging.RUNS  # the runs expire; code/ is kept (content-addressed)
STAGING_RUNS_EXPIRE_DAYS = 30


def bucket_id(name: str) -> str:
    return f"bucket.{name}"


def _lifecycle_rules(bucket: Bucket) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for rule in bucket.lifecycle:
        label = f"expire {rule.prefix or '(all)'}"
        seen[label] = seen.get(label, 0) + 1
        rule_id = label if seen[label] == 1 else f"{label} #{seen[label]}"
        entry: dict[str, Any] = {
            "id": rule_id[:255],
            "status": "Enabled",
            "filter": {"prefix": rule.prefix},
            "expiration": {"days": rule.expire_after_days},
        }
        if bucket.versioning:
            # expired objects become noncurrent versions in a versioned bucket; let those go too
            entry["noncurrent_version_expiration"] = {"noncurrent_days": rule.expire_after_days}
        rules.append(entry)
    rules.append(
        {
            "id": ABORT_RULE_ID,
            "status": "Enabled",
            "filter": {"prefix": ""},
            "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_MULTIPART_DAYS},
        }
    )
    return rules


def staging_key(ctx: Context) -> str | None:
    """The key (in `buckets` and the stack outputs) of the staging bucket: the spec's
    `training.staging_bucket`, else runctl's own `_staging`; None when the spec has no `training`."""
    training = ctx.spec.training
    if training is None:
        return None
    return training.staging_bucket or STAGING_KEY


def staging_bucket_name(ctx: Context) -> str | None:
    """The physical name of the staging bucket, or None when the spec has no `training`."""
    key = staging_key(ctx)
    return ctx.bucket_name(key) if key is not None else None


def own_bucket_names(ctx: Context) -> list[str]:
    """Physical names of every bucket the Graph creates (the spec's and the staging bucket)."""
    return sorted(
        {*(ctx.bucket_name(b) for b in ctx.spec.buckets), *filter(None, [staging_bucket_name(ctx)])}
    )


def _all_buckets(ctx: Context) -> list[tuple[str, Bucket, dict[str, str]]]:
    key = staging_key(ctx)
    out: list[tuple[str, Bucket, dict[str, str]]] = [
        (n, ctx.spec.buckets[n], dict([STAGING_ROLE_TAG]) if n == key else {})
        for n in sorted(ctx.spec.buckets)
    ]
    if key == STAGING_KEY:
        staging = Bucket(
            STAGING_KEY,
            lifecycle=(LifecycleRule(STAGING_RUNS_PREFIX, STAGING_RUNS_EXPIRE_DAYS),),
        )
        out.append((STAGING_KEY, staging, dict([STAGING_ROLE_TAG])))
    return out


def compile_buckets(ctx: Context) -> None:
    for name, bucket, tags in _all_buckets(ctx):
        rid = bucket_id(name)
        physical = ctx.bucket_name(name)
        keep = bucket.retain
        props: dict[str, Any] = {"bucket": physical, "force_destroy": not keep}
        bucket_tags = dict(tags or {})
        if keep:
            bucket_tags[RETAIN_TAG] = "true"
        if bucket_tags:
            props["tags"] = dict(sorted(bucket_tags.items()))
        ctx.add(rid, BUCKET, props, retain_on_delete=keep)
        ref = Ref(rid, "bucket")
        ctx.add(
            f"{rid}.public-access-block",
            PUBLIC_ACCESS_BLOCK,
            {
                "bucket": ref,
                "block_public_acls": True,
                "block_public_policy": True,
                "ignore_public_acls": True,
                "restrict_public_buckets": True,
            },
            retain_on_delete=keep,
        )
        ctx.add(
            f"{rid}.encryption",
            ENCRYPTION,
            {
                "bucket": ref,
                "rules": [{"apply_server_side_encryption_by_default": {"sse_algorithm": SSE_ALGORITHM}}],
            },
            retain_on_delete=keep,
        )
        # Always present: "Suspended" on a new bucket behaves as unversioned, and turning versioning
        # off later is an in-place update (S3 rejects "Disabled" once a bucket has been versioned).
        ctx.add(
            f"{rid}.versioning",
            VERSIONING,
            {
                "bucket": ref,
                "versioning_configuration": {"status": "Enabled" if bucket.versioning else "Suspended"},
            },
            retain_on_delete=keep,
        )
        if bucket.lifecycle:
            ctx.add(
                f"{rid}.lifecycle",
                LIFECYCLE,
                {"bucket": ref, "rules": _lifecycle_rules(bucket)},
                retain_on_delete=keep,
                depends_on=(f"{rid}.versioning",),
            )
        ctx.output("buckets", name, ref)
