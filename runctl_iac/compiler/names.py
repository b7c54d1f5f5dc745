"""Physical names: deterministic, derived only from project, stack and the spec's own names.

S3 bucket names are global and must be known before apply (the IAM policy embeds
their ARNs as literal strings), so they are computed here rather than left to
Pulumi's random auto-naming. Everything else (roles, security groups, profiles)
is auto-named by Pulumi from the logical id and found through tags.

Bucket names end with a short suffix derived from the AWS account id and the region
(`account_suffix`), so two accounts applying the same spec never collide
(BucketAlreadyExists) while one stack's names stay stable. The compiler only knows the
placeholder `<account>` (`ACCOUNT_PLACEHOLDER`): the Graph, the offline plan and `runctl diff`
show e.g. `runctl-quickstart-dev-results-<account>`, and the hash of the Graph does not depend
on the account. At apply time the driver puts the suffix in the stack configuration
(`runctl:accountSuffix`) and the program replaces the placeholder in every string
(`resolve_account`), the bucket policies' ARNs included; the applied snapshot's outputs hold
the real names. Every bucket runctl names (the launch layer's staging bucket too) goes through
`bucket_name`.
"""

from __future__ import annotations

import hashlib
import re

BUCKET_PREFIX = "runctl"
BUCKET_MAX = 63
HASH_LEN = 8
ACCOUNT_PLACEHOLDER = "<account>"  # replaced by the account suffix when the program runs
ACCOUNT_SUFFIX_LEN = 8
ACCOUNT_CONFIG = "runctl:accountSuffix"
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


def bucket_name(project: str, stack: str, bucket: str, account: str = ACCOUNT_PLACEHOLDER) -> str:
    """`runctl-<project>-<stack>-<bucket>-<account suffix>`, a valid S3 name of at most 63
    characters once the suffix replaces the placeholder.

    When a part had to be changed to be valid (case, characters) or the name is
    too long, a hash of the original three parts is appended (after truncation),
    so two different specs never silently share a bucket name.
    """
    parts = [_s3_label(p) or "x" for p in (project, stack, bucket)]
    name = "-".join([BUCKET_PREFIX, *parts])
    room = BUCKET_MAX - ACCOUNT_SUFFIX_LEN - 1
    lossy = any(p != raw for p, raw in zip(parts, (project, stack, bucket), strict=True))
    if lossy or len(name) > room:
        suffix = short_hash(project, stack, bucket)
        name = f"{name[: room - HASH_LEN - 1].rstrip('-')}-{suffix}"
    return f"{name}-{account}"


def account_suffix(account_id: str, region: str) -> str:
    """The per-account part of bucket names: stable for one account and region, short, hex."""
    return short_hash(account_id, region, length=ACCOUNT_SUFFIX_LEN)


def resolve_account(text: str, suffix: str) -> str:
    """A compiled name (or policy document) with the account placeholder filled in."""
    return text.replace(ACCOUNT_PLACEHOLDER, suffix)


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
