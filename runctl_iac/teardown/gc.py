"""Decide what `runctl gc` removes, and why everything else stays. No deletion happens here.

Candidates, per (project, stack) of the found resources and the backend's stacks:
- autostopped (`--expired` with `stopped_for`, `[gc] stopped_for` in runctl.toml): a live stack
  whose every instance has been stopped longer than that (autostop stopped it and nobody started
  it again) is destroyed like an expired one; the reason lists the retained volumes it keeps.
- expired (`--expired`): a stack in the backend whose expiry has passed is destroyed
  through the engine when one is available (`engine=True`) and its state is readable;
  otherwise its tagged resources are swept. A stack with no state whose resources'
  `runctl:expires-at` tag has passed is swept too (state lost).
- orphan (`--orphans`): tagged resources whose project/stack has no stack in the backend, in
  a project the backend knows or that the user names (`--project`); resources of a project
  with no stack at all in this backend are reported, not swept (it may live in another backend).

Safety rules, in this order (the first that applies is the reason shown):
1. a stack with an update in progress (a lock in the backend) is skipped;
2. a stack whose job is running (fresh heartbeat) is refused unless `force`;
3. a retained resource (`runctl:retain=true`) is never touched;
4. a resource younger than `min_age` is skipped (an apply may be in progress); a
   resource whose age AWS does not give (security and placement groups) takes the age
   of the youngest dated resource of its stack, and counts as old when there is none;
5. a resource of a type gc does not handle is reported, never deleted;
6. a non-retained bucket that still holds objects is deleted only with `delete_data`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from runctl_iac.stackstate import StackInfo
from runctl_iac.teardown.jobs import RunningJob
from runctl_iac.teardown.model import ORDER, Inventory, Kind, ManagedResource, parse_time
from runctl_iac.teardown.prices import hourly_usd

DEFAULT_MIN_AGE = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class GcOptions:
    expired: bool = True
    orphans: bool = True
    min_age: dt.timedelta = DEFAULT_MIN_AGE
    force: bool = False
    delete_data: bool = False
    stopped_for: dt.timedelta | None = None  # destroy stacks whose instances are all stopped this long


class Probe(Protocol):
    """The two questions the planner asks AWS (faked in unit tests)."""

    def running_jobs(self, staging_bucket: ManagedResource) -> list[RunningJob]: ...
    def holds_objects(self, bucket: ManagedResource) -> bool: ...


@dataclass(frozen=True)
class Deletion:
    resource: ManagedResource
    reason: str  # why it goes: "orphan: ...", "expired ..."
    hourly_usd: Decimal | None


@dataclass(frozen=True)
class StackDestroy:
    project: str
    stack: str
    reason: str
    resources: tuple[ManagedResource, ...]  # what the tags show of it (the engine knows the rest)
    state_resources: int
    backend_url: str = ""  # where its state lives ("" : the session's backend)

    @property
    def hourly_usd(self) -> Decimal:
        return sum((hourly_usd(r) or Decimal(0) for r in self.resources if not r.retained), Decimal(0))


@dataclass(frozen=True)
class Kept:
    project: str
    stack: str
    what: str  # a resource label, or "stack" for a whole stack
    why: str
    hourly_usd: Decimal | None = None
    resource: ManagedResource | None = None


@dataclass
class GcPlan:
    now: dt.datetime
    options: GcOptions
    destroys: list[StackDestroy] = field(default_factory=list)
    deletions: list[Deletion] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def hourly_saved(self) -> Decimal:
        total = sum((d.hourly_usd or Decimal(0) for d in self.deletions), Decimal(0))
        return total + sum((d.hourly_usd for d in self.destroys), Decimal(0))

    @property
    def empty(self) -> bool:
        return not self.destroys and not self.deletions


def _age_text(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"


class _Planner:
    def __init__(self, plan: GcPlan, probe: Probe) -> None:
        self.plan = plan
        self.probe = probe
        self.options = plan.options
        self.now = plan.now

    def keep_stack(self, key: tuple[str, str], resources: list[ManagedResource], why: str) -> None:
        self.plan.kept.append(Kept(key[0], key[1], "stack", why))
        for res in resources:
            self.plan.kept.append(Kept(key[0], key[1], res.label, why, hourly_usd(res), res))

    def running(self, resources: list[ManagedResource]) -> list[RunningJob]:
        jobs: list[RunningJob] = []
        for bucket in (r for r in resources if r.is_staging):
            jobs.extend(self.probe.running_jobs(bucket))
        return jobs

    def stack_blocked(self, key: tuple[str, str], resources: list[ManagedResource]) -> bool:
        """Rule 2 for a whole stack; True when it stays."""
        jobs = self.running(resources)
        if jobs and not self.options.force:
            self.keep_stack(key, resources, jobs[0].describe(self.now) + "; pass --force to remove it anyway")
            return True
        if jobs:
            self.plan.warnings.append(
                f"{key[0]}/{key[1]}: {jobs[0].describe(self.now)}; removed anyway (--force)"
            )
        return False

    def sweep(self, resources: list[ManagedResource], reason: str) -> None:
        """Rules 3-6 for each resource of one stack."""
        dated = [age for r in resources if (age := r.age(self.now)) is not None]
        youngest = min(dated) if dated else None
        for res in sorted(resources, key=lambda r: (ORDER.get(r.kind, 99), r.region, r.id)):
            cost = hourly_usd(res)
            age = res.age(self.now)
            age = youngest if age is None else age
            keep = None
            if res.retained:
                keep = "retained (runctl:retain=true)"
            elif age is not None and age < self.options.min_age:
                keep = f"younger than --min-age ({_age_text(age)} old); an apply may be in progress"
            elif res.kind is Kind.OTHER:
                keep = "a type gc does not delete; remove it by hand"
            elif res.kind is Kind.BUCKET and not self.options.delete_data and self.probe.holds_objects(res):
                keep = "bucket holds objects; rerun with --delete-data to empty and delete it"
            if keep is not None:
                self.plan.kept.append(Kept(res.project, res.stack, res.label, keep, cost, res))
            else:
                self.plan.deletions.append(Deletion(res, reason, cost))


def autostopped_reason(
    label: str, resources: list[ManagedResource], options: GcOptions, now: dt.datetime
) -> str | None:
    """Why a live stack goes because it has been stopped long enough (None: it stays)."""
    if options.stopped_for is None:
        return None
    instances = [r for r in resources if r.kind is Kind.INSTANCE]
    stops = [parse_time(r.details.get("stopped_at")) for r in instances]
    if not instances or any(t is None for t in stops):
        return None
    since = max(t for t in stops if t is not None)
    if now - since < options.stopped_for:
        return None
    kept = sorted(r.id for r in resources if r.kind is Kind.VOLUME and r.retained)
    keeps = f"; keeps volume(s) {', '.join(kept)} (retained)" if kept else "; keeps no volume"
    return (
        f"autostopped: every instance of {label} stopped since {since:%Y-%m-%d %H:%M} UTC, "
        f"longer than gc.stopped_for ({_age_text(options.stopped_for)}){keeps}"
    )


def sweep_decisions(
    resources: list[ManagedResource], reason: str, options: GcOptions, probe: Probe, now: dt.datetime
) -> GcPlan:
    """Rules 3-6 for one stack's resources (used again when an engine destroy fails)."""
    plan = GcPlan(now=now, options=options)
    _Planner(plan, probe).sweep(resources, reason)
    return plan


def plan_gc(
    inventory: Inventory,
    stacks: Iterable[StackInfo] | None,
    options: GcOptions,
    probe: Probe,
    now: dt.datetime,
    *,
    engine: bool = False,
    projects: Iterable[str] = (),
    elsewhere: Mapping[tuple[str, str], str] | None = None,
    unreadable: Sequence[str] = (),
) -> GcPlan:
    """What gc would do. `stacks` is None when the backend could not be read: then nothing counts
    as an orphan, and only resources whose own expiry tag has passed are swept (`--expired`).

    Orphans are looked for only in projects the backend knows (at least one stack) and in
    `projects` (named by the user with --project): a team keeping projects in several backends
    must not see another backend's live stacks as orphans.

    `elsewhere`: (project, stack) -> backend URL of the stacks in the other backends runctl knows
    for the project (the default, the local target's, runctl.toml's): never orphans, and their
    projects count as known. `unreadable`: why another such backend could not be read; then no
    resource is called an orphan (its stack may be there), each is kept with the reason."""
    plan = GcPlan(now=now, options=options)
    planner = _Planner(plan, probe)
    infos = {s.key: s for s in stacks} if stacks is not None else None
    elsewhere = dict(elsewhere or {})
    known_projects = {k[0] for k in infos or {}} | {k[0] for k in elsewhere}
    projects = set(projects)
    by_stack: dict[tuple[str, str], list[ManagedResource]] = {}
    for res in inventory.resources:
        by_stack.setdefault(res.key, []).append(res)
    keys = set(by_stack)
    if infos is not None and options.expired:
        keys |= {k for k, s in infos.items() if s.expired(now) and s.resource_count > 0}
    for key in sorted(keys):
        resources = by_stack.get(key, [])
        info = infos.get(key) if infos is not None else None
        label = f"{key[0]}/{key[1]}"
        if info is not None:
            stopped = autostopped_reason(label, resources, options, now) if options.expired else None
            if not (options.expired and info.expired(now)) and stopped is None:
                continue  # a live stack: not gc's business
            if stopped is not None:
                reason = stopped
            else:
                assert info.expires_at is not None
                reason = f"expired: stack {label} expired at {info.expires_at:%Y-%m-%d %H:%M} UTC"
            if info.update_in_progress:
                planner.keep_stack(key, resources, "an update is in progress (the stack is locked)")
                continue
            if planner.stack_blocked(key, resources):
                continue
            if engine and info.readable:
                plan.destroys.append(
                    StackDestroy(
                        key[0], key[1], reason, tuple(resources), info.resource_count, info.backend_url
                    )
                )
                continue
            planner.sweep(resources, reason + "; engine unavailable, swept by tags")
            continue
        if key in elsewhere:
            if options.orphans:
                planner.keep_stack(key, [], f"its stack is in another backend runctl knows: {elsewhere[key]}")
            continue
        known = infos is not None and (key[0] in known_projects or key[0] in projects)
        expired_here = [r for r in resources if r.expired(now)]
        if options.orphans and known and unreadable:
            planner.keep_stack(key, resources, f"not an orphan for sure: {unreadable[0]}")
            continue
        if options.orphans and known:
            chosen, reason = resources, f"orphan: no stack {label} in the state backend"
        elif options.expired and expired_here:
            chosen, reason = expired_here, "expired (runctl:expires-at) and no state for its stack"
        else:
            if options.orphans and infos is not None:
                why = (
                    f"project {key[0]} has no stack in this backend (another backend's?);"
                    f" pass --project {key[0]} if its state is really gone"
                )
                planner.keep_stack(key, [], why)
            continue
        if planner.stack_blocked(key, resources):
            continue
        planner.sweep(chosen, reason)
    plan.warnings.extend(inventory.warnings)
    return plan
