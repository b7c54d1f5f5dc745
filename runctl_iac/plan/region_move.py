"""A region change and retained buckets: the new bucket's name is still taken (W0520).

A region change re-creates every resource in the new region (`diff`). A bucket
with `retain: true` is left in AWS when its old resource is deleted, so it still
exists in the old region when the new one is created. S3 bucket names are
global across regions and accounts ("Bucket names must be unique across all AWS
accounts in all the AWS Regions within a partition" — Amazon S3 User Guide,
"General purpose bucket naming rules"), and a name stays with its bucket until
that bucket is deleted. The new bucket keeps the same physical name. A replace
caused by a provider change is delete-before-replace in the Pulumi engine
(pulumi/pulumi#9909), but retain_on_delete skips that delete, so CreateBucket
fails (BucketAlreadyOwnedByYou) and apply stops half-way. The plan says so
beforehand, at the bucket's name in the spec. A bucket that is not retained is
deleted first (and flagged as data loss), so it does not get this finding.
"""

from __future__ import annotations

from typing import Any

from runctl_iac.compiler.graph import Graph, encode_value
from runctl_iac.diagnostics import Diagnostic, Severity
from runctl_iac.plan import replace_rules as rr
from runctl_iac.plan.model import Action, Changes
from runctl_iac.spec.model import dotted


def retained_bucket_moves(
    old: Graph | None, new: Graph, changes: Changes, spec: Any = None
) -> list[Diagnostic]:
    """W0520 for every retained bucket that a region change re-creates under the same name."""
    if old is None or old.region == new.region:
        return []
    out: list[Diagnostic] = []
    for change in changes.changes:
        if change.type != rr.BUCKET_TYPE or change.action is not Action.REPLACE:
            continue
        before, after = old.resources.get(change.id), new.resources.get(change.id)
        if before is None or after is None or not before.options.retain_on_delete:
            continue
        name = encode_value(before.properties.get("bucket"))
        if name is None or name != encode_value(after.properties.get("bucket")):
            continue
        shown = f"{name!r}" if isinstance(name, str) else "its name"
        key = change.id.split(".")[1] if change.id.count(".") >= 1 else change.id
        message = (
            f"the region changes from {old.region} to {new.region}: the bucket is created again in "
            f"{new.region} under the same global name {shown}, which the retained bucket in {old.region} "
            "still holds, so apply will fail to create it"
        )
        hint = (
            f"keep region {old.region}; or copy the data out and delete the old bucket in {old.region} "
            "before applying; or give the bucket a new key under buckets: (a new name)"
        )
        path = ("buckets", key)
        if spec is None:
            out.append(Diagnostic(Severity.WARNING, "W0520", message, path=dotted(path), hint=hint))
        else:
            out.append(spec.source.diagnostic(Severity.WARNING, "W0520", message, path, hint, at_key=True))
    return out
