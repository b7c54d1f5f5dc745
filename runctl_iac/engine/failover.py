"""Capacity failover at apply: try the group's candidates in order until AWS has capacity for one.

- The group that fails over is the training group when it lists `capacity`, else the first group
  that does; other groups stay on their recorded (or first) candidate.
- Order: the candidate recorded in stack config by the last successful apply (so later applies keep
  it), then the ones after it, then the ones before. `--candidate N` tries candidate N only.
- A candidate over the budget (plan.capacity) is never tried. A quota error (VcpuLimitExceeded) stops
  at once: every candidate of the family shares the quota.
- Data rules: a group whose retained volume (`retain: true`) already exists is tried only in that
  volume's zone (an `any` zone becomes that zone); other zones are skipped, and the final error says
  why. `move_volumes: snapshot` is accepted by the spec but not carried out yet (see docs/capacity.md),
  so it is treated as `never`, and said so.
- On success the choice is recorded in stack config (`runctl:capacity.<group>` = type/market/zone)
  and the table of tries is shown; when every candidate fails: E0723 with that table, nothing else
  is changed (the failed instance was never created).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity
from runctl_iac.engine import driver
from runctl_iac.engine.apply import ApplyRequest, ApplyUI, run_apply
from runctl_iac.engine.errors import CapacityError
from runctl_iac.spec.capacity import Candidate, candidates, find, place

if TYPE_CHECKING:
    from runctl_iac.compiler.graph import Graph, LaunchPlan
    from runctl_iac.engine.workspace import Target
    from runctl_iac.spec.model import InstanceGroup, Spec

CONFIG_PREFIX = "runctl:capacity."
Rebuild = Callable[["Spec"], tuple["Graph", "LaunchPlan"]]


@dataclass(frozen=True)
class Try:
    candidate: Candidate
    outcome: str  # "placed", "skipped: …", or the AWS reason

    @property
    def ok(self) -> bool:
        return self.outcome == "placed"


def config_key(group: str) -> str:
    return CONFIG_PREFIX + group


def failover_group(spec: Spec) -> InstanceGroup | None:
    groups = [g for g in spec.instances.values() if g.capacity is not None]
    training = spec.training.group if spec.training else None
    return next((g for g in groups if g.name == training), groups[0] if groups else None)


def try_order(group: InstanceGroup, recorded: str | None, pin: int | None) -> list[Candidate]:
    cands = list(candidates(group))
    if pin is not None:
        if not 1 <= pin <= len(cands):
            raise _error(
                "E0724",
                f"--candidate {pin}: {group.name} has {len(cands)} candidate(s)",
                "`runctl plan SPEC` lists them, numbered in try order",
            )
        return [cands[pin - 1]]
    start = find(group, recorded) if recorded else None
    if start is None:
        return cands
    i = start.index - 1
    return cands[i:] + cands[:i]


def stack_state(target: Target) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """(plain config, resources) of an existing stack; empty for a stack not created yet."""
    from pulumi.automation.errors import StackNotFoundError

    from runctl_iac.engine import workspace as ws

    try:
        stack = ws.open_stack(target, None, create=False)
    except StackNotFoundError:
        return {}, []
    return ws.plain_config(stack), driver.state_resources(stack)[0]


def retained_zones(spec: Spec, group: InstanceGroup, resources: list[dict[str, Any]]) -> dict[str, str]:
    """Retained volume resource id -> the zone it lives in, for the group's existing retained volumes."""
    retained = {m.volume for m in group.mounts if spec.volumes[m.volume].retain}
    out: dict[str, str] = {}
    for res in resources:
        rid = str(res.get("urn", "")).rsplit("::", 1)[-1]
        parts = rid.split(".")
        if len(parts) == 4 and parts[0] == "volume" and parts[1] in retained and parts[2] == group.name:
            zone = (res.get("outputs") or {}).get("availabilityZone")
            if isinstance(zone, str):
                out[rid] = zone
    return out


def _skip(cand: Candidate, pinned_zone: str | None, holder: str, blocked: Mapping[str, str]) -> str | None:
    if cand.key() in blocked:
        return f"skipped: {blocked[cand.key()]}"
    if pinned_zone is not None and cand.zone not in (None, pinned_zone):
        return f"skipped: retained volume {holder} is in {pinned_zone} (move_volumes: never)"
    return None


def apply_with_failover(req: ApplyRequest, ui: ApplyUI, rebuild: Rebuild, pin: int | None = None) -> int:
    """`runctl apply` for a spec with capacity candidates (plain `run_apply` for the others)."""
    from runctl_iac.plan.capacity import capacity_costs

    group = failover_group(req.spec)
    if group is None:
        if pin is not None:
            raise _error("E0724", "--candidate: the spec lists no capacity candidates", "add `capacity:`")
        return run_apply(req, ui)
    config, resources = stack_state(req.target)
    keep = {
        g.name: c
        for g in req.spec.instances.values()
        if g.capacity is not None and g is not group
        for c in [find(g, config.get(config_key(g.name), ""))]
        if c is not None
    }
    blocked = {r.key: r.blocked for r in capacity_costs(req.spec, req.config) if r.group == group.name}
    zones = retained_zones(req.spec, group, resources)
    holder, pinned = next(iter(zones.items()), ("", None))
    if pinned is not None and group.capacity is not None and group.capacity.move_volumes == "snapshot":
        ui.note(
            "note: move_volumes: snapshot is not carried out yet: only the retained volume's zone is tried"
        )
    tries: list[Try] = []
    for cand in try_order(group, config.get(config_key(group.name)), pin):
        skipped = _skip(cand, pinned, holder, {k: v for k, v in blocked.items() if v is not None})
        if skipped is not None:
            tries.append(Try(cand, skipped))
            continue
        placed = dataclasses.replace(cand, zone=cand.zone or pinned)
        spec = place(req.spec, {**keep, group.name: placed})
        graph, launch_plan = rebuild(spec)
        attempt = dataclasses.replace(req, spec=spec, graph=graph, launch_plan=launch_plan)
        if any(not t.outcome.startswith("skipped") for t in tries):
            attempt = dataclasses.replace(attempt, yes=True, plan_file=None)  # confirmed for the first
        ui.note(f"capacity: trying {group.name} on candidate {cand.index}: {cand.label()}")
        try:
            code = run_apply(attempt, ui)
        except CapacityError as exc:
            tries.append(Try(cand, exc.reason))
            continue
        tries.append(Try(cand, "placed"))
        _record(req.target, group.name, cand)
        for line in tries_table(group.name, tries, len(candidates(group))):
            ui.note(line)
        return code
    raise _exhausted(group, tries, pinned, holder)


def _record(target: Target, group: str, cand: Candidate) -> None:
    from runctl_iac.engine import workspace as ws

    stack = ws.open_stack(target, None, create=False)
    driver.configure(stack, {config_key(group): cand.key()})


def tries_table(group: str, tries: list[Try], total: int) -> list[str]:
    placed = next((t for t in tries if t.ok), None)
    head = (
        f"placed: {placed.candidate.label()}, candidate {placed.candidate.index} of {total}"
        if placed
        else f"no candidate of {total} was placed"
    )
    rows = [(str(t.candidate.index), t.candidate.label(), t.outcome) for t in tries]
    width = [max(len(r[i]) for r in rows) for i in range(2)]
    return [f"{group}: {head}"] + [
        f"  {n.rjust(width[0])}  {label.ljust(width[1])}  {why}" for n, label, why in rows
    ]


def _exhausted(group: InstanceGroup, tries: list[Try], pinned: str | None, holder: str) -> DiagnosticError:
    table = "\n".join(tries_table(group.name, tries, len(candidates(group))))
    hint = "add candidates (types, zones, market) to capacity, or try again later"
    if pinned is not None:
        hint = (
            f"only {pinned} was tried because the retained volume {holder} lives there; "
            "set capacity.move_volumes: snapshot to allow a move, or try again later"
        )
    return _error("E0723", f"every capacity candidate of {group.name} was tried:\n{table}", hint)


def _error(code: str, message: str, hint: str) -> DiagnosticError:
    return DiagnosticError([Diagnostic(Severity.ERROR, code, message, hint=hint)])
