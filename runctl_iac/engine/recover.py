"""After an interrupted update: explain the pending operations in words, then repair the state.

1. Pending creates with an id exist in AWS: they are adopted into the state (export, edit, import).
2. Everything else is cleared by a refresh, which reads what AWS has: pending updates and deletes
   resolve to the resource as it is (or gone); pending creates without an id are dropped with
   `--clear-pending-creates`, after the user was told that such a resource may exist and how to
   find it (every runctl resource carries the runctl:project and runctl:stack tags).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from runctl_iac.engine import driver
from runctl_iac.engine.workspace import Target

EXPLAIN = {
    "creating": "was being created: it may exist in AWS without being in the state",
    "updating": "was being updated: it exists, with its old or its new settings",
    "deleting": "was being deleted: it may already be gone",
    "reading": "was being read: nothing was changed in AWS",
    "importing": "was being imported: it exists in AWS",
}


@dataclass(frozen=True)
class PendingOp:
    id: str
    type: str
    operation: str
    physical_id: str

    def explain(self) -> str:
        what = EXPLAIN.get(self.operation, f"was in operation {self.operation!r}")
        known = f" (AWS id {self.physical_id})" if self.physical_id else ""
        return f"{self.id} ({self.type}){known} {what}"


@dataclass
class Recovery:
    pending: list[PendingOp] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # pending creates without an id
    refreshed: bool = False


def pending_ops(raw: list[dict[str, Any]]) -> list[PendingOp]:
    out = []
    for op in raw:
        res = op.get("resource") or {}
        out.append(
            PendingOp(
                id=str(res.get("urn", "")).rsplit("::", 1)[-1],
                type=str(res.get("type", "")),
                operation=str(op.get("type", "")),
                physical_id=str(res.get("id") or ""),
            )
        )
    return out


def inspect(target: Target) -> list[PendingOp]:
    stack = driver.open_for(target, create=False)
    return pending_ops(driver.state_resources(stack)[1])


def recover(target: Target) -> Recovery:
    """Adopt what certainly exists, then refresh (dropping unknown pending creates)."""
    stack = driver.open_for(target, create=False)
    result = Recovery(pending_ops(driver.state_resources(stack)[1]))
    if not result.pending:
        return result
    result.adopted = driver.adopt_pending_creates(stack)
    result.dropped = [
        p.id for p in result.pending if p.operation == "creating" and p.id not in result.adopted
    ]
    driver.refresh(stack, preview_only=False, clear_pending_creates=bool(result.dropped))
    result.refreshed = True
    return result
