"""What the teardown layer finds and decides: managed resources, their kinds, and the tags it reads.

No cloud SDK here: discovery (`discover.py`) builds these records from AWS answers,
`gc.py` decides about them, `sweep.py` deletes them, `render/teardown.py` prints them.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from runctl_iac.stackstate import EXPIRES_AT, parse_time

__all__ = ["EXPIRES_AT", "parse_time"]

# Tag keys written by the compiler (`compiler/provider.py` default tags, `compiler/buckets.py`,
# `compiler/volumes.py`) and by the launch layer's staging bucket.
MANAGED_BY = "runctl:managed-by"
PROJECT = "runctl:project"
STACK = "runctl:stack"
RETAIN = "runctl:retain"  # compiler.provider.RETAIN_TAG
ROLE = "runctl:role"  # `staging` on the launch layer's bucket
STAGING_ROLE = "staging"


class Kind(enum.StrEnum):
    """Resource kinds, in the order a sweep deletes them (dependants first)."""

    INSTANCE = "instance"
    VOLUME = "volume"
    PLACEMENT_GROUP = "placement-group"
    SECURITY_GROUP = "security-group"
    INSTANCE_PROFILE = "instance-profile"
    ROLE = "role"
    PARAMETER = "parameter"
    BUCKET = "bucket"
    RUNPOD_POD = "runpod-pod"  # teardown/runpod.py: found through RunPod's API, not by AWS tags
    RUNPOD_VOLUME = "runpod-volume"
    OTHER = "other"  # found by tags, of a type runctl does not create: reported, never deleted


# Deletion phases: each phase finishes (and is waited for) before the next starts.
PHASES: tuple[tuple[Kind, ...], ...] = (
    (Kind.INSTANCE, Kind.RUNPOD_POD),
    (Kind.VOLUME, Kind.RUNPOD_VOLUME),
    (Kind.PLACEMENT_GROUP,),
    (Kind.SECURITY_GROUP,),
    (Kind.INSTANCE_PROFILE,),
    (Kind.ROLE,),
    (Kind.PARAMETER,),
    (Kind.BUCKET,),
)
ORDER: dict[Kind, int] = {kind: n for n, phase in enumerate(PHASES) for kind in phase}
GLOBAL_REGION = "global"  # IAM roles and instance profiles belong to no region


def rfc3339(stamp: dt.datetime) -> str:
    return stamp.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class ManagedResource:
    """One AWS resource carrying `runctl:managed-by`."""

    kind: Kind
    id: str  # instance id, volume id, group id, role name, parameter name, bucket name, or ARN (OTHER)
    region: str  # GLOBAL_REGION for IAM
    tags: Mapping[str, str]
    created: dt.datetime | None = None  # None: AWS does not say (security and placement groups)
    arn: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)  # type, size, state, attachments...

    @property
    def project(self) -> str:
        return self.tags.get(PROJECT, "")

    @property
    def stack(self) -> str:
        return self.tags.get(STACK, "")

    @property
    def key(self) -> tuple[str, str]:
        return (self.project, self.stack)

    @property
    def retained(self) -> bool:
        return self.tags.get(RETAIN, "").strip().lower() == "true"

    @property
    def expires_at(self) -> dt.datetime | None:
        return parse_time(self.tags.get(EXPIRES_AT))

    @property
    def is_staging(self) -> bool:
        return self.kind is Kind.BUCKET and self.tags.get(ROLE) == STAGING_ROLE

    @property
    def stopped(self) -> bool:
        """A stopped instance (autostop, the budget cap, or by hand): it bills its EBS volumes only."""
        return self.kind is Kind.INSTANCE and self.details.get("state") == "stopped"

    def expired(self, now: dt.datetime) -> bool:
        expiry = self.expires_at
        return expiry is not None and expiry <= now

    def age(self, now: dt.datetime) -> dt.timedelta | None:
        return None if self.created is None else now - self.created

    @property
    def label(self) -> str:
        return f"{self.kind.value} {self.id}" + ("" if self.region == GLOBAL_REGION else f" ({self.region})")


@dataclass(frozen=True)
class PricedResource:
    resource: ManagedResource
    hourly_usd: Decimal | None  # None: no catalog figure (or not billed by the hour)
    stopped_monthly_usd: Decimal | None = None  # a stopped instance: its EBS $/month (None: unknown)


@dataclass
class Inventory:
    """Every managed resource found in the searched regions, plus what could not be searched."""

    regions: tuple[str, ...]
    resources: list[ManagedResource] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. a kind the endpoint cannot list

    def of_stack(self, project: str, stack: str) -> list[ManagedResource]:
        return [r for r in self.resources if r.key == (project, stack)]

    def stacks(self) -> set[tuple[str, str]]:
        return {r.key for r in self.resources}
