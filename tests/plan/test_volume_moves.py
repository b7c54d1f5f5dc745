"""`move_volumes: snapshot` offline: the compiled generations of a moved retained volume, and the plan
of a move (the old volume kept without a change or a data-loss finding, the snapshot noted); the
placement read back from stack config (`spec.capacity.recorded`)."""

from __future__ import annotations

import dataclasses

from runctl_iac.compiler import compile as compile_spec
from runctl_iac.compiler.graph import Ref
from runctl_iac.plan.capacity import placed_as_base
from runctl_iac.plan.diff import data_loss_findings, diff_graphs
from runctl_iac.plan.model import Action
from runctl_iac.spec.capacity import CAPACITY_CONFIG, VOLUME_ZONES_CONFIG, recorded
from runctl_iac.spec.model import Spec
from tests.engine.test_failover_order import SPEC as BASE
from tests.engine.test_failover_order import spec as base_spec

# the failover unit tests' spec, its worker allowed to move its data to a third zone
SPEC = BASE.replace(
    "zones: [us-east-1a, us-east-1b]}", "zones: [us-east-1a, us-east-1b, us-east-1c], move_volumes: snapshot}"
)
assert SPEC != BASE


def spec() -> Spec:
    return base_spec(SPEC)


def moved(zones: tuple[str, ...]) -> Spec:
    return recorded(
        spec(),
        {
            CAPACITY_CONFIG + "worker": f"t3.medium/on-demand/{zones[-1]}",
            VOLUME_ZONES_CONFIG + "worker": ",".join(zones),
        },
    )


def test_a_moved_volume_keeps_every_generation_and_attaches_the_newest() -> None:
    graph, plan = compile_spec(moved(("us-east-1a", "us-east-1b", "us-east-1c")))
    res = graph.resources
    assert res["volume.data.worker.0"].properties["availability_zone"] == "us-east-1a"
    assert res["volume.data.worker.0-m1"].properties["availability_zone"] == "us-east-1b"
    assert res["volume.data.worker.0-m2"].properties["availability_zone"] == Ref(
        "instance.worker.0", "availability_zone"
    )
    assert res["snapshot.data.worker.0-m1"].properties["volume_id"] == Ref("volume.data.worker.0", "id")
    assert res["snapshot.data.worker.0-m2"].properties["volume_id"] == Ref("volume.data.worker.0-m1", "id")
    assert res["volume.data.worker.0-m2"].properties["snapshot_id"] == Ref("snapshot.data.worker.0-m2", "id")
    for rid in ("volume.data.worker.0", "volume.data.worker.0-m1", "volume.data.worker.0-m2"):
        assert res[rid].options.protect and res[rid].options.retain_on_delete
    assert res["snapshot.data.worker.0-m1"].options.retain_on_delete
    assert res["attachment.data.worker.0"].properties["volume_id"] == Ref("volume.data.worker.0-m2", "id")
    assert [m.volume_resource for m in plan.nodes[0].mounts] == [
        "volume.data.worker.0-m2",
        "volume.scratch.worker.0",
    ]
    # a volume that is not retained is not moved: it follows the instance (a new, empty one)
    assert "volume.scratch.worker.0-m1" not in res
    assert res["instance.worker.0"].properties["availability_zone"] == "us-east-1c"


def test_the_plan_of_a_move_keeps_the_old_volume_without_a_change_or_data_loss() -> None:
    before, _ = compile_spec(moved(("us-east-1a",)))
    after, _ = compile_spec(moved(("us-east-1a", "us-east-1b")))
    changes = diff_graphs(before, after)
    by_id = {c.id: c for c in changes.changes}
    assert by_id["volume.data.worker.0"].action is Action.NOOP
    assert by_id["instance.worker.0"].action is Action.REPLACE
    assert by_id["volume.data.worker.0-m1"].action is Action.CREATE
    snap = by_id["snapshot.data.worker.0-m1"]
    assert snap.action is Action.CREATE
    assert snap.note == (
        "volume data: snapshot of volume.data.worker.0 → new volume volume.data.worker.0-m1 in us-east-1b; "
        "old volume volume.data.worker.0 kept"
    )
    # the scratch volume (not retained) is replaced in the new zone: that one is data loss, said so
    findings = data_loss_findings(changes)
    assert [f.code for f in findings] == ["W0507"]
    assert "scratch" in (findings[0].path or "") + findings[0].message


def test_a_volume_not_protected_that_loses_its_instance_zone_is_still_replaced() -> None:
    before, _ = compile_spec(moved(("us-east-1a",)))
    after, _ = compile_spec(moved(("us-east-1a", "us-east-1b")))
    old = after.resources["volume.data.worker.0"]
    unprotected = dataclasses.replace(old, options=dataclasses.replace(old.options, protect=False))
    after = dataclasses.replace(after, resources={**after.resources, old.id: unprotected})
    [change] = [c for c in diff_graphs(before, after).changes if c.id == old.id]
    assert change.action is Action.REPLACE


def test_recorded_places_each_group_on_its_recorded_candidate() -> None:
    s = recorded(spec(), {CAPACITY_CONFIG + "worker": "t3.large/on-demand/us-east-1b"})
    group = s.instances["worker"]
    assert (group.type, group.zone, group.volume_zones) == ("t3.large", "us-east-1b", ())
    unknown = recorded(spec(), {CAPACITY_CONFIG + "worker": "gone.type/spot/any"})
    assert unknown.instances["worker"].type == "t3.medium"  # candidate 1 when the record is stale


def test_a_plan_against_a_moved_base_keeps_the_move() -> None:
    base, _ = compile_spec(moved(("us-east-1a", "us-east-1b")))
    again = placed_as_base(spec(), base)
    assert again.instances["worker"].volume_zones == ("us-east-1a", "us-east-1b")
    graph, _ = compile_spec(again)
    assert not diff_graphs(base, graph).has_changes
