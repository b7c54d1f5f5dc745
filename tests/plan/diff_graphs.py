"""Hand-built Graphs for the diff tests, following the compiler's naming conventions (see the brief).

Independent of the compiler on purpose: the diff is tested on exact, small inputs.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from runctl_iac.compiler.graph import Config, Graph, Options, Ref, Resource, SecretEnv
from runctl_iac.plan.model import Action, Change, Changes

PROJECT = "proj"
STACK = "dev"


def provider(region: str = "us-east-1") -> Resource:
    tags = {
        "runctl:managed-by": "runctl",
        "runctl:project": PROJECT,
        "runctl:stack": STACK,
        "runctl:expires-at": Config("runctl:expiresAt"),
    }
    return Resource(
        "provider.aws", "pulumi:providers:aws", {"region": region, "default_tags": {"tags": tags}}
    )


def instance(g: str = "trainer", i: int = 0) -> Resource:
    props: dict[str, Any] = {
        "instance_type": "g5.xlarge",
        "ami": "ami-0123456789abcdef0",
        "availability_zone": "us-east-1a",
        "subnet_id": "subnet-1111",
        "vpc_security_group_ids": [Ref(f"sg.{g}", "id")],
        "iam_instance_profile": Ref(f"profile.{g}", "name"),
        "metadata_options": {"http_tokens": "required", "http_endpoint": "enabled"},
        "root_block_device": {"volume_size": 200, "volume_type": "gp3", "encrypted": True},
        "instance_market_options": {
            "market_type": "spot",
            "spot_options": {"spot_instance_type": "one-time", "instance_interruption_behavior": "terminate"},
        },
        "tags": {"Name": f"{PROJECT}-{STACK}-{g}-{i}"},
    }
    return Resource(f"instance.{g}.{i}", "aws:ec2/instance:Instance", props)


def volume(v: str = "data", g: str = "trainer", i: int = 0, retain: bool = False) -> Resource:
    props = {
        "availability_zone": Ref(f"instance.{g}.{i}", "availability_zone"),
        "size": 500,
        "type": "gp3",
        "iops": 3000,
        "throughput": 125,
        "encrypted": True,
    }
    opts = Options(protect=retain, retain_on_delete=retain)
    return Resource(f"volume.{v}.{g}.{i}", "aws:ebs/volume:Volume", props, opts)


def attachment(v: str = "data", g: str = "trainer", i: int = 0) -> Resource:
    props = {
        "device_name": "/dev/sdf",
        "instance_id": Ref(f"instance.{g}.{i}", "id"),
        "volume_id": Ref(f"volume.{v}.{g}.{i}", "id"),
    }
    return Resource(f"attachment.{v}.{g}.{i}", "aws:ec2/volumeAttachment:VolumeAttachment", props)


def bucket(b: str = "ckpt", retain: bool = False) -> Resource:
    props = {"bucket": f"{PROJECT}-{STACK}-{b}", "force_destroy": not retain}
    return Resource(f"bucket.{b}", "aws:s3/bucket:Bucket", props, Options(retain_on_delete=retain))


def supporting(g: str = "trainer") -> list[Resource]:
    return [
        Resource(f"sg.{g}", "aws:ec2/securityGroup:SecurityGroup", {"name": f"{PROJECT}-{STACK}-{g}"}),
        Resource(f"role.{g}", "aws:iam/role:Role", {"name": f"{PROJECT}-{STACK}-{g}"}),
        Resource(
            f"profile.{g}",
            "aws:iam/instanceProfile:InstanceProfile",
            {"name": f"{PROJECT}-{STACK}-{g}", "role": Ref(f"role.{g}", "name")},
        ),
        Resource(
            f"placement.{g}",
            "aws:ec2/placementGroup:PlacementGroup",
            {"name": f"{PROJECT}-{STACK}-{g}", "strategy": "cluster"},
        ),
    ]


def secret(name: str = "HF_TOKEN") -> Resource:
    props = {"name": f"/runctl/{PROJECT}/{STACK}/{name}", "type": "SecureString", "value": SecretEnv(name)}
    return Resource(f"secret.{name}", "aws:ssm/parameter:Parameter", props)


def graph(resources: list[Resource], region: str = "us-east-1") -> Graph:
    return Graph(PROJECT, STACK, region, {r.id: r for r in resources})


def base_graph(retain_volume: bool = False, retain_bucket: bool = False) -> Graph:
    """One instance with one data volume, a bucket, a secret, and the supporting resources."""
    return graph(
        [
            provider(),
            instance(),
            volume(retain=retain_volume),
            attachment(),
            bucket(retain=retain_bucket),
            secret(),
            *supporting(),
        ]
    )


def set_path(g: Graph, rid: str, path: str, value: Any) -> Graph:
    """A copy of `g` with resource `rid`'s property at dotted `path` set (value `DELETE` removes it)."""
    res = g.resources[rid]
    props = copy.deepcopy(dict(res.properties))
    node: dict[str, Any] = props
    *parents, last = path.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    if value is DELETE:
        node.pop(last, None)
    else:
        node[last] = value
    return replace_resource(g, Resource(rid, res.type, props, res.options))


def replace_resource(g: Graph, res: Resource) -> Graph:
    resources: dict[str, Resource] = dict(g.resources)
    resources[res.id] = res
    return Graph(g.project, g.stack, g.region, resources, g.outputs)


def without(g: Graph, *rids: str) -> Graph:
    resources: Mapping[str, Resource] = {k: v for k, v in g.resources.items() if k not in rids}
    return Graph(g.project, g.stack, g.region, resources, g.outputs)


DELETE: Any = object()


def by_id(changes: Changes) -> dict[str, Change]:
    return {c.id: c for c in changes.changes}


def actions(changes: Changes) -> dict[str, Action]:
    return {c.id: c.action for c in changes.changes if c.action is not Action.NOOP}
