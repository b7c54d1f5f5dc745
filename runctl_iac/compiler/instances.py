"""Instances: `count` nodes per group, IMDSv2 only, encrypted gp3 root, spot options, one zone."""

from __future__ import annotations

from typing import Any

from runctl_iac.compiler.context import Context
from runctl_iac.compiler.graph import Ref
from runctl_iac.compiler.groups import compile_group
from runctl_iac.compiler.images import resolve_image
from runctl_iac.spec.model import InstanceGroup, Spec

INSTANCE = "aws:ec2/instance:Instance"
ROOT_VOLUME_TYPE = "gp3"
# 2 hops so containers on the node can still reach IMDSv2 (the DLAMIs run workloads in Docker)
IMDS_HOP_LIMIT = 2


def instance_id(group: str, index: int) -> str:
    return f"instance.{group}.{index}"


def market_options(group: InstanceGroup) -> dict[str, Any] | None:
    if group.spot is None:
        return None
    spot: dict[str, Any] = {"spot_instance_type": "one-time", "instance_interruption_behavior": "terminate"}
    if group.spot.max_price_usd is not None:
        spot["max_price"] = str(group.spot.max_price_usd)
    return {"market_type": "spot", "spot_options": spot}


def shutdown_behavior(group: InstanceGroup, spec: Spec) -> str | None:
    """What `shutdown -h` on a node of `group` does (the node script's autostop and budget cap):
    the autostop action, `terminate` for spot (a one-time spot instance cannot be stopped:
    https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/interrupt-a-spot-instance.html),
    None when nothing on the node shuts it down (not the training group, or autostop off and no cap)."""
    training = spec.training
    if training is None or training.group != group.name:
        return None
    if training.autostop.idle is None and spec.budget.max_run_usd is None:
        return None
    return "terminate" if group.spot is not None else training.autostop.action


def compile_instances(ctx: Context) -> None:
    for g in sorted(ctx.spec.instances):
        group = ctx.spec.instances[g]
        shared = compile_group(ctx, group)
        ami = resolve_image(group.image, group.type, local=ctx.spec.target == "local")
        for i in range(group.count):
            rid = instance_id(g, i)
            ctx.add(
                rid,
                INSTANCE,
                {
                    "instance_type": group.type,
                    "ami": ami,
                    "availability_zone": shared["zone"],
                    "subnet_id": shared["subnet_id"],
                    "vpc_security_group_ids": [Ref(f"sg.{g}", "id")],
                    "iam_instance_profile": Ref(f"profile.{g}", "name"),
                    "placement_group": shared["placement_group"],
                    "metadata_options": {
                        "http_endpoint": "enabled",
                        "http_tokens": "required",
                        "http_put_response_hop_limit": IMDS_HOP_LIMIT,
                    },
                    "root_block_device": {
                        "volume_size": group.disk_gb,
                        "volume_type": ROOT_VOLUME_TYPE,
                        "encrypted": True,
                        "delete_on_termination": True,
                    },
                    "instance_market_options": market_options(group),
                    "instance_initiated_shutdown_behavior": shutdown_behavior(group, ctx.spec),
                    "tags": {"Name": ctx.display_name(g, i)},
                },
                # the role's permissions exist before the node boots (SSM agent registration, bucket access)
                depends_on=(f"role.{g}.policy", f"role.{g}.ssm"),
            )
            node = {
                "id": Ref(rid, "id"),
                "private_ip": Ref(rid, "private_ip"),
                "availability_zone": Ref(rid, "availability_zone"),
            }
            ctx.output("instances", rid, node)
