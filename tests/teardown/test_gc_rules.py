"""The planner's rules on hand-made inventories (no AWS): candidates, safety rules, order, reasons."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from runctl_iac.prices import catalog
from runctl_iac.stackstate import StackInfo
from runctl_iac.teardown.gc import GcOptions, plan_gc
from runctl_iac.teardown.jobs import RunningJob, is_fresh
from runctl_iac.teardown.model import GLOBAL_REGION, Inventory, Kind, ManagedResource, rfc3339
from runctl_iac.teardown.prices import hourly_usd

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
OLD = NOW - dt.timedelta(days=2)


def res(
    kind: Kind, rid: str, stack: str, *, created: dt.datetime | None = OLD, **tags: str
) -> ManagedResource:
    base = {"runctl:managed-by": "runctl", "runctl:project": "p", "runctl:stack": stack}
    details = {"type": "g5.xlarge", "state": "running"} if kind is Kind.INSTANCE else {}
    region = GLOBAL_REGION if kind in (Kind.ROLE, Kind.INSTANCE_PROFILE) else "us-east-1"
    return ManagedResource(kind, rid, region, base | tags, created, details=details)


def stack(name: str, *, expired: bool = False, locked: bool = False, readable: bool = True) -> StackInfo:
    expires = NOW - dt.timedelta(hours=1) if expired else NOW + dt.timedelta(hours=1)
    return StackInfo("p", name, expires, locked, 3, OLD, readable=readable)


class Probe:
    def __init__(
        self, running: frozenset[str] | set[str] = frozenset(), full: frozenset[str] | set[str] = frozenset()
    ) -> None:
        self.running, self.full = running, full

    def running_jobs(self, staging_bucket: ManagedResource) -> list[RunningJob]:
        if staging_bucket.stack in self.running:
            return [RunningJob(staging_bucket.id, "r9", 0, "running", NOW - dt.timedelta(seconds=20))]
        return []

    def holds_objects(self, bucket: ManagedResource) -> bool:
        return bucket.id in self.full


def test_order_reasons_and_savings() -> None:
    inventory = Inventory(
        ("us-east-1",),
        [
            res(Kind.BUCKET, "b", "gone"),
            res(Kind.ROLE, "r", "gone"),
            res(Kind.PARAMETER, "/runctl/p/gone/x", "gone"),
            res(Kind.SECURITY_GROUP, "sg-1", "gone", created=None),
            res(Kind.INSTANCE_PROFILE, "ip", "gone"),
            res(Kind.VOLUME, "vol-1", "gone"),
            res(Kind.INSTANCE, "i-1", "gone"),
            res(Kind.INSTANCE, "i-2", "live"),
        ],
    )
    plan = plan_gc(inventory, [stack("live")], GcOptions(), Probe(), NOW)
    kinds = [d.resource.kind for d in plan.deletions]
    assert kinds == [
        Kind.INSTANCE,
        Kind.VOLUME,
        Kind.SECURITY_GROUP,
        Kind.INSTANCE_PROFILE,
        Kind.ROLE,
        Kind.PARAMETER,
        Kind.BUCKET,
    ]
    assert all(d.reason == "orphan: no stack p/gone in the state backend" for d in plan.deletions)
    assert plan.hourly_saved == catalog().instance_hourly("us-east-1", "g5.xlarge")
    assert plan.kept == []  # the live stack is not gc's business


def test_every_safety_rule() -> None:
    young = NOW - dt.timedelta(minutes=5)
    inventory = Inventory(
        ("us-east-1",),
        [
            res(Kind.BUCKET, "kept", "a", **{"runctl:retain": "true"}),
            res(Kind.BUCKET, "full", "a"),
            res(Kind.OTHER, "arn:aws:sqs:us-east-1:1:q", "a"),
            res(Kind.INSTANCE, "i-young", "b", created=young),
            res(Kind.SECURITY_GROUP, "sg-undated", "b", created=None),  # takes its stack's youngest age
            res(Kind.INSTANCE, "i-run", "c"),
            res(Kind.BUCKET, "staging-c", "c", **{"runctl:role": "staging"}),
            res(Kind.INSTANCE, "i-lock", "d"),
        ],
    )
    stacks = [stack("c", expired=True), stack("d", expired=True, locked=True)]
    plan = plan_gc(inventory, stacks, GcOptions(), Probe(running={"c"}, full={"full"}), NOW)
    why = {k.what: k.why for k in plan.kept}
    assert why["bucket kept (us-east-1)"] == "retained (runctl:retain=true)"
    assert why["bucket full (us-east-1)"].startswith("bucket holds objects; rerun with --delete-data")
    assert why["other arn:aws:sqs:us-east-1:1:q (us-east-1)"].startswith("a type gc does not delete")
    assert why["instance i-young (us-east-1)"].startswith("younger than --min-age (5 min old)")
    assert why["security-group sg-undated (us-east-1)"].startswith("younger than --min-age")
    assert next(k.why for k in plan.kept if k.stack == "c").startswith("job r9 is running")
    assert "an update is in progress" in next(k.why for k in plan.kept if k.stack == "d")
    assert plan.empty
    forced = plan_gc(inventory, stacks, GcOptions(force=True, delete_data=True), Probe(running={"c"}), NOW)
    assert {d.resource.id for d in forced.deletions} == {"full", "i-run", "staging-c"}
    assert "removed anyway (--force)" in forced.warnings[0]


def test_expired_only_orphans_only_and_engine() -> None:
    inventory = Inventory(
        ("us-east-1",),
        [
            res(Kind.INSTANCE, "i-exp", "exp"),
            res(Kind.INSTANCE, "i-orphan", "lost"),
            res(
                Kind.INSTANCE,
                "i-orphan-expired",
                "lost2",
                **{"runctl:expires-at": rfc3339(NOW - dt.timedelta(hours=1))},
            ),
        ],
    )
    stacks = [
        stack("exp", expired=True),
        stack("state-only", expired=True),
        stack("bad", expired=True, readable=False),
    ]
    only_expired = plan_gc(inventory, stacks, GcOptions(orphans=False), Probe(), NOW)
    assert {d.resource.id for d in only_expired.deletions} == {"i-exp", "i-orphan-expired"}
    only_orphans = plan_gc(inventory, stacks, GcOptions(expired=False), Probe(), NOW)
    assert {d.resource.id for d in only_orphans.deletions} == {"i-orphan", "i-orphan-expired"}
    engine = plan_gc(inventory, stacks, GcOptions(orphans=False), Probe(), NOW, engine=True)
    # the engine destroys stacks with readable state, even with no tagged resource found (state-only)
    assert [(d.stack, d.state_resources) for d in engine.destroys] == [("exp", 3), ("state-only", 3)]
    assert {d.resource.id for d in engine.deletions} == {"i-orphan-expired"}
    no_backend = plan_gc(inventory, None, GcOptions(), Probe(), NOW)
    assert {d.resource.id for d in no_backend.deletions} == {"i-orphan-expired"}


def test_heartbeat_freshness_and_prices() -> None:
    fresh = {"state": "running", "heartbeat": rfc3339(NOW - dt.timedelta(minutes=4))}
    assert is_fresh(fresh, NOW)
    assert not is_fresh({**fresh, "state": "succeeded"}, NOW)
    assert not is_fresh({**fresh, "heartbeat": rfc3339(NOW - dt.timedelta(minutes=6))}, NOW)
    assert not is_fresh({"state": "setup"}, NOW)
    vol = ManagedResource(
        Kind.VOLUME, "v", "us-east-1", {}, details={"type": "gp3", "size_gb": 730, "iops": 3000}
    )
    gp3 = catalog().ebs_price("us-east-1", "gp3")
    assert gp3 is not None and hourly_usd(vol) == gp3.gb_month * 730 / catalog().hours_per_month
    unknown = ManagedResource(Kind.INSTANCE, "i", "us-east-1", {}, details={"type": "zz9.huge"})
    assert hourly_usd(unknown) is None
    stopped = ManagedResource(
        Kind.INSTANCE, "i", "us-east-1", {}, details={"type": "g5.xlarge", "state": "stopped"}
    )
    assert hourly_usd(stopped) == Decimal(0)


def test_orphans_only_in_projects_the_backend_knows_or_the_user_names() -> None:
    other = ManagedResource(
        Kind.INSTANCE,
        "i-other",
        "us-east-1",
        {"runctl:managed-by": "runctl", "runctl:project": "elsewhere", "runctl:stack": "prod"},
        OLD,
    )
    inventory = Inventory(("us-east-1",), [other, res(Kind.INSTANCE, "i-1", "gone")])
    plan = plan_gc(inventory, [stack("live")], GcOptions(), Probe(), NOW)
    assert [d.resource.id for d in plan.deletions] == ["i-1"]  # project p is known: its orphan goes
    assert [(k.project, k.what) for k in plan.kept] == [("elsewhere", "stack")]
    assert "pass --project elsewhere" in plan.kept[0].why
    named = plan_gc(inventory, [stack("live")], GcOptions(), Probe(), NOW, projects=["elsewhere"])
    assert {d.resource.id for d in named.deletions} == {"i-1", "i-other"}


def test_stacks_autostopped_longer_than_stopped_for_are_destroyed() -> None:
    from runctl_iac.plan.config import parse_config

    config = parse_config('[gc]\nstopped_for = "7d"\n', "runctl.toml")
    assert config.gc_stopped_for is not None and config.gc_stopped_for.seconds == 7 * 86400
    week = dt.timedelta(seconds=config.gc_stopped_for.seconds)

    def stopped(rid: str, name: str, days: int) -> ManagedResource:
        inst = res(Kind.INSTANCE, rid, name)
        details = {**inst.details, "state": "stopped", "stopped_at": rfc3339(NOW - dt.timedelta(days=days))}
        return ManagedResource(inst.kind, inst.id, inst.region, inst.tags, inst.created, details=details)

    inventory = Inventory(
        ("us-east-1",),
        [
            stopped("i-1", "idle", 8),
            stopped("i-2", "idle", 9),
            res(Kind.VOLUME, "vol-keep", "idle", **{"runctl:retain": "true"}),
            res(Kind.VOLUME, "vol-go", "idle"),
            stopped("i-3", "recent", 2),
            stopped("i-4", "half", 30),
            res(Kind.INSTANCE, "i-5", "half"),  # still running: the stack is in use
        ],
    )
    stacks = [stack("idle"), stack("recent"), stack("half")]
    plan = plan_gc(inventory, stacks, GcOptions(stopped_for=week), Probe(), NOW, engine=True)
    assert [(d.stack, d.reason) for d in plan.destroys] == [
        (
            "idle",
            "autostopped: every instance of p/idle stopped since 2026-11-19 12:00 UTC, "
            "longer than gc.stopped_for (168 h); keeps volume(s) vol-keep (retained)",
        )
    ]
    # without the setting (or without --expired) a stopped stack is left alone
    assert plan_gc(inventory, stacks, GcOptions(), Probe(), NOW, engine=True).destroys == []
    off = GcOptions(expired=False, orphans=True, stopped_for=week)
    assert plan_gc(inventory, stacks, off, Probe(), NOW, engine=True).destroys == []
