"""The stand-in aws provider's resources (tests/engine/standin/), created, read, updated and deleted
in the moto server by calling its servicer directly.

No Pulumi CLI is needed: the servicer's methods get the same protobuf requests the engine
sends. The engine-marked tests then run it as a plugin under the real engine.
"""

from __future__ import annotations

import json
from typing import Any

from pulumi.runtime.proto import provider_pb2

from tests.engine.standin.aws import DEFAULT_IMAGE_PARAMETER
from tests.engine.standin.server import Provider
from tests.engine.standin.wire import Secret, from_struct, to_struct
from tests.engine.standin_calls import (
    DEFAULT_TAGS,
    Context,
    Diff,
    Res,
    client,
    urn,
)


def test_preview_creates_and_updates_touch_nothing(provider: Provider, ec2: Any) -> None:
    before = ec2.describe_instances()["Reservations"]
    token = "aws:ec2/instance:Instance"
    props = to_struct({"ami": "ami-x", "instanceType": "t3.medium"})
    resp = provider.Create(
        provider_pb2.CreateRequest(urn=urn(token, "i.preview"), properties=props, preview=True), Context()
    )
    assert resp.id == "" and from_struct(resp.properties) == {"ami": "ami-x", "instanceType": "t3.medium"}
    req = provider_pb2.UpdateRequest(
        id="i-0nothing", urn=urn(token, "i.preview"), olds=props, news=props, preview=True
    )
    assert from_struct(provider.Update(req, Context()).properties)["instanceType"] == "t3.medium"
    assert ec2.describe_instances()["Reservations"] == before


def test_bucket_lifecycle_in_moto(provider: Provider, moto_server: str) -> None:
    s3 = client("s3", moto_server)
    bucket = Res(provider, "aws:s3/bucket:Bucket", "bucket.unit")
    out = bucket.create({"bucket": "standin-unit-bucket", "forceDestroy": True, "tags": {"team": "ml"}})
    assert bucket.id == "standin-unit-bucket" and out["arn"] == "arn:aws:s3:::standin-unit-bucket"
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket.id)["TagSet"]}
    assert tags == {**DEFAULT_TAGS, "team": "ml"}
    for token, props in [
        ("aws:s3/bucketVersioning:BucketVersioning", {"versioningConfiguration": {"status": "Enabled"}}),
        (
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            {
                "blockPublicAcls": True,
                "blockPublicPolicy": True,
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
            },
        ),
        (
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]},
        ),
        (
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            {
                "rules": [
                    {
                        "id": "expire scratch/",
                        "status": "Enabled",
                        "filter": {"prefix": "scratch/"},
                        "expiration": {"days": 7},
                    }
                ]
            },
        ),
    ]:
        Res(provider, token, f"bucket.unit.{token}").create({"bucket": bucket.id, **props})
    assert s3.get_bucket_versioning(Bucket=bucket.id)["Status"] == "Enabled"
    assert s3.get_public_access_block(Bucket=bucket.id)["PublicAccessBlockConfiguration"]["BlockPublicAcls"]
    rule = s3.get_bucket_encryption(Bucket=bucket.id)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket.id)["Rules"][0]["ID"] == "expire scratch/"
    s3.put_object(Bucket=bucket.id, Key="scratch/a", Body=b"x")
    # drift: a tag changed outside Pulumi shows in Read and then in Diff
    s3.put_bucket_tagging(Bucket=bucket.id, Tagging={"TagSet": [{"Key": "team", "Value": "other"}]})
    bucket.outputs = from_struct(bucket.read().properties)
    diff = bucket.diff({"bucket": "standin-unit-bucket", "forceDestroy": True, "tags": {"team": "ml"}})
    assert diff.changes == Diff.DIFF_SOME and set(diff.diffs) == {"tags", "tagsAll"} and not diff.replaces
    assert list(bucket.diff({"bucket": "standin-unit-renamed", "forceDestroy": True}).replaces) == ["bucket"]
    bucket.delete()  # forceDestroy empties the versioned bucket first
    assert bucket.read().id == ""
    assert bucket.id not in {b["Name"] for b in s3.list_buckets()["Buckets"]}


def test_instance_volume_and_attachment_in_moto(provider: Provider, ec2: Any, moto_server: str) -> None:
    ssm = client("ssm", moto_server)
    ami = ssm.get_parameter(Name=DEFAULT_IMAGE_PARAMETER)["Parameter"]["Value"]
    sg = Res(provider, "aws:ec2/securityGroup:SecurityGroup", "sg.unit")
    sg.create(
        {
            "description": "unit",
            "ingress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}],
            "egress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}],
        }
    )
    group = ec2.describe_security_groups(GroupIds=[sg.id])["SecurityGroups"][0]
    assert group["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"] == sg.id
    props = {
        "ami": ami,
        "instanceType": "t3.medium",
        "availabilityZone": "us-east-1a",
        "vpcSecurityGroupIds": [sg.id],
        "tags": {"Name": "unit-0"},
        "metadataOptions": {"httpTokens": "required", "httpEndpoint": "enabled"},
        "rootBlockDevice": {"volumeSize": 20, "volumeType": "gp3", "encrypted": True},
    }
    inst = Res(provider, "aws:ec2/instance:Instance", "instance.unit.0")
    out = inst.create(props)
    assert inst.id.startswith("i-") and out["availabilityZone"] == "us-east-1a" and out["privateIp"]
    live = ec2.describe_instances(InstanceIds=[inst.id])["Reservations"][0]["Instances"][0]
    assert {t["Key"]: t["Value"] for t in live["Tags"]} == {**DEFAULT_TAGS, "Name": "unit-0"}
    assert live["MetadataOptions"]["HttpTokens"] == "required"

    assert inst.diff(props).changes == Diff.DIFF_NONE
    resized = inst.diff({**props, "instanceType": "t3.large"})
    assert list(resized.diffs) == ["instanceType"] and not resized.replaces
    assert list(inst.diff({**props, "ami": "ami-other"}).replaces) == ["ami"]
    inst.update({**props, "instanceType": "t3.large"})
    live = ec2.describe_instances(InstanceIds=[inst.id])["Reservations"][0]["Instances"][0]
    assert live["InstanceType"] == "t3.large" and live["State"]["Name"] == "running"

    vol = Res(provider, "aws:ebs/volume:Volume", "volume.unit.0")
    vol.create({"availabilityZone": "us-east-1a", "size": 20, "type": "gp3", "encrypted": True})
    att = Res(provider, "aws:ec2/volumeAttachment:VolumeAttachment", "attachment.unit.0")
    att.create({"deviceName": "/dev/sdf", "instanceId": inst.id, "volumeId": vol.id})
    assert ec2.describe_volumes(VolumeIds=[vol.id])["Volumes"][0]["Attachments"][0]["InstanceId"] == inst.id
    replaced = att.diff({"deviceName": "/dev/sdf", "instanceId": "i-0new", "volumeId": vol.id})
    assert list(replaced.replaces) == ["instanceId"] and replaced.deleteBeforeReplace
    vol.update({"availabilityZone": "us-east-1a", "size": 30, "type": "gp3", "encrypted": True})
    assert ec2.describe_volumes(VolumeIds=[vol.id])["Volumes"][0]["Size"] == 30

    att.delete()
    assert att.read().id == ""
    inst.delete()
    assert inst.read().id == ""
    vol.delete()
    sg.delete()
    assert vol.read().id == "" and sg.read().id == ""


def test_parameter_value_stays_secret(provider: Provider, moto_server: str) -> None:
    param = Res(provider, "aws:ssm/parameter:Parameter", "secret.UNIT")
    out = param.create({"name": "/runctl/unit/UNIT", "type": "SecureString", "value": Secret("v-0001")})
    assert out["value"] == Secret("v-0001")
    ssm = client("ssm", moto_server)
    assert ssm.get_parameter(Name="/runctl/unit/UNIT", WithDecryption=True)["Parameter"]["Value"] == "v-0001"
    ssm.put_parameter(Name="/runctl/unit/UNIT", Value="changed", Type="SecureString", Overwrite=True)
    refreshed = from_struct(param.read().properties)
    assert refreshed["value"] == Secret("changed")
    param.outputs = refreshed
    assert list(
        param.diff({"name": "/runctl/unit/UNIT", "type": "SecureString", "value": Secret("v-0001")}).diffs
    ) == ["value"]
    param.delete()
    assert param.read().id == ""


def test_iam_role_profile_and_policies_in_moto(provider: Provider, moto_server: str) -> None:
    iam = client("iam", moto_server)
    role = Res(provider, "aws:iam/role:Role", "role.unit")
    role.create(
        {"assumeRolePolicy": json.dumps({"Version": "2012-10-17", "Statement": []}), "description": "d"}
    )
    policy_arn = iam.create_policy(
        PolicyName="standin-unit",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}],
            }
        ),
    )["Policy"]["Arn"]
    inline = Res(provider, "aws:iam/rolePolicy:RolePolicy", "role.unit.policy")
    inline.create(
        {
            "role": role.id,
            "policy": json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
                }
            ),
        }
    )
    attach = Res(provider, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "role.unit.attach")
    attach.create({"role": role.id, "policyArn": policy_arn})
    profile = Res(provider, "aws:iam/instanceProfile:InstanceProfile", "profile.unit")
    profile.create({"role": role.id})
    assert (
        iam.get_instance_profile(InstanceProfileName=profile.id)["InstanceProfile"]["Roles"][0]["RoleName"]
        == role.id
    )
    assert [
        p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role.id)["AttachedPolicies"]
    ] == [policy_arn]
    assert iam.list_role_policies(RoleName=role.id)["PolicyNames"] == [inline.inputs["name"]]
    for res in (profile, attach, inline, role):
        res.delete()
        assert res.read().id == ""
