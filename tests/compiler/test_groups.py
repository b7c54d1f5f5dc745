from __future__ import annotations

import json

from runctl_iac.compiler import compile
from runctl_iac.compiler.graph import Invoke, Ref
from runctl_iac.compiler.groups import INSTANCE_PROFILE, PLACEMENT_GROUP, ROLE, SECURITY_GROUP
from runctl_iac.spec.model import Bucket, InstanceGroup, Training
from tests.compiler.helpers import of_type, policy, statement_resources
from tests.compiler.specs import multi_node, single_node, with_subnet, with_vpc_only


def test_no_inbound_rule_except_the_group_itself() -> None:
    graph, _ = compile(multi_node())
    sgs = {r.id: r for r in of_type(graph, SECURITY_GROUP)}
    assert set(sgs) == {"sg.eval", "sg.trainer"}
    assert sgs["sg.eval"].properties["ingress"] == []  # single node: no inbound at all
    [rule] = sgs["sg.trainer"].properties["ingress"]
    assert rule["self"] is True and rule["protocol"] == "-1"
    assert (rule["from_port"], rule["to_port"]) == (0, 0)
    assert not {"cidr_blocks", "ipv6_cidr_blocks", "security_groups", "prefix_list_ids"} & set(rule)
    for sg in sgs.values():
        [egress] = sg.properties["egress"]
        assert egress["protocol"] == "-1" and egress["cidr_blocks"] == ["0.0.0.0/0"]


def test_role_trusts_ec2_and_gets_ssm_core() -> None:
    graph, _ = compile(multi_node())
    role = graph.resources["role.trainer"]
    assert role.type == ROLE
    trust = json.loads(role.properties["assume_role_policy"])
    assert trust["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]
    ssm = graph.resources["role.trainer.ssm"]
    assert ssm.properties == {
        "role": Ref("role.trainer", "name"),
        "policy_arn": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    }
    assert graph.resources["profile.trainer"].type == INSTANCE_PROFILE
    assert graph.resources["profile.trainer"].properties == {"role": Ref("role.trainer", "name")}


def test_policy_grants_exactly_the_specs_buckets_and_the_stacks_parameters() -> None:
    graph, _ = compile(multi_node())
    doc = policy(graph, "trainer")
    own = {
        "arn:aws:s3:::runctl-llama-dev-checkpoints-<account>",
        "arn:aws:s3:::runctl-llama-dev-scratch-<account>",
        "arn:aws:s3:::runctl-llama-dev-staging-705ed7c9-<account>",  # the staging bucket
    }
    by_sid = {st["Sid"]: st for st in doc["Statement"]}
    assert set(by_sid["ListOwnBuckets"]["Resource"]) == own
    assert by_sid["ListOwnBuckets"]["Action"] == "s3:ListBucket"
    assert set(by_sid["ReadWriteOwnObjects"]["Resource"]) == {f"{a}/*" for a in own}
    assert {"s3:GetObject", "s3:PutObject", "s3:DeleteObject"} <= set(by_sid["ReadWriteOwnObjects"]["Action"])
    # code from an s3:// prefix outside the spec: read-only, that prefix only
    assert by_sid["ReadCode"] == {
        "Sid": "ReadCode",
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::shared-code/llama/v1/*",
    }
    assert by_sid["ListCode"]["Condition"] == {"StringLike": {"s3:prefix": ["llama/v1", "llama/v1/*"]}}
    assert by_sid["ReadStackParameters"]["Resource"] == "arn:aws:ssm:us-west-2:*:parameter/runctl/llama/dev/*"
    assert set(by_sid["ReadStackParameters"]["Action"]) == {"ssm:GetParameter", "ssm:GetParameters"}
    writable = {r for st in doc["Statement"] if st["Sid"] != "ReadCode" for r in _as_list(st["Resource"])}
    assert not any("*" in r.split(":::")[-1].split("/")[0] for r in writable if r.startswith("arn:aws:s3"))
    assert all(st["Effect"] == "Allow" for st in doc["Statement"])
    # a spot training group reads its own price (spend on the node), nothing else of EC2
    spot = by_sid.pop("ReadSpotPrice")
    assert (spot["Action"], spot["Resource"]) == ("ec2:DescribeSpotPriceHistory", "*")
    assert not any(
        a.startswith(("iam:", "kms:", "ec2:")) for st in by_sid.values() for a in _as_list(st["Action"])
    )
    assert policy(graph, "eval") == doc


def _as_list(v: str | list[str]) -> list[str]:
    return [v] if isinstance(v, str) else v


def test_policy_without_buckets_only_reads_parameters() -> None:
    graph, _ = compile(single_node(buckets={}, training=None))
    doc = policy(graph, "box")
    assert [st["Sid"] for st in doc["Statement"]] == ["ReadStackParameters"]


def test_policy_with_training_grants_the_staging_bucket() -> None:
    graph, _ = compile(single_node(buckets={}))
    assert statement_resources(policy(graph, "box")) == {
        "arn:aws:s3:::runctl-quick-dev-staging-d74ec87f-<account>",
        "arn:aws:s3:::runctl-quick-dev-staging-d74ec87f-<account>/*",
        "arn:aws:ssm:us-east-1:*:parameter/runctl/quick/dev/*",
    }


def test_code_in_an_own_bucket_needs_no_extra_grant() -> None:
    spec = single_node(
        buckets={"code": Bucket("code")},
        training=Training(group="box", run="x", code="s3://runctl-quick-dev-code-<account>/src"),
    )
    doc = policy(compile(spec)[0], "box")
    assert statement_resources(doc) == {
        "arn:aws:s3:::runctl-quick-dev-code-<account>",
        "arn:aws:s3:::runctl-quick-dev-code-<account>/*",
        "arn:aws:s3:::runctl-quick-dev-staging-d74ec87f-<account>",
        "arn:aws:s3:::runctl-quick-dev-staging-d74ec87f-<account>/*",
        "arn:aws:ssm:us-east-1:*:parameter/runctl/quick/dev/*",
    }


def test_cluster_placement_only_for_multi_node_groups() -> None:
    graph, _ = compile(multi_node())
    assert [r.id for r in of_type(graph, PLACEMENT_GROUP)] == ["placement.trainer"]
    assert graph.resources["placement.trainer"].properties == {"strategy": "cluster"}
    for i in range(3):
        assert graph.resources[f"instance.trainer.{i}"].properties["placement_group"] == Ref(
            "placement.trainer", "name"
        )
    assert "placement_group" not in graph.resources["instance.eval.0"].properties


def test_one_zone_per_group_from_the_instance_type_offerings() -> None:
    graph, _ = compile(multi_node())
    zones = [graph.resources[f"instance.trainer.{i}"].properties["availability_zone"] for i in range(3)]
    assert zones[0] == zones[1] == zones[2]
    assert zones[0] == Invoke(
        "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings",
        {
            "filters": [{"name": "instance-type", "values": ["p4d.24xlarge"]}],
            "location_type": "availability-zone",
        },
        "min(locations)",
    )
    assert "subnet_id" not in graph.resources["instance.trainer.0"].properties
    assert "vpc_id" not in graph.resources["sg.trainer"].properties


def test_a_subnet_fixes_the_zone_and_the_vpc() -> None:
    graph, _ = compile(with_subnet())
    inst = graph.resources["instance.box.0"].properties
    assert inst["subnet_id"] == "subnet-0abc"
    assert inst["availability_zone"] == Invoke(
        "aws:ec2/getSubnet:getSubnet", {"id": "subnet-0abc"}, "availability_zone"
    )
    assert graph.resources["sg.box"].properties["vpc_id"] == Invoke(
        "aws:ec2/getSubnet:getSubnet", {"id": "subnet-0abc"}, "vpc_id"
    )


def test_a_vpc_without_subnet_picks_one_of_its_subnets() -> None:
    graph, _ = compile(with_vpc_only())
    inst = graph.resources["instance.box.0"].properties
    subnet = inst["subnet_id"]
    assert isinstance(subnet, Invoke) and subnet.attr == "min(ids)"
    assert subnet.args == {"filters": [{"name": "vpc-id", "values": ["vpc-0abc"]}]}
    assert inst["availability_zone"] == Invoke(
        "aws:ec2/getSubnet:getSubnet", {"id": subnet}, "availability_zone"
    )
    assert graph.resources["sg.box"].properties["vpc_id"] == "vpc-0abc"


def test_arm_instance_types_get_arm_images() -> None:
    spec = single_node(instances={"box": InstanceGroup("box", "g5g.xlarge", image="dlami-base")})
    ami = compile(spec)[0].resources["instance.box.0"].properties["ami"]
    assert ami == Invoke(
        "aws:ssm/getParameter:getParameter",
        {"name": "/aws/service/deeplearning/ami/arm64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id"},
        "value",
    )
