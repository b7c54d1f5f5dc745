"""Seed moto with what runctl's compiler creates for one stack, and write DIY state backends by hand."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from runctl_iac.teardown.model import rfc3339

MOTO_AMI = "ami-12c6146b"  # one of moto's built-in images (listing them all takes seconds)
SECRET_VALUE = "s3cr3t-VALUE-never-printed"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssm:*", "Resource": "*"}]}
)


_CLIENTS: dict[tuple[str, str, str], Any] = {}


def client(service: str, region: str) -> Any:
    """A cached boto3 client (making one costs ~0.1 s) for the moto endpoint in force."""
    key = (service, region, os.environ.get("AWS_ENDPOINT_URL", ""))
    if key not in _CLIENTS:
        _CLIENTS[key] = boto3.client(service, region_name=region)
    return _CLIENTS[key]


def tags(project: str, stack: str, expires: dt.datetime | None = None, **extra: str) -> list[dict[str, str]]:
    out = {"runctl:managed-by": "runctl", "runctl:project": project, "runctl:stack": stack, **extra}
    if expires is not None:
        out["runctl:expires-at"] = rfc3339(expires)
    return [{"Key": k, "Value": v} for k, v in out.items()]


@dataclass
class Seeded:
    """Ids of one seeded stack, by kind."""

    project: str
    stack: str
    region: str
    ids: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, rid: str) -> None:
        self.ids.setdefault(kind, []).append(rid)

    def all(self) -> set[tuple[str, str]]:
        return {(kind, rid) for kind, rids in self.ids.items() for rid in rids}


def seed_stack(
    project: str,
    stack: str,
    region: str,
    *,
    expires: dt.datetime | None = None,
    instances: int = 1,
    iam: bool = True,
    parameter: bool = True,
    bucket_objects: int = 2,
    retained_bucket: bool = False,
    retained_volume: bool = False,
    staging_status: dict[str, Any] | None = None,
    instance_type: str = "p4d.24xlarge",
) -> Seeded:
    """Instances each with an attached data volume, a security group, role + profile, a SecureString
    parameter, a scratch bucket holding objects, and optionally retained and staging buckets."""
    seeded = Seeded(project, stack, region)
    t = tags(project, stack, expires)
    ec2 = client("ec2", region)
    sg = ec2.create_security_group(
        GroupName=f"{project}-{stack}-sg",
        Description="runctl",
        TagSpecifications=[{"ResourceType": "security-group", "Tags": t}],
    )["GroupId"]
    seeded.add("security-group", sg)
    image = MOTO_AMI
    for n in range(instances):
        inst = ec2.run_instances(
            ImageId=image,
            MinCount=1,
            MaxCount=1,
            InstanceType=instance_type,
            SecurityGroupIds=[sg],
            TagSpecifications=[{"ResourceType": "instance", "Tags": t}],
        )["Instances"][0]
        seeded.add("instance", inst["InstanceId"])
        zone = inst["Placement"]["AvailabilityZone"]
        vol = ec2.create_volume(
            Size=100,
            VolumeType="gp3",
            AvailabilityZone=zone,
            Encrypted=True,
            TagSpecifications=[{"ResourceType": "volume", "Tags": t}],
        )["VolumeId"]
        ec2.attach_volume(VolumeId=vol, InstanceId=inst["InstanceId"], Device=f"/dev/sd{'fghij'[n]}")
        seeded.add("volume", vol)
    if retained_volume:
        kept = ec2.create_volume(
            Size=50,
            VolumeType="gp3",
            AvailabilityZone=f"{region}a",
            TagSpecifications=[
                {"ResourceType": "volume", "Tags": tags(project, stack, expires, **{"runctl:retain": "true"})}
            ],
        )["VolumeId"]
        seeded.add("retained-volume", kept)
    if iam:
        iam_client = client("iam", region)
        role = f"role.{project}-{stack}"
        iam_client.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST, Tags=t)
        # moto has no AWS-managed policies: a customer-managed one stands in for the SSM core policy
        policy = iam_client.create_policy(PolicyName=f"ssm-{project}-{stack}", PolicyDocument=POLICY)[
            "Policy"
        ]
        iam_client.attach_role_policy(RoleName=role, PolicyArn=policy["Arn"])
        iam_client.put_role_policy(RoleName=role, PolicyName="own-buckets", PolicyDocument=POLICY)
        profile = f"profile.{project}-{stack}"
        iam_client.create_instance_profile(InstanceProfileName=profile, Tags=t)
        iam_client.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
        seeded.add("role", role)
        seeded.add("instance-profile", profile)
    if parameter:
        name = f"/runctl/{project}/{stack}/HF_TOKEN"
        ssm = client("ssm", region)
        ssm.put_parameter(Name=name, Value=SECRET_VALUE, Type="SecureString", Tags=t)
        seeded.add("parameter", name)
    s3 = client("s3", region)
    scratch = f"runctl-{project}-{stack}-scratch-{region}"
    _bucket(s3, region, scratch, t, bucket_objects)
    seeded.add("bucket", scratch)
    if retained_bucket:
        kept_name = f"runctl-{project}-{stack}-kept-{region}"
        _bucket(s3, region, kept_name, tags(project, stack, expires, **{"runctl:retain": "true"}), 1)
        seeded.add("retained-bucket", kept_name)
    if staging_status is not None:
        staging = f"runctl-{project}-{stack}-staging-{region}"
        _bucket(s3, region, staging, tags(project, stack, expires, **{"runctl:role": "staging"}), 0)
        s3.put_object(
            Bucket=staging, Key="runs/r1/node-0/status.json", Body=json.dumps(staging_status).encode()
        )
        seeded.add("staging-bucket", staging)
    return seeded


def _bucket(s3: Any, region: str, name: str, tag_set: list[dict[str, str]], objects: int) -> None:
    config = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=name, **config)
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tag_set})
    for n in range(objects):
        s3.put_object(Bucket=name, Key=f"data/{n}.bin", Body=b"x" * 10)


# -- DIY state backends --------------------------------------------------------------------------------
def checkpoint(
    project: str,
    stack: str,
    *,
    resources: int = 3,
    expires: dt.datetime | None = None,
    pending: int = 0,
    when: str = "2026-11-20T10:00:00.000Z",
) -> dict[str, Any]:
    """A checkpoint in the shape the Pulumi DIY backend writes (version 3)."""
    stack_urn = f"urn:pulumi:{stack}::{project}::pulumi:pulumi:Stack::{project}-{stack}"
    items: list[dict[str, Any]] = [
        {"urn": stack_urn, "custom": False, "type": "pulumi:pulumi:Stack", "outputs": {}},
        {
            "urn": f"urn:pulumi:{stack}::{project}::pulumi:providers:aws::provider.aws",
            "custom": True,
            "type": "pulumi:providers:aws",
            "id": "p-1",
        },
    ]
    for n in range(resources):
        tag_map = {"runctl:managed-by": "runctl", "runctl:project": project, "runctl:stack": stack}
        if expires is not None:
            tag_map["runctl:expires-at"] = rfc3339(expires)
        items.append(
            {
                "urn": f"urn:pulumi:{stack}::{project}::aws:ec2/securityGroup:SecurityGroup::sg.{n}",
                "custom": True,
                "type": "aws:ec2/securityGroup:SecurityGroup",
                "id": f"sg-{n}",
                "inputs": {"tags": {"Name": "x"}},
                "outputs": {"tagsAll": tag_map},
                "parent": stack_urn,
            }
        )
    return {
        "version": 3,
        "checkpoint": {
            "stack": f"organization/{project}/{stack}",
            "latest": {
                "manifest": {"time": when, "magic": "", "version": "v3.272.0"},
                "secrets_providers": {"type": "passphrase", "state": {"salt": "v1:abc"}},
                "resources": items,
                "pending_operations": [{"resource": items[-1], "type": "creating"}] * pending,
            },
        },
    }


def write_stack(
    root: Path,
    project: str,
    stack: str,
    *,
    expires: dt.datetime | None = None,
    resources: int = 3,
    locked: bool = False,
    tag_expiry: bool = True,
    gz: bool = False,
) -> None:
    """A stack in a file backend at `root`: checkpoint, `.pulumi-tags` and (optionally) a lock."""
    stacks = root / ".pulumi" / "stacks" / project
    stacks.mkdir(parents=True, exist_ok=True)
    (root / ".pulumi" / "meta.yaml").write_text("version: 1\n")
    data = json.dumps(checkpoint(project, stack, resources=resources, expires=expires)).encode()
    if gz:
        (stacks / f"{stack}.json.gz").write_bytes(gzip.compress(data))
    else:
        (stacks / f"{stack}.json").write_bytes(data)
    (stacks / f"{stack}.json.bak").write_bytes(data)
    if tag_expiry and expires is not None:
        doc = {"version": 1, "tags": {"pulumi:project": project, "runctl:expiresAt": rfc3339(expires)}}
        (stacks / f"{stack}.pulumi-tags").write_text(json.dumps(doc))
    if locked:
        lock = root / ".pulumi" / "locks" / "organization" / project / stack
        lock.mkdir(parents=True, exist_ok=True)
        (lock / "0b1c2d3e.json").write_text(json.dumps({"pid": 42, "username": "ci", "hostname": "runner"}))
