"""What a plan is: changes, cost, findings. Fed by the offline diff today and
by engine preview events later (same `Change` model), read by every renderer.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from runctl_iac.diagnostics import Diagnostic

if TYPE_CHECKING:
    from runctl_iac.compiler.graph import Graph


class Action(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    NOOP = "no-op"


@dataclass(frozen=True)
class PropertyChange:
    path: str  # dotted property path, e.g. "root_block_device.volume_size"
    old: Any  # graph-encoded values (see compiler.graph.encode_value); None when absent
    new: Any
    replaces: bool = False  # this property forces replacement of the resource
    secret: bool = False  # rendered as "(secret)" in every output


@dataclass(frozen=True)
class Change:
    id: str  # the resource's logical id
    type: str  # Pulumi type token
    action: Action
    properties: tuple[PropertyChange, ...] = ()
    data_loss: bool = False  # deletes/replaces a volume or bucket that is not retained
    retained: bool = False  # delete of a retain_on_delete resource: left in AWS, dropped from state
    note: str | None = None  # e.g. "stop/start of the instance", "shrink is not possible"


@dataclass(frozen=True)
class Changes:
    changes: tuple[Change, ...]  # in reading order: instances, volumes, buckets, then the rest
    source: Literal["offline", "engine"] = "offline"

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action is action)

    @property
    def has_changes(self) -> bool:
        return any(c.action is not Action.NOOP for c in self.changes)


@dataclass(frozen=True)
class CostLine:
    resource: str  # resource id or a group label
    kind: Literal["instance", "root-disk", "volume", "bucket"]
    description: str  # e.g. "g5.12xlarge spot (estimate)"
    hourly_usd: Decimal | None  # None: price unknown
    estimate: bool = False  # spot discount or other assumption


@dataclass(frozen=True)
class CostEstimate:
    region: str
    lines: tuple[CostLine, ...]
    hourly_usd: Decimal  # sum of known hourly prices while running
    run_hours: Decimal | None  # max_runtime, else ttl, else None
    per_run_usd: Decimal | None
    monthly_usd: Decimal  # if left running for a month (730 h)
    incomplete: bool = False  # some price was unknown
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class CandidateCost:
    """One capacity candidate of a group, priced as the whole environment (`plan.capacity`)."""

    group: str
    index: int  # 1-based
    total: int  # candidates of the group
    label: str  # "g6e.12xlarge spot in us-east-1b"
    key: str
    hourly_usd: Decimal | None
    per_run_usd: Decimal | None
    blocked: str | None = None  # why apply never tries it
    placed: bool = False


@dataclass(frozen=True)
class PlanBase:
    kind: Literal["none", "snapshot", "file", "git"]
    ref: str | None = None  # path or git ref
    spec_hash: str | None = None


@dataclass(frozen=True)
class Plan:
    project: str
    stack: str
    spec_hash: str
    base: PlanBase
    changes: Changes
    cost: CostEstimate
    base_cost: CostEstimate | None = None
    findings: tuple[Diagnostic, ...] = field(default_factory=tuple)
    capacity: tuple[CandidateCost, ...] = ()  # capacity candidates, priced (groups with `capacity` only)
    graph: Graph | None = field(default=None, compare=False, repr=False)  # embedded in the JSON document

    @property
    def blocked(self) -> bool:
        return any(f.is_error for f in self.findings)

    @property
    def cost_delta_hourly_usd(self) -> Decimal:
        base = self.base_cost.hourly_usd if self.base_cost else Decimal(0)
        return self.cost.hourly_usd - base
