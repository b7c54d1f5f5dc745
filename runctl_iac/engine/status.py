"""What a stack is now: resources with ids, outputs, expiry, cost rate, the last update."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from runctl_iac.engine import driver, snapshot
from runctl_iac.engine import workspace as ws
from runctl_iac.engine.workspace import Target

HOURS_PER_MONTH = 730


@dataclass
class StackStatus:
    project: str
    stack: str
    backend: str
    resources: list[dict[str, str]] = field(default_factory=list)  # id, type, physical_id
    pending: list[dict[str, str]] = field(default_factory=list)  # id, type, operation
    outputs: dict[str, Any] = field(default_factory=dict)
    expires_at: str | None = None
    expires_in_seconds: int | None = None
    hourly_usd: Decimal | None = None
    spent_since_update_usd: Decimal | None = None
    last_update: dict[str, Any] | None = None
    stopped_compute_usd: Decimal | None = None  # $/hour of stopped instances' compute, not billed now
    region: str | None = None  # the applied Graph's (None: never applied)
    staging_key: str | None = None  # the staging bucket's key in `outputs.buckets` (None: no training)

    def leave_out_stopped(self, hourly: Decimal) -> None:
        """$/hour now without the compute of the stack's stopped instances (autostop): they bill
        their EBS volumes only (the $ since the last update stays the catalog's whole rate)."""
        from runctl_iac.plan.cost import round_usd

        if self.hourly_usd is not None:
            self.hourly_usd = round_usd(max(self.hourly_usd - hourly, Decimal(0)))
            self.stopped_compute_usd = round_usd(hourly)

    def to_json(self) -> dict[str, Any]:
        last = None
        if self.last_update is not None:
            last = {
                k: (v.strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(v, datetime) else v)
                for k, v in self.last_update.items()
            }
        return {
            "project": self.project,
            "stack": self.stack,
            "backend": self.backend,
            "resources": self.resources,
            "pending_operations": self.pending,
            "outputs": self.outputs,
            "expires_at": self.expires_at,
            "expires_in_seconds": self.expires_in_seconds,
            "hourly_usd": None if self.hourly_usd is None else str(self.hourly_usd),
            "stopped_compute_hourly_usd": (
                None if self.stopped_compute_usd is None else str(self.stopped_compute_usd)
            ),
            "spent_since_update_usd": (
                None if self.spent_since_update_usd is None else str(self.spent_since_update_usd)
            ),
            "last_update": last,
        }


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def stack_status(target: Target, now: datetime | None = None) -> StackStatus:
    from runctl_iac.compiler.buckets import graph_staging_key
    from runctl_iac.plan.cost import estimate_cost, round_usd

    now = now or datetime.now(UTC)
    handle = driver.open_for(target, create=False)
    resources, pending = driver.state_resources(handle)
    st = StackStatus(target.project, target.stack, target.backend.url)
    st.resources = [
        {"id": _name(r.get("urn", "")), "type": str(r.get("type", "")), "physical_id": str(r.get("id") or "")}
        for r in resources
        if not str(r.get("type", "")).startswith("pulumi:providers:")
    ]
    st.pending = [
        {
            "id": _name((op.get("resource") or {}).get("urn", "")),
            "type": str((op.get("resource") or {}).get("type", "")),
            "operation": str(op.get("type", "")),
        }
        for op in pending
    ]
    st.outputs = ws.outputs_plain(handle)
    config = ws.plain_config(handle)
    st.expires_at = config.get(ws.EXPIRES_AT_CONFIG)
    expiry = driver.parse_rfc3339(st.expires_at or "")
    if expiry is not None:
        st.expires_in_seconds = int((expiry - now).total_seconds())
    st.last_update = driver.last_update(handle)
    applied = snapshot.read_applied(target.project, target.stack, target.backend)
    if applied is not None:
        st.region, st.staging_key = applied.graph.region, graph_staging_key(applied.graph)
    if applied is not None and st.resources:
        st.hourly_usd = round_usd(estimate_cost(applied.graph, None).hourly_usd)
        end = (st.last_update or {}).get("end_time")
        if isinstance(end, datetime):
            hours = Decimal(max(0.0, (now - end).total_seconds()) / 3600)
            st.spent_since_update_usd = round_usd(st.hourly_usd * hours)
    return st


def countdown(seconds: int | None) -> str:
    if seconds is None:
        return "no expiry (no ttl)"
    if seconds <= 0:
        return f"expired {_span(-seconds)} ago (`runctl gc` tears it down)"
    return f"in {_span(seconds)}"


def _span(seconds: int) -> str:
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d{hours}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m"
