"""The offline diff: change kinds, cascading, data loss, secrets, ordering, findings."""

from __future__ import annotations

import json
import random
from dataclasses import asdict

import pytest

from runctl_iac.compiler.graph import Graph, Invoke, Options, Ref, Resource, SecretEnv
from runctl_iac.diagnostics import Severity
from runctl_iac.plan.diff import (
    KNOWN_AFTER_APPLY,
    data_loss_findings,
    diff_graphs,
    shrink_findings,
    spec_path_for,
)
from runctl_iac.plan.model import Action
from runctl_iac.spec.model import Location, SourceMap, Spec, Volume
from tests.plan.diff_graphs import (
    DELETE,
    actions,
    base_graph,
    bucket,
    by_id,
    graph,
    instance,
    replace_resource,
    set_path,
    volume,
    without,
)

INSTANCE = "instance.trainer.0"
VOLUME = "volume.data.trainer.0"
ATTACH = "attachment.data.trainer.0"


def test_no_base_creates_everything_in_reading_order() -> None:
    new = base_graph()
    changes = diff_graphs(None, new)
    assert {c.action for c in changes.changes} == {Action.CREATE}
    assert [c.id for c in changes.changes] == [
        INSTANCE,
        VOLUME,
        "bucket.ckpt",
        ATTACH,
        "placement.trainer",
        "profile.trainer",
        "provider.aws",
        "role.trainer",
        "secret.HF_TOKEN",
        "sg.trainer",
    ]
    inst = by_id(changes)[INSTANCE]
    paths = {p.path: p for p in inst.properties}
    assert paths["root_block_device.volume_size"].old is None
    assert paths["root_block_device.volume_size"].new == 200
    assert paths["vpc_security_group_ids"].new == [{"$ref": "sg.trainer.id"}]
    assert changes.count(Action.CREATE) == len(new.resources)
    assert not any(c.data_loss for c in changes.changes)


def test_same_graph_is_all_noop_and_kept() -> None:
    changes = diff_graphs(base_graph(), base_graph())
    assert len(changes.changes) == len(base_graph().resources)
    assert all(c.action is Action.NOOP and c.properties == () for c in changes.changes)
    assert not changes.has_changes
    assert changes.source == "offline"


def test_json_round_trip_changes_nothing() -> None:
    g = base_graph()
    assert not diff_graphs(Graph.from_json(json.loads(g.dumps())), g).has_changes


def test_delete_volume_is_data_loss_and_retained_delete_is_not() -> None:
    old = base_graph()
    c = by_id(diff_graphs(old, without(old, VOLUME, ATTACH)))[VOLUME]
    assert (c.action, c.data_loss, c.retained) == (Action.DELETE, True, False)
    assert {p.path: p.old for p in c.properties}["size"] == 500
    assert all(p.new is None for p in c.properties)

    kept = base_graph(retain_volume=True)
    c = by_id(diff_graphs(kept, without(kept, VOLUME, ATTACH)))[VOLUME]
    assert (c.action, c.data_loss, c.retained) == (Action.DELETE, False, True)
    assert c.note is not None and "retained" in c.note and "protected" in c.note


def test_delete_bucket_is_data_loss_unless_retained() -> None:
    old = base_graph()
    c = by_id(diff_graphs(old, without(old, "bucket.ckpt")))["bucket.ckpt"]
    assert (c.action, c.data_loss, c.retained) == (Action.DELETE, True, False)
    kept = base_graph(retain_bucket=True)
    c = by_id(diff_graphs(kept, without(kept, "bucket.ckpt")))["bucket.ckpt"]
    assert (c.action, c.data_loss, c.retained) == (Action.DELETE, False, True)


def test_delete_of_supporting_resource_is_not_data_loss() -> None:
    old = base_graph()
    c = by_id(diff_graphs(old, without(old, "secret.HF_TOKEN")))["secret.HF_TOKEN"]
    assert (c.action, c.data_loss) == (Action.DELETE, False)


def test_replace_volume_is_data_loss_unless_retained_on_both_sides() -> None:
    old = base_graph()
    c = by_id(diff_graphs(old, set_path(old, VOLUME, "snapshot_id", "snap-1")))[VOLUME]
    assert (c.action, c.data_loss) == (Action.REPLACE, True)

    kept = base_graph(retain_volume=True)
    c = by_id(diff_graphs(kept, set_path(kept, VOLUME, "snapshot_id", "snap-1")))[VOLUME]
    assert (c.action, c.data_loss, c.retained) == (Action.REPLACE, False, True)
    assert c.note is not None and "starts empty" in c.note

    # retain dropped in the same change: the old volume is not kept
    unkept = replace_resource(set_path(kept, VOLUME, "snapshot_id", "snap-1"), volume(retain=False))
    unkept = set_path(unkept, VOLUME, "snapshot_id", "snap-1")
    c = by_id(diff_graphs(kept, unkept))[VOLUME]
    assert (c.action, c.data_loss) == (Action.REPLACE, True)
    assert {"options.protect", "options.retain_on_delete"} <= {p.path for p in c.properties}


def test_options_only_change_is_an_update() -> None:
    old = base_graph()
    new = replace_resource(old, volume(retain=True))
    c = by_id(diff_graphs(old, new))[VOLUME]
    assert c.action is Action.UPDATE
    assert [(p.path, p.old, p.new) for p in c.properties] == [
        ("options.protect", False, True),
        ("options.retain_on_delete", False, True),
    ]


def test_zone_change_cascades_to_volume_and_attachment() -> None:
    old = base_graph()
    changes = diff_graphs(old, set_path(old, INSTANCE, "availability_zone", "us-east-1b"))
    assert actions(changes) == {INSTANCE: Action.REPLACE, VOLUME: Action.REPLACE, ATTACH: Action.REPLACE}
    vol = by_id(changes)[VOLUME]
    assert vol.data_loss
    [prop] = vol.properties
    assert (prop.path, prop.old, prop.new, prop.replaces) == (
        "availability_zone",
        {"$ref": f"{INSTANCE}.availability_zone"},
        KNOWN_AFTER_APPLY,
        True,
    )
    assert vol.note is not None and f"follows {INSTANCE}.availability_zone, which is replaced" in vol.note
    att = by_id(changes)[ATTACH]
    assert {p.path for p in att.properties} == {"instance_id", "volume_id"}
    assert all(p.replaces and p.new == KNOWN_AFTER_APPLY for p in att.properties)
    findings = data_loss_findings(changes)
    assert [(f.code, f.path) for f in findings] == [("W0507", "volumes.data")]


def test_image_change_keeps_the_volume_but_reattaches() -> None:
    old = base_graph()
    changes = diff_graphs(old, set_path(old, INSTANCE, "ami", "ami-0fedcba9876543210"))
    # the replaced instance keeps its zone input, so the volume stays; its new id re-creates the attachment
    assert actions(changes) == {INSTANCE: Action.REPLACE, ATTACH: Action.REPLACE}
    assert [p.path for p in by_id(changes)[ATTACH].properties] == ["instance_id"]
    note = by_id(changes)[INSTANCE].note
    assert note is not None and "root disk contents are lost" in note
    assert data_loss_findings(changes) == []


def test_replaced_security_group_updates_instance_in_place() -> None:
    old = base_graph()
    changes = diff_graphs(old, set_path(old, "sg.trainer", "name", "proj-dev-new"))
    assert actions(changes) == {"sg.trainer": Action.REPLACE, INSTANCE: Action.UPDATE}
    [prop] = by_id(changes)[INSTANCE].properties
    assert (prop.path, prop.new, prop.replaces) == ("vpc_security_group_ids", KNOWN_AFTER_APPLY, False)


def test_changed_input_cascades_only_through_that_attribute() -> None:
    old = base_graph()
    changes = diff_graphs(old, set_path(old, "role.trainer", "name", "proj-dev-new"))
    # profile.role follows role.name (an input that changed): in-place role swap; the profile's own
    # name is unchanged, so the instance (which follows profile.name) is untouched
    assert actions(changes) == {"role.trainer": Action.REPLACE, "profile.trainer": Action.UPDATE}


def test_region_change_recreates_every_aws_resource() -> None:
    old = base_graph()
    new = set_path(old, "provider.aws", "region", "eu-west-1")
    new = Graph(new.project, new.stack, "eu-west-1", new.resources)
    changes = diff_graphs(old, new)
    assert all(c.action is Action.REPLACE for c in changes.changes)
    assert {c.id for c in changes.changes if c.data_loss} == {VOLUME, "bucket.ckpt"}
    note = by_id(changes)["role.trainer"].note
    assert note is not None and "eu-west-1" in note


def test_type_change_under_same_id_is_replace() -> None:
    old = base_graph()
    moved = Resource(VOLUME, "aws:ec2/somethingElse:Thing", {"size": 500})
    c = by_id(diff_graphs(old, replace_resource(old, moved)))[VOLUME]
    assert (c.action, c.data_loss) == (Action.REPLACE, True)
    assert c.note is not None and "type changed" in c.note


def test_leaf_comparison_details() -> None:
    old = base_graph()
    # bool vs int are different values even though True == 1 in Python
    c = by_id(diff_graphs(old, set_path(old, VOLUME, "encrypted", 1)))[VOLUME]
    assert [(p.path, p.old, p.new) for p in c.properties] == [("encrypted", True, 1)]
    # lists are whole values: a reorder is one change of the list
    sgs = [Ref("sg.trainer", "id"), "sg-1"]
    g1 = set_path(old, INSTANCE, "vpc_security_group_ids", sgs)
    c = by_id(diff_graphs(g1, set_path(g1, INSTANCE, "vpc_security_group_ids", sgs[::-1])))[INSTANCE]
    assert [p.path for p in c.properties] == ["vpc_security_group_ids"]
    # a block that appears is compared key by key, each under its dotted path
    g2 = set_path(old, INSTANCE, "instance_market_options", DELETE)
    c = by_id(diff_graphs(g2, old))[INSTANCE]
    assert {p.path for p in c.properties} == {
        "instance_market_options.market_type",
        "instance_market_options.spot_options.instance_interruption_behavior",
        "instance_market_options.spot_options.spot_instance_type",
    }
    assert c.action is Action.REPLACE


def test_secret_values_never_appear(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_sup3r-s3cret-value")
    monkeypatch.setenv("WANDB_KEY", "wandb-s3cret-value")
    old = base_graph()
    new = set_path(old, "secret.HF_TOKEN", "value", SecretEnv("WANDB_KEY"))
    for changes in (
        diff_graphs(old, new),
        diff_graphs(None, new),
        diff_graphs(new, without(new, "secret.HF_TOKEN")),
    ):
        c = by_id(changes)["secret.HF_TOKEN"]
        [value] = [p for p in c.properties if p.path == "value"]
        assert value.secret
        assert {str(value.old), str(value.new)} <= {
            "None",
            "{'$secret': 'HF_TOKEN'}",
            "{'$secret': 'WANDB_KEY'}",
        }
        assert not any(p.secret for p in c.properties if p.path != "value")
        dumped = repr(changes) + json.dumps([asdict(c) for c in changes.changes], default=str)
        assert "s3cret" not in dumped


def test_order_is_deterministic_whatever_the_input_order() -> None:
    old, new = base_graph(), set_path(base_graph(), INSTANCE, "availability_zone", "us-east-1b")
    new = replace_resource(new, instance("trainer", 1))
    new = replace_resource(new, bucket("aaa"))
    expected = diff_graphs(old, new)
    items = list(new.resources.items())
    for seed in range(5):
        random.Random(seed).shuffle(items)
        shuffled = Graph(new.project, new.stack, new.region, dict(items))
        assert diff_graphs(old, shuffled) == expected
    ids = [c.id for c in expected.changes]
    assert ids[:5] == [INSTANCE, "instance.trainer.1", VOLUME, "bucket.aaa", "bucket.ckpt"]


def _spec() -> Spec:
    positions: dict[tuple[str | int, ...], Location] = {
        ("volumes",): Location("spec.yaml", 8, 3),
        ("volumes", "data"): Location("spec.yaml", 9, 5),
        ("volumes", "data", "size_gb"): Location("stacks/dev.yaml", 4, 14),
        ("volumes", "data", "from_snapshot"): Location("spec.yaml", 11, 20),
    }
    return Spec(
        version=1,
        name="proj",
        region="us-east-1",
        volumes={"data": Volume("data", 100)},
        source=SourceMap(positions=positions, default_file="spec.yaml"),
    )


def test_data_loss_findings_warn_or_fail_and_point_at_the_spec() -> None:
    old = base_graph()
    changes = diff_graphs(old, set_path(old, VOLUME, "snapshot_id", "snap-1"))
    [warn] = data_loss_findings(changes, fail=False, spec=_spec())
    assert (warn.severity, warn.code, warn.path) == (Severity.WARNING, "W0507", "volumes.data.from_snapshot")
    assert (warn.file, warn.line, warn.column) == ("spec.yaml", 11, 20)
    assert "snapshot_id forces replacement" in warn.message
    assert warn.hint is not None and "retain: true" in warn.hint
    [err] = data_loss_findings(changes, fail=True)
    assert (err.severity, err.code, err.file) == (Severity.ERROR, "E0507", None)
    # a deleted volume points at the nearest spec position left
    [gone] = data_loss_findings(diff_graphs(old, without(old, VOLUME, ATTACH)), spec=_spec())
    assert (gone.path, gone.line) == ("volumes.data", 9)
    assert "deleted" in gone.message


def test_shrink_findings_point_at_the_size() -> None:
    old = base_graph()
    changes = diff_graphs(old, set_path(old, VOLUME, "size", 100))
    [f] = shrink_findings(changes, spec=_spec())
    assert (f.severity, f.code, f.path) == (Severity.ERROR, "E0508", "volumes.data.size_gb")
    assert (f.file, f.line) == ("stacks/dev.yaml", 4)
    assert "500 to 100" in f.message
    grown = diff_graphs(old, set_path(old, VOLUME, "size", 900))
    assert shrink_findings(grown) == []
    root = diff_graphs(old, set_path(old, INSTANCE, "root_block_device.volume_size", 50))
    assert [x.path for x in shrink_findings(root)] == ["instances.trainer.disk_gb"]
    # shrinking while the volume is replaced anyway (new snapshot) is fine: the new volume is new
    both = diff_graphs(old, set_path(set_path(old, VOLUME, "size", 100), VOLUME, "snapshot_id", "snap-2"))
    assert shrink_findings(both) == []
    note = next(c for c in both.changes if c.id == VOLUME).note
    assert note is None or "shrinking" not in note


@pytest.mark.parametrize(
    ("rid", "prop", "expected"),
    [
        (INSTANCE, "instance_type", ("instances", "trainer", "type")),
        (INSTANCE, "instance_market_options.spot_options.max_price", ("instances", "trainer", "spot")),
        (INSTANCE, "subnet_id", ("instances", "trainer")),
        (VOLUME, "throughput", ("volumes", "data", "throughput_mbps")),
        (ATTACH, None, ("instances", "trainer", "volumes", "data")),
        ("bucket.ckpt.versioning", None, ("buckets", "ckpt", "versioning")),
        ("bucket.ckpt.encryption", None, ("buckets", "ckpt")),
        ("role.trainer.ssm", None, ("instances", "trainer")),
        ("secret.HF_TOKEN", "value", ("training", "secrets")),
        ("provider.aws", "region", ("region",)),
        ("mystery", None, ()),
    ],
)
def test_spec_path_for(rid: str, prop: str | None, expected: tuple[str, ...]) -> None:
    assert spec_path_for(rid, prop) == expected


def test_retained_volume_without_data_type_options_is_plain() -> None:
    # protect alone (no retain) on a deleted resource: not retained, data loss, protected note
    old = graph([Resource(VOLUME, "aws:ebs/volume:Volume", {"size": 1}, Options(protect=True))])
    c = by_id(diff_graphs(old, graph([])))[VOLUME]
    assert (c.data_loss, c.retained) == (True, False)
    assert c.note is not None and "protected" in c.note


# ---- apply-time lookups ----


def _with_zone_lookup(g: Graph, itype: str) -> Graph:
    lookup = Invoke(
        "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings",
        {"filters": [{"name": "instance-type", "values": [itype]}], "location_type": "availability-zone"},
        "min(locations)",
    )
    return set_path(set_path(g, INSTANCE, "availability_zone", lookup), INSTANCE, "instance_type", itype)


def test_zone_lookup_with_new_inputs_is_not_a_replacement() -> None:
    old = _with_zone_lookup(base_graph(), "g5.xlarge")
    changes = diff_graphs(old, _with_zone_lookup(base_graph(), "g5.12xlarge"))
    assert actions(changes) == {INSTANCE: Action.UPDATE}
    inst = by_id(changes)[INSTANCE]
    assert {p.path: p.replaces for p in inst.properties} == {
        "availability_zone": False,
        "instance_type": False,
    }
    assert inst.note is not None and "stop/start" in inst.note and "looked up on apply" in inst.note
    vol = by_id(changes)[VOLUME]
    assert vol.note == f"may be replaced if the looked-up {INSTANCE}.availability_zone changes"
    assert data_loss_findings(changes) == []
    # a volume replaced for its own reasons does not also say it "may be replaced"
    both = diff_graphs(
        old, set_path(_with_zone_lookup(base_graph(), "g5.12xlarge"), VOLUME, "snapshot_id", "s-1")
    )
    vol = by_id(both)[VOLUME]
    assert vol.action is Action.REPLACE and vol.note is None


def test_zone_change_from_literal_to_lookup_is_a_replacement() -> None:
    old = base_graph()
    changes = diff_graphs(old, _with_zone_lookup(old, "g5.xlarge"))
    assert actions(changes) == {INSTANCE: Action.REPLACE, VOLUME: Action.REPLACE, ATTACH: Action.REPLACE}
