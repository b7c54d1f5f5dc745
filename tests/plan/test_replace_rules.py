"""Every replacement / in-place rule the issue names, through the diff on fixture Graph pairs."""

from __future__ import annotations

from typing import Any

import pytest

from runctl_iac.compiler.graph import Ref, Resource
from runctl_iac.plan import replace_rules as rr
from runctl_iac.plan.diff import diff_graphs
from runctl_iac.plan.model import Action, Change
from tests.plan.diff_graphs import DELETE, base_graph, replace_resource, set_path

INSTANCE = "instance.trainer.0"
VOLUME = "volume.data.trainer.0"
ATTACH = "attachment.data.trainer.0"


def change_of(rid: str, path: str, value: Any) -> Change:
    old = base_graph()
    changes = diff_graphs(old, set_path(old, rid, path, value))
    return next(c for c in changes.changes if c.id == rid)


REPLACING = [
    (INSTANCE, "ami", "ami-0fedcba9876543210"),
    (INSTANCE, "availability_zone", "us-east-1b"),
    (INSTANCE, "subnet_id", "subnet-2222"),
    (INSTANCE, "instance_market_options.spot_options.max_price", "1.50"),
    (INSTANCE, "instance_market_options", DELETE),  # spot -> on-demand
    (INSTANCE, "placement_group", Ref("placement.trainer", "name")),
    (INSTANCE, "root_block_device.encrypted", False),
    (VOLUME, "availability_zone", "us-east-1c"),
    (VOLUME, "snapshot_id", "snap-0123"),
    (VOLUME, "encrypted", False),
    (VOLUME, "kms_key_id", "arn:aws:kms:us-east-1:111122223333:key/abc"),
    (ATTACH, "device_name", "/dev/sdg"),
    (ATTACH, "instance_id", Ref("instance.trainer.1", "id")),
    (ATTACH, "volume_id", Ref("volume.other.trainer.0", "id")),
    ("bucket.ckpt", "bucket", "proj-dev-renamed"),
    ("sg.trainer", "name", "proj-dev-other"),
    ("sg.trainer", "vpc_id", "vpc-2222"),
    ("role.trainer", "name", "proj-dev-other"),
    ("profile.trainer", "name", "proj-dev-other"),
    ("placement.trainer", "strategy", "spread"),
    ("secret.HF_TOKEN", "name", "/runctl/proj/dev/OTHER"),
    ("provider.aws", "region", "eu-west-1"),
]


@pytest.mark.parametrize(("rid", "path", "value"), REPLACING, ids=[f"{r}:{p}" for r, p, _ in REPLACING])
def test_replacing_change(rid: str, path: str, value: Any) -> None:
    c = change_of(rid, path, value)
    assert c.action is Action.REPLACE
    assert any(p.replaces and (p.path == path or p.path.startswith(path + ".")) for p in c.properties)


IN_PLACE = [
    (INSTANCE, "instance_type", "g5.2xlarge", "stop/start"),
    (INSTANCE, "iam_instance_profile", "other-profile", "no restart"),
    (INSTANCE, "metadata_options.http_put_response_hop_limit", 2, "ModifyInstanceMetadataOptions"),
    (INSTANCE, "vpc_security_group_ids", [Ref("sg.trainer", "id"), "sg-0extra"], "no restart"),
    (INSTANCE, "root_block_device.volume_size", 400, "ModifyVolume"),
    (INSTANCE, "root_block_device.volume_type", "gp2", "ModifyVolume"),
    (INSTANCE, "root_block_device.iops", 6000, "ModifyVolume"),
    (INSTANCE, "tags.Name", "renamed", "tags only"),
    (VOLUME, "size", 1000, "can only grow"),
    (VOLUME, "type", "io2", "ModifyVolume"),
    (VOLUME, "iops", 6000, "ModifyVolume"),
    (VOLUME, "throughput", 500, "ModifyVolume"),
    ("bucket.ckpt", "force_destroy", False, "state only"),
    ("profile.trainer", "role", "other-role", "role swapped"),
    ("secret.HF_TOKEN", "type", "String", None),
    ("provider.aws", "default_tags.tags.team", "ml", "tags of every resource"),
]


@pytest.mark.parametrize(
    ("rid", "path", "value", "note"), IN_PLACE, ids=[f"{r}:{p}" for r, p, _, _ in IN_PLACE]
)
def test_in_place_change(rid: str, path: str, value: Any, note: str | None) -> None:
    c = change_of(rid, path, value)
    assert c.action is Action.UPDATE
    assert [p.path for p in c.properties] == [path]
    assert not c.properties[0].replaces
    assert not c.data_loss
    if note is None:
        assert c.note is None
    else:
        assert c.note is not None and note in c.note


def test_in_place_instance_change_leaves_dependents_alone() -> None:
    old = base_graph()
    changes = diff_graphs(old, set_path(old, INSTANCE, "instance_type", "g5.12xlarge"))
    assert {c.id: c.action for c in changes.changes if c.action is not Action.NOOP} == {
        INSTANCE: Action.UPDATE
    }


def test_volume_shrink_is_flagged_not_replaced() -> None:
    c = change_of(VOLUME, "size", 100)
    assert c.action is Action.UPDATE
    assert c.note is not None and "shrinking from 500 to 100 is not possible" in c.note
    assert rr.is_shrink(rr.VOLUME_TYPE, "size", 500, 100)
    assert not rr.is_shrink(rr.VOLUME_TYPE, "size", 100, 500)
    assert not rr.is_shrink(rr.VOLUME_TYPE, "iops", 6000, 3000)  # iops may go down
    assert rr.is_shrink(rr.INSTANCE_TYPE, "root_block_device.volume_size", "200", 100)
    assert not rr.is_shrink(rr.VOLUME_TYPE, "size", True, 1)  # booleans are not sizes


def test_rule_path_matching() -> None:
    t = rr.INSTANCE_TYPE
    assert rr.forces_replacement(t, "instance_market_options.spot_options.max_price")  # under a rule
    assert rr.forces_replacement(t, "root_block_device")  # above a rule: the block changed shape
    assert not rr.forces_replacement(t, "root_block_device.volume_size")
    assert not rr.forces_replacement(t, "amifoo")  # prefix of a name is not a path prefix
    assert (
        rr.update_note(t, "root_block_device.volume_size")
        == rr.RULES[t].notes["root_block_device.volume_size"]
    )
    assert rr.update_note(t, "tags.Name") == "tags only"
    assert rr.update_note(t, "monitoring") is None


def test_unknown_type_is_assumed_replaced() -> None:
    token = "aws:s3/bucketObjectv2:BucketObjectv2"
    assert rr.rules_for(token) is None
    assert rr.forces_replacement(token, "anything")
    g1 = replace_resource(base_graph(), Resource("code.object", token, {"key": "code.tar.gz", "source": "a"}))
    g2 = set_path(g1, "code.object", "source", "b")
    c = next(c for c in diff_graphs(g1, g2).changes if c.id == "code.object")
    assert c.action is Action.REPLACE
    assert c.note is not None and rr.UNKNOWN_TYPE_NOTE in c.note


def test_every_table_names_its_source_and_known_paths() -> None:
    for token, rules in rr.RULES.items():
        assert rules.token == token
        assert "ForceNew" in rules.source or "RequiresReplace" in rules.source or "Pulumi" in rules.source
        assert rules.replace, token
        assert not (set(rules.notes) & rules.replace), token  # a path is either replacing or in place
        assert rules.grow_only <= set(rules.notes), token  # grow-only paths are in-place with a note
