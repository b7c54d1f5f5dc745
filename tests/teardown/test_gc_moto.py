"""`gc` end to end on a moto server: seeded leaks across two regions, every safety rule, the audit log.

Moto stamps resources with the real time, so "old" is made by planning at a later `now`:
everything seeded before `cutoff` is older than --min-age at `now = cutoff + min_age`;
the young stack is seeded after it.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from runctl_iac.teardown.audit import read_audit
from runctl_iac.teardown.discover import discover
from runctl_iac.teardown.gc import GcOptions
from runctl_iac.teardown.model import ORDER, Kind
from runctl_iac.teardown.service import plan, run
from tests.teardown.seed import MOTO_AMI, SECRET_VALUE, Seeded, client, seed_stack, tags, write_stack

WEST, EU = "us-west-2", "eu-west-1"
REGIONS = (WEST, EU)
MIN_AGE = dt.timedelta(hours=1)
ALL = ("orphan-a", "orphan-b", "expired", "live", "running", "locked", "finished", "young")


@dataclass
class World:
    root: Path
    backend: str
    now: dt.datetime
    stacks: dict[str, Seeded]
    project: str


def _world(tmp_path: Path, proj: str, names: tuple[str, ...] = ALL) -> World:
    start = dt.datetime.now(dt.UTC)
    past, future = start - dt.timedelta(days=1), start + dt.timedelta(days=30)
    state = tmp_path / ".runctl" / "state"
    builders: dict[str, Callable[[], Seeded]] = {
        # orphans: no stack in the backend
        "orphan-a": lambda: seed_stack(proj, "orphan-a", WEST, retained_bucket=True, retained_volume=True),
        "orphan-b": lambda: seed_stack(proj, "orphan-b", EU, iam=False),
        # in the backend, expired; swept by tags (no engine in this branch)
        "expired": lambda: seed_stack(proj, "expired", EU, expires=past),
        # in the backend, not expired: never touched
        "live": lambda: seed_stack(proj, "live", WEST, expires=future, iam=False),
        # expired, but its job is running (heartbeat written below): refused without --force
        "running": lambda: seed_stack(proj, "running", WEST, expires=past, iam=False, staging_status={}),
        # expired, but an update holds the lock
        "locked": lambda: seed_stack(proj, "locked", EU, expires=past, iam=False),
        # expired stack whose job finished: its stale heartbeat does not protect it
        "finished": lambda: seed_stack(
            proj,
            "finished",
            EU,
            expires=past,
            iam=False,
            instances=0,
            staging_status={"state": "running", "heartbeat": "2026-01-01T00:00:00Z"},
        ),
    }
    stacks = {name: builders[name]() for name in names if name in builders}
    for name in ("expired", "live", "running", "locked", "finished"):
        if name in stacks:
            write_stack(
                state, proj, name, expires=future if name == "live" else past, locked=name == "locked"
            )
    state.mkdir(parents=True, exist_ok=True)
    cutoff = dt.datetime.now(dt.UTC)
    now = cutoff + MIN_AGE
    if "young" in names:
        time.sleep(1.2)
        stacks["young"] = seed_stack(proj, "young", WEST, iam=False, instances=0)
    if "running" in stacks:  # the running job's heartbeat is fresh at `now`
        staging = stacks["running"].ids["staging-bucket"][0]
        body = f'{{"state": "running", "heartbeat": "{(now - dt.timedelta(seconds=30)).isoformat()}"}}'
        client("s3", WEST).put_object(Bucket=staging, Key="runs/r1/node-0/status.json", Body=body.encode())
    return World(tmp_path, state.as_uri(), now, stacks, proj)


def _expected(world: World) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for name in ("orphan-a", "orphan-b", "expired", "finished"):
        for kind, ids in world.stacks[name].ids.items():
            if kind in ("retained-bucket", "retained-volume"):
                continue
            out |= {(kind.replace("staging-", ""), rid) for rid in ids}
    return out


def _norm(seeded: Seeded) -> set[tuple[str, str]]:
    """(kind, id) pairs as discovery names them (staging and retained buckets are buckets...)."""
    return {
        (kind.split("-", 1)[1] if kind.startswith(("staging-", "retained-")) else kind, rid)
        for kind, rid in seeded.all()
    }


def _present(project: str) -> set[tuple[str, str]]:
    return {(r.kind.value, r.id) for r in discover(REGIONS, project=project).resources}


def test_dry_run_then_yes_then_nothing(aws: str, tmp_path: Path, project: str) -> None:
    world = _world(tmp_path, project)
    before = _present(project)
    options = GcOptions(min_age=MIN_AGE, delete_data=True)
    session = plan(
        REGIONS, options=options, project=project, backend=world.backend, root=tmp_path, now=world.now
    )
    planned = {(d.resource.kind.value, d.resource.id) for d in session.plan.deletions}
    assert planned == _expected(world)
    assert session.plan.destroys == []
    assert _present(project) == before  # the dry run deleted nothing
    kept = {(k.project, k.stack, k.what.split(" ")[0], k.why.split(" ")[0]) for k in session.plan.kept}
    assert (project, "orphan-a", "bucket", "retained") in kept
    assert (project, "orphan-a", "volume", "retained") in kept
    assert (project, "young", "parameter", "younger") in kept
    assert (project, "young", "security-group", "younger") in kept  # undated: the stack's youngest age
    assert (project, "running", "stack", "job") in kept
    assert (project, "locked", "stack", "an") in kept
    assert not any(k[1] == "live" for k in kept)
    saved = session.plan.hourly_saved
    assert saved > 0  # three p4d instances and their volumes

    # expired only, with --force and without --delete-data (a plan: nothing is deleted)
    forced_options = GcOptions(min_age=MIN_AGE, force=True, expired=True, orphans=False)
    forced = plan(
        REGIONS, options=forced_options, project=project, backend=world.backend, root=tmp_path, now=world.now
    )
    assert {d.resource.stack for d in forced.plan.deletions} == {"expired", "running", "finished"}
    assert any("--force" in w.message for w in forced.warnings)
    why = {k.what.split(" ")[1]: k.why for k in forced.plan.kept if k.resource is not None}
    assert why[world.stacks["expired"].ids["bucket"][0]].startswith(
        "bucket holds objects; rerun with --delete-data"
    )

    audit = tmp_path / "audit.jsonl"
    result = run(session, audit_log=audit, root=tmp_path)
    assert result.failed == []
    assert result.hourly_saved == saved
    after = _present(project)
    assert before - after == _expected(world)
    for name in ("live", "young", "running", "locked"):
        assert _norm(world.stacks[name]) <= after
    assert ("bucket", world.stacks["orphan-a"].ids["retained-bucket"][0]) in after
    assert ("volume", world.stacks["orphan-a"].ids["retained-volume"][0]) in after

    lines = read_audit(audit)
    deleted = [line for line in lines if line["action"] in ("terminate", "delete")]
    assert {(line["kind"], line["resource"]) for line in deleted} == _expected(world)
    assert all(line["result"] == "ok" and line["time"].endswith("Z") for line in deleted)
    assert all(
        {"time", "resource", "region", "action", "result", "project", "stack"} <= set(x) for x in lines
    )
    order = [ORDER[Kind(line["kind"])] for line in deleted]
    assert order == sorted(order)  # instances, volumes, groups, profiles, roles, parameters, buckets
    assert any(line["action"] == "empty" for line in lines)
    assert SECRET_VALUE not in audit.read_text()

    again = plan(
        REGIONS, options=options, project=project, backend=world.backend, root=tmp_path, now=world.now
    )
    assert again.plan.empty  # a second run finds nothing


def test_engine_destroy_is_used_for_expired_stacks_and_falls_back_to_tags(
    aws: str, tmp_path: Path, project: str
) -> None:
    world = _world(tmp_path, project, ("expired", "finished"))
    calls: list[tuple[str, str, str]] = []

    def destroy(project: str, stack: str, backend_url: str) -> None:
        calls.append((project, stack, backend_url))
        if stack == "finished":
            raise RuntimeError("engine: the Pulumi CLI is missing")

    options = GcOptions(min_age=MIN_AGE, expired=True, orphans=False, delete_data=True)
    session = plan(
        REGIONS,
        options=options,
        project=project,
        backend=world.backend,
        root=tmp_path,
        now=world.now,
        engine=True,
    )
    assert [(d.project, d.stack) for d in session.plan.destroys] == [
        (project, "expired"),
        (project, "finished"),
    ]
    assert session.plan.deletions == []
    result = run(session, audit_log=tmp_path / "a.jsonl", root=tmp_path, destroy_stack=destroy)
    assert calls == [(project, "expired", world.backend), (project, "finished", world.backend)]
    after = _present(project)
    assert world.stacks["expired"].all() <= after  # the fake engine destroyed nothing: tags left alone
    assert not _norm(world.stacks["finished"]) & after  # the failed destroy fell back to the tag sweep
    failed = [o for o in result.outcomes if not o.done]
    assert [(o.action, o.what) for o in failed] == [("destroy-stack", f"stack {project}/finished")]
    lines = read_audit(tmp_path / "a.jsonl")
    assert lines[0]["action"] == "destroy-stack" and lines[0]["result"] == "ok"
    assert lines[1]["result"] == "failed" and "Pulumi CLI is missing" in lines[1]["error"]


@pytest.mark.parametrize("orphans", [True, False])
def test_unreadable_backend(aws: str, tmp_path: Path, project: str, orphans: bool) -> None:
    from runctl_iac.diagnostics import DiagnosticError

    start = dt.datetime.now(dt.UTC)
    seed_stack(project, "lost", WEST, expires=start - dt.timedelta(hours=1), iam=False, bucket_objects=0)
    seed_stack(project, "other", WEST, iam=False, bucket_objects=0)
    options = GcOptions(min_age=dt.timedelta(0), orphans=orphans)
    missing = (tmp_path / "nope").as_uri()
    if orphans:
        with pytest.raises(DiagnosticError) as exc:
            plan((WEST,), options=options, project=project, backend=missing, root=tmp_path)
        assert exc.value.diagnostics[0].code == "E0902"
        return
    session = plan((WEST,), options=options, project=project, backend=missing, root=tmp_path)
    assert {d.resource.stack for d in session.plan.deletions} == {"lost"}  # expired by its own tag
    assert session.warnings[0].code == "W0906"


def test_a_volume_attached_elsewhere_is_detached_first(aws: str, tmp_path: Path, project: str) -> None:
    ec2 = client("ec2", WEST)
    untagged = ec2.run_instances(ImageId=MOTO_AMI, MinCount=1, MaxCount=1)["Instances"][0]
    zone = untagged["Placement"]["AvailabilityZone"]
    vol = ec2.create_volume(
        Size=10,
        AvailabilityZone=zone,
        TagSpecifications=[{"ResourceType": "volume", "Tags": tags(project, "x")}],
    )["VolumeId"]
    ec2.attach_volume(VolumeId=vol, InstanceId=untagged["InstanceId"], Device="/dev/sdf")
    (tmp_path / "state").mkdir()
    options = GcOptions(min_age=dt.timedelta(0), orphans=True, expired=False)
    session = plan((WEST,), options=options, project=project, backend=str(tmp_path / "state"), root=tmp_path)
    assert [d.resource.id for d in session.plan.deletions] == [vol]
    result = run(session, audit_log=tmp_path / "a.jsonl", root=tmp_path)
    assert [(o.action, o.result) for o in result.outcomes] == [("delete", "ok")]
    assert [(x["action"], x["result"]) for x in read_audit(tmp_path / "a.jsonl")] == [
        ("detach", "ok"),
        ("delete", "ok"),
    ]
    assert ec2.describe_volumes(Filters=[{"Name": "volume-id", "Values": [vol]}])["Volumes"] == []


def test_a_stack_stopped_longer_than_stopped_for_goes(aws: str, tmp_path: Path, project: str) -> None:
    seeded = seed_stack(project, "idle", WEST, iam=False, retained_volume=True)
    state = tmp_path / ".runctl" / "state"
    write_stack(state, project, "idle", expires=dt.datetime.now(dt.UTC) + dt.timedelta(days=30))
    instances = seeded.ids["instance"]
    client("ec2", WEST).stop_instances(InstanceIds=instances)  # as autostop leaves them
    found = [r for r in discover((WEST,), project=project).resources if r.kind is Kind.INSTANCE]
    assert {r.details["state"] for r in found} == {"stopped"} and all(r.details["stopped_at"] for r in found)
    week = dt.timedelta(days=7)
    options = GcOptions(min_age=dt.timedelta(0), expired=True, orphans=False, stopped_for=week)
    now = dt.datetime.now(dt.UTC)
    fresh = plan((WEST,), options=options, project=project, backend=state.as_uri(), root=tmp_path, now=now)
    assert fresh.plan.empty  # stopped a moment ago: kept
    later = plan(
        (WEST,), options=options, project=project, backend=state.as_uri(), root=tmp_path, now=now + week * 2
    )
    reasons = {d.reason for d in later.plan.deletions}
    kept_volume = seeded.ids["retained-volume"][0]
    assert len(reasons) == 1 and next(iter(reasons)).startswith(
        f"autostopped: every instance of {project}/idle"
    )
    assert f"keeps volume(s) {kept_volume} (retained); engine unavailable, swept by tags" in next(
        iter(reasons)
    )
    assert kept_volume not in {d.resource.id for d in later.plan.deletions}
    assert set(instances) <= {d.resource.id for d in later.plan.deletions}
