"""Capacity failover at apply: try each group's candidates in order until AWS has capacity for them.

- Every group that lists `capacity` fails over on its own: an apply places all of them; a capacity
  error names the instance that was refused, and only its group moves to its next candidate (the
  others keep theirs, already created). Each group gets its own table of tries.
- Order: the candidate recorded in stack config by the last successful apply (so later applies keep
  it), then the ones after it, then the ones before. `--candidate N` tries candidate N of the first
  group (the training group when it lists `capacity`) only.
- A candidate over the budget (plan.capacity) is never tried. A quota error (VcpuLimitExceeded) stops
  at once: every candidate of the family shares the quota.
- Data rules: a group whose retained volume (`retain: true`) already exists is tried first in that
  volume's zone (an `any` zone becomes that zone). With `move_volumes: never` the other zones are
  skipped, and the final error says why. With `move_volumes: snapshot` they are tried after the
  volume's zone is exhausted: the volume moves through an EBS snapshot and a new volume in the new
  zone (`compiler.volumes`); the old volume is kept, never replaced nor deleted.
- The choice is set in stack config before each try (`runctl:capacity.<group>` = type/market/zone,
  `runctl:volume-zones.<group>` = the zones its retained volumes went through), so the applied
  snapshot carries it for `runctl job` and `runctl watch`; when every candidate fails: E0723 with
  the table, the previous config is put back, nothing else changed (the refused instance was never
  created).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity
from runctl_iac.engine import driver
from runctl_iac.engine.apply import ApplyRequest, ApplyUI, run_apply
from runctl_iac.engine.errors import CapacityError
from runctl_iac.spec.capacity import CAPACITY_CONFIG, VOLUME_ZONES_CONFIG, Candidate, candidates, find, place

if TYPE_CHECKING:
    from runctl_iac.compiler.graph import Graph, LaunchPlan
    from runctl_iac.engine.workspace import Target
    from runctl_iac.spec.model import InstanceGroup, Spec

_INSTANCE = re.compile(r"\binstance\.([A-Za-z0-9_-]+)\.\d+\b")
Rebuild = Callable[["Spec"], tuple["Graph", "LaunchPlan"]]


@dataclass(frozen=True)
class Try:
    candidate: Candidate
    outcome: str  # "placed", "skipped: …", or the AWS reason

    @property
    def ok(self) -> bool:
        return self.outcome == "placed"


@dataclass(frozen=True)
class Option:
    """One way to place a group: the candidate, as placed (an `any` zone pinned), its volumes' zones."""

    candidate: Candidate
    placed: Candidate
    volume_zones: tuple[str, ...] = ()  # more than one: the retained volumes move (snapshot)


@dataclass
class GroupFailover:
    group: InstanceGroup
    options: list[Option]
    tries: list[Try] = field(default_factory=list)
    pinned: str | None = None  # the zone of the group's retained volume
    holder: str = ""  # that volume's logical id
    pos: int = 0

    @property
    def current(self) -> Option:
        return self.options[self.pos]


def config_key(group: str) -> str:
    return CAPACITY_CONFIG + group


def failover_groups(spec: Spec) -> list[InstanceGroup]:
    """Groups that list `capacity`: the training group first, then the others in spec order."""
    groups = [g for g in spec.instances.values() if g.capacity is not None]
    training = spec.training.group if spec.training else None
    return sorted(groups, key=lambda g: g.name != training)


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


def volume_chain(
    spec: Spec, group: InstanceGroup, resources: list[dict[str, Any]]
) -> tuple[tuple[str, ...], dict[str, Any]]:
    """Zones of the group's retained volume generations in the state, oldest first (empty: none yet),
    and the state of the latest generation (the volume the group uses now)."""
    from runctl_iac.compiler.volumes import moved_id, volume_id

    retained = [m.volume for m in group.mounts if spec.volumes[m.volume].retain]
    if not retained:
        return (), {}
    by_id = {str(r.get("urn", "")).rsplit("::", 1)[-1]: r for r in resources}
    base = volume_id(retained[0], group.name, 0)
    zones: list[str] = []
    latest: dict[str, Any] = {}
    while (res := by_id.get(moved_id(base, len(zones)))) is not None:
        zone = (res.get("outputs") or {}).get("availabilityZone")
        if not isinstance(zone, str):
            break
        zones.append(zone)
        latest = res
    return tuple(zones), latest


def plan_group(
    spec: Spec,
    group: InstanceGroup,
    order: list[Candidate],
    resources: list[dict[str, Any]],
    blocked: Mapping[str, str],
) -> GroupFailover:
    """The group's options in try order: the retained volume's zone first, other zones after (only
    with `move_volumes: snapshot`), and the tries skipped (over budget, or a zone the data is not in)."""
    chain, latest = volume_chain(spec, group, resources)
    pinned = chain[-1] if chain else None
    holder = str(latest.get("urn", "")).rsplit("::", 1)[-1]
    moves = group.capacity is not None and group.capacity.move_volumes == "snapshot"
    kept = chain if len(chain) > 1 else ()
    here: list[Option] = []
    away: list[Option] = []
    gf = GroupFailover(group, [], pinned=pinned, holder=holder)
    for cand in order:
        if cand.key() in blocked:
            gf.tries.append(Try(cand, f"skipped: {blocked[cand.key()]}"))
        elif pinned is None or cand.zone in (None, pinned):
            here.append(Option(cand, dataclasses.replace(cand, zone=cand.zone or pinned), kept))
        elif moves and cand.zone is not None:
            away.append(Option(cand, cand, (*chain, cand.zone)))
        else:
            gf.tries.append(
                Try(cand, f"skipped: retained volume {holder} is in {pinned} (move_volumes: never)")
            )
    gf.options = here + away
    return gf


def apply_with_failover(req: ApplyRequest, ui: ApplyUI, rebuild: Rebuild, pin: int | None = None) -> int:
    """`runctl apply` for a spec with capacity candidates (plain `run_apply` for the others)."""
    from runctl_iac.plan.capacity import capacity_costs

    groups = failover_groups(req.spec)
    if not groups:
        if pin is not None:
            raise _error("E0724", "--candidate: the spec lists no capacity candidates", "add `capacity:`")
        return run_apply(req, ui)
    config, resources = stack_state(req.target)
    costs = capacity_costs(req.spec, req.config)
    plans = []
    for n, group in enumerate(groups):
        blocked = {r.key: r.blocked for r in costs if r.group == group.name and r.blocked is not None}
        order = try_order(group, config.get(config_key(group.name)), pin if n == 0 else None)
        plans.append(plan_group(req.spec, group, order, resources, blocked))
    shown: dict[str, Option] = {}
    attempts = 0
    while True:
        for p in plans:
            if p.pos >= len(p.options):
                _restore(req.target, config, plans, attempts)
                raise _exhausted(p)
        spec = _placed(req.spec, plans)
        graph, launch_plan = rebuild(spec)
        attempt = dataclasses.replace(
            req, spec=spec, graph=graph, launch_plan=launch_plan, apply_config=_config(req, plans)
        )
        if attempts:
            attempt = dataclasses.replace(attempt, yes=True, plan_file=None)  # confirmed for the first
        for p in plans:
            if shown.get(p.group.name) != p.current:
                shown[p.group.name] = p.current
                _announce(ui, p, resources)
        attempts += 1
        try:
            code = run_apply(attempt, ui)
        except CapacityError as exc:
            refused = _culprit(plans, exc)
            if refused is None:
                raise
            refused.tries.append(Try(refused.current.candidate, exc.reason))
            refused.pos += 1
            continue
        for p in plans:
            p.tries.append(Try(p.current.candidate, "placed"))
            for line in tries_table(p.group.name, p.tries, len(candidates(p.group))):
                ui.note(line)
        return code


def _placed(spec: Spec, plans: list[GroupFailover]) -> Spec:
    placed = place(spec, {p.group.name: p.current.placed for p in plans})
    groups = dict(placed.instances)
    for p in plans:
        groups[p.group.name] = dataclasses.replace(groups[p.group.name], volume_zones=p.current.volume_zones)
    return dataclasses.replace(placed, instances=groups)


def _config(req: ApplyRequest, plans: list[GroupFailover]) -> dict[str, str]:
    values = dict(req.apply_config)
    for p in plans:
        values[config_key(p.group.name)] = p.current.candidate.key()
        if p.current.volume_zones:
            values[VOLUME_ZONES_CONFIG + p.group.name] = ",".join(p.current.volume_zones)
    return values


def _announce(ui: ApplyUI, p: GroupFailover, resources: list[dict[str, Any]]) -> None:
    opt = p.current
    ui.note(f"capacity: trying {p.group.name} on candidate {opt.candidate.index}: {opt.candidate.label()}")
    if opt.volume_zones and opt.volume_zones[-1] != p.pinned:
        by_id = {str(r.get("urn", "")).rsplit("::", 1)[-1]: r for r in resources}
        old = by_id.get(p.holder, {}).get("id") or p.holder
        ui.note(
            f"volume data: snapshot snap-… of {old} → new volume in {opt.volume_zones[-1]}; "
            f"old volume {old} kept in {p.pinned}"
        )


def _culprit(plans: list[GroupFailover], exc: CapacityError) -> GroupFailover | None:
    """The group of the refused instance (`instance.<group>.<i>`, in the error or its message); the
    only group when none is named."""
    texts = [exc.resource, *(d.message for d in exc.diagnostics)]
    named = next((m.group(1) for t in texts if (m := _INSTANCE.search(t))), None)
    if named is not None:
        return next((p for p in plans if p.group.name == named), None)
    return plans[0] if len(plans) == 1 else None


def _restore(target: Target, before: Mapping[str, str], plans: list[GroupFailover], attempts: int) -> None:
    """Put back the placement config the tries changed (the stack exists once an update was tried)."""
    if not attempts:
        return
    from runctl_iac.engine import workspace as ws

    keys = [k for p in plans for k in (config_key(p.group.name), VOLUME_ZONES_CONFIG + p.group.name)]
    driver.configure(ws.open_stack(target, None, create=False), {k: before.get(k) for k in keys})


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


def _exhausted(p: GroupFailover) -> DiagnosticError:
    table = "\n".join(tries_table(p.group.name, p.tries, len(candidates(p.group))))
    hint = "add candidates (types, zones, market) to capacity, or try again later"
    moves = p.group.capacity is not None and p.group.capacity.move_volumes == "snapshot"
    if p.pinned is not None and not moves:
        hint = (
            f"only {p.pinned} was tried because the retained volume {p.holder} lives there; "
            "set capacity.move_volumes: snapshot to allow a move, or try again later"
        )
    return _error("E0723", f"every capacity candidate of {p.group.name} was tried:\n{table}", hint)


def _error(code: str, message: str, hint: str) -> DiagnosticError:
    return DiagnosticError([Diagnostic(Severity.ERROR, code, message, hint=hint)])
