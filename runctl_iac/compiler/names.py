"""Physical names: deterministic, derived only from project, stack and the spec's own names.

S3 bucket names are global and must be known before apply (the IAM policy embeds
their ARNs as literal strings), so they are computed here rather than left to
Pulumi's random auto-naming. Everything else (roles, security groups, profiles)
is auto-named by Pulumi from the logical id and found through tags.
"""

from __future__ import annotations

import hashlib
import re

BUCKET_PREFIX = "runctl"
BUCKET_MAX = 63
HASH_LEN = 8
PARAMETER_ROOT = "/runctl"

# S3 rejects names ending with these (reserved for access points, MRAPs, directory and table buckets).
_FORBIDDEN_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_NOT_S3 = re.compile(r"[^a-z0-9-]+")
_NOT_PARAM = re.compile(r"[^A-Za-z0-9_.-]+")


def short_hash(*parts: str, length: int = HASH_LEN) -> str:
    """A stable hex digest of `parts` (independent of PYTHONHASHSEED)."""
    digest = hashlib.sha256("\x00".join(parts).encode()).hexdigest()
    return digest[:length]


def _s3_label(text: str) -> str:
    """Lowercase, anything outside [a-z0-9-] becomes '-', runs of '-' collapse, no '-' at the ends."""
    label = _NOT_S3.sub("-", text.lower())
    label = re.sub(r"-{2,}", "-", label)
    return label.strip("-")


def bucket_name(project: str, stack: str, bucket: str) -> str:
    """`runctl-<project>-<stack>-<bucket>`, a valid S3 name of at most 63 characters.

    When a part had to be changed to be valid (case, characters) or the name is
    too long, a hash of the original three parts is appended (after truncation),
    so two different specs never silently share a bucket name.
    """
    parts = [_s3_label(p) or "x" for p in (project, stack, bucket)]
    name = "-".join([BUCKET_PREFIX, *parts])
    lossy = any(p != raw for p, raw in zip(parts, (project, stack, bucket), strict=True))
    if not lossy and len(name) <= BUCKET_MAX and not name.endswith(_FORBIDDEN_SUFFIXES):
        return name
    suffix = short_hash(project, stack, bucket)
    head = name[: BUCKET_MAX - HASH_LEN - 1].rstrip("-")
    return f"{head}-{suffix}"


def is_valid_bucket_name(name: str) -> bool:
    """The S3 general-purpose bucket naming rules (the subset runctl can produce: no dots)."""
    return (
        3 <= len(name) <= BUCKET_MAX
        and re.fullmatch(r"[a-z0-9][a-z0-9.-]*[a-z0-9]", name) is not None
        and ".." not in name
        and re.fullmatch(r"\d+\.\d+\.\d+\.\d+", name) is None
        and not name.startswith(("xn--", "sthree-", "amzn-s3-demo-"))
        and not name.endswith(_FORBIDDEN_SUFFIXES)
    )


def _param_label(text: str) -> str:
    return _NOT_PARAM.sub("-", text).strip("-") or "x"


def parameter_prefix(project: str, stack: str) -> str:
    """The SSM parameter path owned by one stack: `/runctl/<project>/<stack>`."""
    return f"{PARAMETER_ROOT}/{_param_label(project)}/{_param_label(stack)}"


def parameter_name(project: str, stack: str, name: str) -> str:
    return f"{parameter_prefix(project, stack)}/{_param_label(name)}"


def display_name(project: str, stack: str, *parts: str | int) -> str:
    """The `Name` tag shown in the AWS console, e.g. `llama-dev-trainer-0`."""
    return "-".join([project, stack, *(str(p) for p in parts)])


def partition(region: str) -> str:
    """The ARN partition of a region."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def bucket_arn(region: str, name: str) -> str:
    return f"arn:{partition(region)}:s3:::{name}"
