"""Per instance group: security group, IAM role + policies, instance profile, placement group.

Network: no inbound rule from outside the group (SSM needs no inbound port); a
multi-node group gets one self-referencing all-traffic rule so torchrun and NCCL
can reach the other members; all outbound is allowed.

IAM: EC2 trust; AmazonSSMManagedInstanceCore; one inline policy granting only
the spec's own buckets and the staging bucket (bucket ARNs are literal strings: physical names are
deterministic), read-only access to an `s3://` code prefix outside them, and
reading only this stack's SSM parameters. SecureString parameters use the
AWS-managed `aws/ssm` key, whose key policy already allows decryption through
SSM for principals of the account, so no kms grant is needed.
"""

from __future__ import annotations

import json
from typing import Any

from runctl_iac.compiler import names
from runctl_iac.compiler.buckets import own_bucket_names
from runctl_iac.compiler.context import Context
from runctl_iac.compiler.graph import Invoke, Ref
from runctl_iac.spec.model import InstanceGroup

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
INSTANCE_PROFILE = "aws:iam/instanceProfile:InstanceProfile"
PLACEMENT_GROUP = "aws:ec2/placementGroup:PlacementGroup"
GET_SUBNET = "aws:ec2/getSubnet:getSubnet"

SSM_MANAGED_POLICY = "AmazonSSMManagedInstanceCore"
OBJECT_ACTIONS = ("s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:PutObject")
PARAMETER_ACTIONS = ("ssm:GetParameter", "ssm:GetParameters")


def policy_json(document: dict[str, Any]) -> str:
    """IAM documents as deterministic JSON strings (a string cannot hold a Ref: ARNs are literal)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def trust_policy() -> str:
    return policy_json(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    )


def _code_prefix(ctx: Context) -> tuple[str, str] | None:
    """(bucket, key prefix) of an `s3://` training code location outside the spec's buckets."""
    training = ctx.spec.training
    if training is None or training.code is None or not training.code.startswith("s3://"):
        return None
    bucket, _, prefix = training.code[len("s3://") :].partition("/")
    own = set(own_bucket_names(ctx))
    if not bucket or bucket in own:
        return None
    return bucket, prefix.strip("/")


def instance_policy(ctx: Context) -> str:
    """The inline policy of every group's role."""
    region = ctx.spec.region
    part = names.partition(region)
    arns = sorted(names.bucket_arn(region, b) for b in own_bucket_names(ctx))
    statements: list[dict[str, Any]] = []
    if arns:
        statements.append(
            {"Sid": "ListOwnBuckets", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": arns}
        )
        statements.append(
            {
                "Sid": "ReadWriteOwnObjects",
                "Effect": "Allow",
                "Action": list(OBJECT_ACTIONS),
                "Resource": [f"{arn}/*" for arn in arns],
            }
        )
    code = _code_prefix(ctx)
    if code is not None:
        bucket, prefix = code
        arn = names.bucket_arn(region, bucket)
        key = f"{prefix}/*" if prefix else "*"
        list_stmt: dict[str, Any] = {
            "Sid": "ListCode",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": arn,
        }
        if prefix:
            list_stmt["Condition"] = {"StringLike": {"s3:prefix": [prefix, f"{prefix}/*"]}}
        statements.append(list_stmt)
        statements.append(
            {"Sid": "ReadCode", "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{arn}/{key}"}
        )
    prefix_path = names.parameter_prefix(ctx.project, ctx.stack)
    statements.append(
        {
            "Sid": "ReadStackParameters",
            "Effect": "Allow",
            "Action": list(PARAMETER_ACTIONS),
            "Resource": f"arn:{part}:ssm:{region}:*:parameter{prefix_path}/*",
        }
    )
    training = ctx.spec.training
    trainer = ctx.spec.instances.get(training.group) if training is not None else None  # None: on RunPod
    if trainer is not None and trainer.spot is not None:
        # the node counts its spend at the spot price it pays (DescribeSpotPriceHistory supports no
        # resource-level permissions: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html)
        statements.append(
            {
                "Sid": "ReadSpotPrice",
                "Effect": "Allow",
                "Action": "ec2:DescribeSpotPriceHistory",
                "Resource": "*",
            }
        )
    return policy_json({"Version": "2012-10-17", "Statement": statements})


def _network(ctx: Context, group: InstanceGroup) -> tuple[Any, Any, Any]:
    """(vpc_id, subnet_id, zone) for a group; all nodes of a group share one zone.

    - subnet given: that subnet and its zone (and its VPC unless `network.vpc` says so);
    - only a VPC: its subnet with the smallest id, and that subnet's zone;
    - nothing: the default VPC, in the zone the placed capacity candidate names, else the first
      zone (sorted) that offers the instance type.
    """
    net = ctx.spec.network
    if net.subnet is not None:
        vpc = net.vpc if net.vpc is not None else Invoke(GET_SUBNET, {"id": net.subnet}, "vpc_id")
        return vpc, net.subnet, Invoke(GET_SUBNET, {"id": net.subnet}, "availability_zone")
    if net.vpc is not None:
        subnet = Invoke(
            "aws:ec2/getSubnets:getSubnets",
            {"filters": [{"name": "vpc-id", "values": [net.vpc]}]},
            "min(ids)",
        )
        return net.vpc, subnet, Invoke(GET_SUBNET, {"id": subnet}, "availability_zone")
    if group.zone is not None:
        return None, None, group.zone
    zone = Invoke(
        "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings",
        {
            "filters": [{"name": "instance-type", "values": [group.type]}],
            "location_type": "availability-zone",
        },
        "min(locations)",
    )
    return None, None, zone


def compile_group(ctx: Context, group: InstanceGroup) -> dict[str, Any]:
    """Emit the group's shared resources; returns what its instances need."""
    g = group.name
    vpc, subnet, zone = _network(ctx, group)
    ingress: list[dict[str, Any]] = []
    if group.count > 1:
        ingress.append(
            {
                "description": "members of this group",
                "protocol": "-1",
                "from_port": 0,
                "to_port": 0,
                "self": True,
            }
        )
    ctx.add(
        f"sg.{g}",
        SECURITY_GROUP,
        {
            "description": f"runctl {ctx.project}/{ctx.stack} {g}: no inbound from outside the group",
            "vpc_id": vpc,
            "ingress": ingress,
            "egress": [
                {
                    "description": "all outbound",
                    "protocol": "-1",
                    "from_port": 0,
                    "to_port": 0,
                    "cidr_blocks": ["0.0.0.0/0"],
                    "ipv6_cidr_blocks": ["::/0"],
                }
            ],
            "tags": {"Name": ctx.display_name(g)},
        },
    )
    role = f"role.{g}"
    ctx.add(
        role,
        ROLE,
        {
            "assume_role_policy": trust_policy(),
            "description": f"runctl {ctx.project}/{ctx.stack} {g} instances",
        },
    )
    role_name = Ref(role, "name")
    arn = f"arn:{names.partition(ctx.spec.region)}:iam::aws:policy/{SSM_MANAGED_POLICY}"
    ctx.add(f"{role}.ssm", ROLE_POLICY_ATTACHMENT, {"role": role_name, "policy_arn": arn})
    if ctx.instance_policy is None:
        ctx.instance_policy = instance_policy(ctx)  # the same document for every group
    ctx.add(f"{role}.policy", ROLE_POLICY, {"role": role_name, "policy": ctx.instance_policy})
    ctx.add(f"profile.{g}", INSTANCE_PROFILE, {"role": role_name})
    placement: Ref | None = None
    if group.count > 1:
        ctx.add(f"placement.{g}", PLACEMENT_GROUP, {"strategy": "cluster"})
        placement = Ref(f"placement.{g}", "name")
    return {"subnet_id": subnet, "zone": zone, "placement_group": placement}
