"""Small hand-built Graphs following the compiler's conventions (see the shared brief).

They exercise the interpreter independently of the compiler: every placeholder kind,
nested typed args, lists of typed args, options and outputs.
"""

from __future__ import annotations

from typing import Any

from runctl_iac.compiler.graph import Config, Graph, Invoke, Options, Ref, Resource, SecretEnv

OFFERINGS = "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings"


def _r(rid: str, typ: str, props: dict[str, Any], **opts: Any) -> Resource:
    return Resource(rid, typ, props, Options(**opts))


def small_graph(root_block_device: dict[str, Any] | None = None, secret: str = "HF_TOKEN") -> Graph:
    zone = Invoke(
        OFFERINGS,
        {
            "location_type": "availability-zone",
            "filters": [{"name": "instance-type", "values": ["g5.xlarge"]}],
        },
        "min(locations)",
    )
    res = [
        _r(
            "provider.aws",
            "pulumi:providers:aws",
            {
                "region": "us-east-1",
                "default_tags": {
                    "tags": {
                        "runctl:managed-by": "runctl",
                        "runctl:project": "demo",
                        "runctl:stack": "dev",
                        "runctl:expires-at": Config("runctl:expiresAt"),
                    }
                },
            },
        ),
        _r(
            "bucket.data",
            "aws:s3/bucket:Bucket",
            {"bucket": "runctl-demo-dev-data", "force_destroy": False},
            retain_on_delete=True,
        ),
        _r(
            "bucket.data.public-access-block",
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            {
                "bucket": Ref("bucket.data", "id"),
                "block_public_acls": True,
                "block_public_policy": True,
                "ignore_public_acls": True,
                "restrict_public_buckets": True,
            },
        ),
        _r(
            "sg.trainer",
            "aws:ec2/securityGroup:SecurityGroup",
            {
                "description": "runctl trainer",
                "ingress": [{"protocol": "-1", "from_port": 0, "to_port": 0, "self": True}],
                "egress": [{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"]}],
            },
        ),
        _r(
            "instance.trainer.0",
            "aws:ec2/instance:Instance",
            {
                "instance_type": "g5.xlarge",
                "ami": Invoke("aws:ssm/getParameter:getParameter", {"name": "/aws/service/dlami"}, "value"),
                "availability_zone": zone,
                "vpc_security_group_ids": [Ref("sg.trainer", "id")],
                "metadata_options": {"http_tokens": "required", "http_endpoint": "enabled"},
                "root_block_device": root_block_device
                or {"volume_size": 200, "volume_type": "gp3", "encrypted": True},
                "instance_market_options": {
                    "market_type": "spot",
                    "spot_options": {
                        "spot_instance_type": "one-time",
                        "instance_interruption_behavior": "terminate",
                    },
                },
                "tags": {"Name": "demo-dev-trainer-0"},
            },
        ),
        _r(
            "volume.data.trainer.0",
            "aws:ebs/volume:Volume",
            {"availability_zone": zone, "size": 500, "type": "gp3", "encrypted": True},
            protect=True,
            retain_on_delete=True,
        ),
        _r(
            "attachment.data.trainer.0",
            "aws:ec2/volumeAttachment:VolumeAttachment",
            {
                "device_name": "/dev/sdf",
                "instance_id": Ref("instance.trainer.0", "id"),
                "volume_id": Ref("volume.data.trainer.0", "id"),
            },
        ),
        _r(
            f"secret.{secret}",
            "aws:ssm/parameter:Parameter",
            {"name": f"/runctl/demo/dev/{secret}", "type": "SecureString", "value": SecretEnv(secret)},
            depends_on=("bucket.data",),
        ),
    ]
    outputs = {
        "instances": {
            "trainer.0": {
                "id": Ref("instance.trainer.0", "id"),
                "private_ip": Ref("instance.trainer.0", "private_ip"),
                "zone": Ref("instance.trainer.0", "availability_zone"),
            }
        },
        "buckets": {"data": Ref("bucket.data", "bucket")},
        "volumes": {"data.trainer.0": Ref("volume.data.trainer.0", "id")},
    }
    return Graph("demo", "dev", "us-east-1", {r.id: r for r in res}, outputs)
