"""The stand-in aws provider (tests/engine/standin/), called directly against the moto server.

No Pulumi CLI is needed: the servicer's methods get the same protobuf requests the engine
sends. The engine-marked tests then run it as a plugin under the real engine.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import boto3
import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from runctl_iac.compiler import compile
from runctl_iac.spec import load_spec_or_raise
from tests.engine.standin.aws import DEFAULT_IMAGE_PARAMETER, Aws, ConfigError
from tests.engine.standin.server import HANDLERS, Provider
from tests.engine.standin.wire import SECRET_SIG, SIG, UNKNOWN, Secret, from_struct, to_struct

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "tests" / "engine" / "standin" / "bin" / "pulumi-resource-aws"
DEFAULT_TAGS = {"runctl:managed-by": "runctl", "runctl:stack": "unit"}
Diff = provider_pb2.DiffResponse


class Aborted(Exception):
    pass


class Context:
    def abort(self, code: grpc.StatusCode, message: str) -> None:
        raise Aborted(message)


def urn(token: str, name: str) -> str:
    return f"urn:pulumi:unit::proj::{token}::{name}"


def provider_config(endpoint: str) -> dict[str, Any]:
    """The provider inputs as pulumi_aws sends them: nested and non-string values JSON-encoded."""
    return {
        "region": "us-east-1",
        "accessKey": "test",
        "secretKey": "test",
        "endpoints": json.dumps([{s: endpoint for s in ("ec2", "iam", "s3", "ssm", "sts")}]),
        "defaultTags": json.dumps({"tags": DEFAULT_TAGS}),
        "skipCredentialsValidation": "true",
    }


@pytest.fixture
def provider(moto_server: str) -> Provider:
    p = Provider()
    p.Configure(provider_pb2.ConfigureRequest(args=to_struct(provider_config(moto_server))), Context())
    return p


@pytest.fixture
def ec2(moto_server: str) -> Any:
    return boto3.client(
        "ec2",
        endpoint_url=moto_server,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


class Res:
    """Drives one resource through the servicer as the engine would (Check, then the CRUD calls)."""

    def __init__(self, p: Provider, token: str, name: str) -> None:
        self.p, self.token, self.name = p, token, name
        self.id = ""
        self.inputs: dict[str, Any] = {}
        self.outputs: dict[str, Any] = {}

    def check(self, news: dict[str, Any]) -> dict[str, Any]:
        req = provider_pb2.CheckRequest(
            urn=urn(self.token, self.name),
            news=to_struct(news),
            olds=to_struct(self.inputs),
            randomSeed=b"\x0a\xbc\xde\xf0\x12",
        )
        return from_struct(self.p.Check(req, Context()).inputs)

    def create(self, news: dict[str, Any]) -> dict[str, Any]:
        self.inputs = self.check(news)
        resp = self.p.Create(
            provider_pb2.CreateRequest(urn=urn(self.token, self.name), properties=to_struct(self.inputs)),
            Context(),
        )
        self.id, self.outputs = resp.id, from_struct(resp.properties)
        return self.outputs

    def diff(self, news: dict[str, Any]) -> Any:
        req = provider_pb2.DiffRequest(
            id=self.id,
            urn=urn(self.token, self.name),
            olds=to_struct(self.outputs),
            news=to_struct(self.check(news)),
            old_inputs=to_struct(self.inputs),
        )
        return self.p.Diff(req, Context())

    def update(self, news: dict[str, Any]) -> dict[str, Any]:
        checked = self.check(news)
        req = provider_pb2.UpdateRequest(
            id=self.id,
            urn=urn(self.token, self.name),
            olds=to_struct(self.outputs),
            news=to_struct(checked),
            old_inputs=to_struct(self.inputs),
        )
        self.outputs = from_struct(self.p.Update(req, Context()).properties)
        self.inputs = checked
        return self.outputs

    def read(self) -> provider_pb2.ReadResponse:
        req = provider_pb2.ReadRequest(
            id=self.id,
            urn=urn(self.token, self.name),
            properties=to_struct(self.outputs),
            inputs=to_struct(self.inputs),
        )
        return self.p.Read(req, Context())

    def delete(self) -> None:
        req = provider_pb2.DeleteRequest(
            id=self.id, urn=urn(self.token, self.name), properties=to_struct(self.outputs)
        )
        self.p.Delete(req, Context())


def test_wire_round_trip_keeps_secrets_and_whole_numbers() -> None:
    props = {"a": Secret("s3cr3t"), "n": 20, "f": 1.5, "nested": [{"x": Secret({"y": 1})}], "u": UNKNOWN}
    struct = to_struct(props)
    from google.protobuf import json_format

    raw = json_format.MessageToDict(struct)
    assert raw["a"] == {SIG: SECRET_SIG, "value": "s3cr3t"}
    assert from_struct(struct) == props


def test_configure_refuses_a_non_local_endpoint() -> None:
    with pytest.raises(ConfigError, match="not local"):
        Aws.from_config(provider_config("https://ec2.us-east-1.amazonaws.com"))
    with pytest.raises(ConfigError, match="one local endpoint"):
        Aws.from_config({"region": "us-east-1"})


def test_every_type_the_compiler_emits_has_a_handler() -> None:
    specs = sorted((ROOT / "examples").glob("*.yaml")) + sorted(
        (ROOT / "tests/fixtures/specs/good").glob("*.yaml")
    )
    tokens = {r.type for s in specs for r in compile(load_spec_or_raise(s))[0].resources.values()}
    assert tokens - {"pulumi:providers:aws"} <= set(HANDLERS)
    assert "aws:ec2/instance:Instance" in tokens


def test_invokes_answer_from_moto(provider: Provider, moto_server: str) -> None:
    def call(tok: str, args: dict[str, Any]) -> dict[str, Any]:
        req = provider_pb2.InvokeRequest(tok=tok, args=to_struct(args))
        return from_struct(getattr(provider.Invoke(req, Context()), "return"))

    ec2 = client("ec2", moto_server)

    def known(image: str) -> bool:
        return [i["ImageId"] for i in ec2.describe_images(ImageIds=[image])["Images"]] == [image]

    al2023 = call(
        "aws:ssm/getParameter:getParameter",
        {"name": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"},
    )
    assert known(al2023["value"])  # moto ships this public parameter and the image it names
    dlami_name = "/aws/service/deeplearning/ami/x86_64/oss-nvidia-driver-gpu-pytorch-2.7-ubuntu-22.04/latest"
    dlami = call("aws:ssm/getParameter:getParameter", {"name": dlami_name + "/ami-id"})
    assert known(dlami["value"])  # a parameter moto lacks: answered with an image moto knows
    offers = call(
        "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings",
        {
            "locationType": "availability-zone",
            "filters": [{"name": "instance-type", "values": ["t3.medium"]}],
        },
    )
    assert offers["locations"] and all(z.startswith("us-east-1") for z in offers["locations"])
    assert call("aws:index/getCallerIdentity:getCallerIdentity", {})["accountId"].isdigit()
    with pytest.raises(Aborted, match="no invoke"):
        call("aws:ec2/getNothing:getNothing", {})


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


def test_check_autonames_and_adds_default_tags(provider: Provider) -> None:
    role = Res(provider, "aws:iam/role:Role", "role.worker")
    checked = role.check({"assumeRolePolicy": "{}", "tags": {"Name": "x"}})
    assert checked["name"] == "role.worker-0abcdef"
    assert checked["tagsAll"] == {**DEFAULT_TAGS, "Name": "x"}
    role.inputs = {"name": "role.worker-1234567"}
    assert role.check({"assumeRolePolicy": "{}"})["name"] == "role.worker-1234567"  # kept on re-check


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


def test_plugin_prints_its_port_and_answers() -> None:
    proc = subprocess.Popen([str(PLUGIN), "127.0.0.1:1"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            import importlib.metadata

            assert stub.GetPluginInfo(empty_pb2.Empty(), timeout=30).version == importlib.metadata.version(
                "pulumi_aws"
            )
            with pytest.raises(grpc.RpcError, match="not configured"):
                stub.Invoke(provider_pb2.InvokeRequest(tok="aws:index/getRegion:getRegion"), timeout=30)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_diff_config_replaces_only_on_a_region_change(moto_server: str) -> None:
    old = provider_config(moto_server)

    def diff(new: dict[str, Any]) -> Any:
        req = provider_pb2.DiffRequest(olds=to_struct(old), news=to_struct(new), old_inputs=to_struct(old))
        return Provider().DiffConfig(req, Context())

    assert diff(old).changes == Diff.DIFF_NONE
    moved = diff({**old, "endpoints": json.dumps([{"ec2": "http://127.0.0.1:1"}])})
    assert moved.changes == Diff.DIFF_SOME and list(moved.diffs) == ["endpoints"] and not moved.replaces
    assert list(diff({**old, "region": "eu-west-1"}).replaces) == ["region"]
