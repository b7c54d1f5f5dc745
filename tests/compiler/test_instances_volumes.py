from __future__ import annotations

import pytest

from runctl_iac.compiler import compile
from runctl_iac.compiler.graph import Invoke, NodeMount, Ref
from runctl_iac.compiler.instances import INSTANCE
from runctl_iac.compiler.volumes import ATTACHMENT, VOLUME, device_name
from runctl_iac.spec.model import InstanceGroup, Mount, Volume
from tests.compiler.helpers import of_type
from tests.compiler.specs import multi_node, single_node


def test_count_instances_with_imdsv2_and_encrypted_gp3_root() -> None:
    graph, _ = compile(multi_node())
    instances = of_type(graph, INSTANCE)
    assert [r.id for r in instances] == [
        "instance.eval.0",
        "instance.trainer.0",
        "instance.trainer.1",
        "instance.trainer.2",
    ]
    for r in instances:
        p = r.properties
        assert p["metadata_options"]["http_tokens"] == "required"
        assert p["metadata_options"]["http_endpoint"] == "enabled"
        root = p["root_block_device"]
        assert root["encrypted"] is True and root["volume_type"] == "gp3"
        group = r.id.split(".")[1]
        assert p["vpc_security_group_ids"] == [Ref(f"sg.{group}", "id")]
        assert p["iam_instance_profile"] == Ref(f"profile.{group}", "name")
        assert set(r.options.depends_on) == {f"role.{group}.policy", f"role.{group}.ssm"}
        assert p["tags"] == {"Name": f"llama-dev-{group}-{r.id.rsplit('.', 1)[1]}"}
    assert graph.resources["instance.trainer.0"].properties["root_block_device"]["volume_size"] == 300
    assert graph.resources["instance.eval.0"].properties["root_block_device"]["volume_size"] == 200


def test_spot_options_one_time_terminate_with_max_price_when_given() -> None:
    graph, _ = compile(multi_node())
    trainer = graph.resources["instance.trainer.1"].properties["instance_market_options"]
    assert trainer == {
        "market_type": "spot",
        "spot_options": {
            "spot_instance_type": "one-time",
            "instance_interruption_behavior": "terminate",
            "max_price": "12.50",
        },
    }
    assert (
        "max_price"
        not in graph.resources["instance.eval.0"].properties["instance_market_options"]["spot_options"]
    )
    on_demand = compile(single_node())[0].resources["instance.box.0"].properties
    assert "instance_market_options" not in on_demand


def test_images_literal_alias_and_ssm() -> None:
    graph, _ = compile(multi_node())
    assert graph.resources["instance.eval.0"].properties["ami"] == "ami-0abc1234def567890"
    alias = graph.resources["instance.trainer.0"].properties["ami"]
    assert isinstance(alias, Invoke) and alias.token == "aws:ssm/getParameter:getParameter"
    assert alias.args["name"].startswith("/aws/service/deeplearning/ami/x86_64/") and alias.attr == "value"
    spec = single_node(
        instances={"box": InstanceGroup("box", "g5.xlarge", image="ssm:/aws/service/custom/ami")}
    )
    ssm = compile(spec)[0].resources["instance.box.0"].properties["ami"]
    assert ssm == Invoke("aws:ssm/getParameter:getParameter", {"name": "/aws/service/custom/ami"}, "value")


def test_one_encrypted_volume_per_instance_in_its_zone() -> None:
    graph, _ = compile(multi_node())
    volumes = of_type(graph, VOLUME)
    assert len(volumes) == 6  # 2 mounts x 3 nodes; eval mounts nothing
    for v in volumes:
        _, _vol, group, index = v.id.split(".")
        assert v.properties["encrypted"] is True
        assert v.properties["availability_zone"] == Ref(f"instance.{group}.{index}", "availability_zone")
    data = graph.resources["volume.data.trainer.2"].properties
    assert (data["size"], data["type"], data["iops"], data["throughput"]) == (500, "gp3", 6000, 500)
    assert data["snapshot_id"] == "snap-0123456789abcdef0"
    cache = graph.resources["volume.cache.trainer.0"].properties
    assert not {"iops", "throughput", "snapshot_id"} & set(cache)


def test_retained_volumes_are_protected_and_kept() -> None:
    graph, _ = compile(multi_node())
    for i in range(3):
        cache = graph.resources[f"volume.cache.trainer.{i}"].options
        assert cache.protect and cache.retain_on_delete
        data = graph.resources[f"volume.data.trainer.{i}"].options
        assert not data.protect and not data.retain_on_delete
        # the tag `runctl gc` reads when the state is gone
        assert graph.resources[f"volume.cache.trainer.{i}"].properties["tags"]["runctl:retain"] == "true"
        assert "runctl:retain" not in graph.resources[f"volume.data.trainer.{i}"].properties["tags"]
    assert not any(a.options.retain_on_delete or a.options.protect for a in of_type(graph, ATTACHMENT))


def test_attachments_wire_each_volume_to_its_own_instance_on_distinct_devices() -> None:
    graph, launch = compile(multi_node())
    attachments = of_type(graph, ATTACHMENT)
    assert len(attachments) == 6
    for a in attachments:
        _, vol, group, index = a.id.split(".")
        assert a.properties["instance_id"] == Ref(f"instance.{group}.{index}", "id")
        assert a.properties["volume_id"] == Ref(f"volume.{vol}.{group}.{index}", "id")
    for i in range(3):
        devices = {
            graph.resources[f"attachment.{v}.trainer.{i}"].properties["device_name"]
            for v in ("data", "cache")
        }
        assert devices == {"/dev/sdf", "/dev/sdg"}
    assert launch.nodes[1].mounts == (
        NodeMount("volume.data.trainer.1", "/dev/sdf", "/data"),
        NodeMount("volume.cache.trainer.1", "/dev/sdg", "/cache"),
    )


def test_device_names_run_out_loudly() -> None:
    assert [device_name(i) for i in range(3)] == ["/dev/sdf", "/dev/sdg", "/dev/sdh"]
    assert device_name(20) == "/dev/sdz"
    with pytest.raises(Exception, match="no device name"):
        device_name(21)


def test_outputs_per_node_and_per_volume() -> None:
    graph, _ = compile(multi_node())
    assert graph.outputs["instances"]["instance.trainer.2"] == {
        "id": Ref("instance.trainer.2", "id"),
        "private_ip": Ref("instance.trainer.2", "private_ip"),
        "availability_zone": Ref("instance.trainer.2", "availability_zone"),
    }
    assert len(graph.outputs["instances"]) == 4
    assert graph.outputs["volumes"]["volume.cache.trainer.0"] == Ref("volume.cache.trainer.0", "id")
    assert len(graph.outputs["volumes"]) == 6


def test_two_groups_mounting_different_volumes() -> None:
    spec = single_node(
        volumes={"a": Volume("a", 10), "b": Volume("b", 20)},
        instances={
            "x": InstanceGroup("x", "g5.xlarge", count=2, mounts=(Mount("a", "/a"),)),
            "y": InstanceGroup("y", "g5.xlarge", mounts=(Mount("b", "/b"),)),
        },
        training=None,
    )
    graph, launch = compile(spec)
    assert sorted(r.id for r in of_type(graph, VOLUME)) == ["volume.a.x.0", "volume.a.x.1", "volume.b.y.0"]
    assert graph.resources["attachment.b.y.0"].properties["device_name"] == "/dev/sdf"
    assert launch.nodes == () and launch.run == ""
