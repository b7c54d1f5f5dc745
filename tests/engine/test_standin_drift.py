"""Drift the stand-in aws provider must see, so the engine tests see it (issue 21): an instance's
metadata options and tags changed by hand, its root volume's tags, an instance profile's tags.
Each is made by hand in moto, read back (refresh), shown by Diff, and put back by Update."""

from __future__ import annotations

from typing import Any

from tests.engine.standin.aws import DEFAULT_IMAGE_PARAMETER
from tests.engine.standin.server import Provider
from tests.engine.standin.wire import from_struct
from tests.engine.standin_calls import DEFAULT_TAGS, Diff, Res, client

EXPIRES = {"runctl:expires-at": "2030-01-01T00:00:00Z"}


def _refresh(res: Res) -> dict[str, Any]:
    """What `pulumi refresh` keeps: the provider's Read of the live resource."""
    res.outputs = from_struct(res.read().properties)
    return res.outputs


def _tags(found: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in found or []}


def test_instance_metadata_options_and_root_volume_tags(
    provider: Provider, ec2: Any, moto_server: str
) -> None:
    ami = client("ssm", moto_server).get_parameter(Name=DEFAULT_IMAGE_PARAMETER)["Parameter"]["Value"]
    props = {
        "ami": ami,
        "instanceType": "t3.medium",
        "tags": {"Name": "drift-0", **EXPIRES},
        "metadataOptions": {"httpTokens": "required", "httpEndpoint": "enabled"},
        "rootBlockDevice": {"volumeSize": 20, "volumeType": "gp3", "encrypted": True},
    }
    inst = Res(provider, "aws:ec2/instance:Instance", "instance.drift.0")
    inst.create(props)
    assert _refresh(inst)["metadataOptions"] == props["metadataOptions"]
    assert inst.diff(props).changes == Diff.DIFF_NONE

    ec2.modify_instance_metadata_options(InstanceId=inst.id, HttpTokens="optional")  # IMDSv1 back on
    assert _refresh(inst)["metadataOptions"]["httpTokens"] == "optional"
    assert list(inst.diff(props).diffs) == ["metadataOptions"]
    inst.update(props)
    live = ec2.describe_instances(InstanceIds=[inst.id])["Reservations"][0]["Instances"][0]
    assert live["MetadataOptions"]["HttpTokens"] == "required"

    root = next(m["Ebs"]["VolumeId"] for m in live["BlockDeviceMappings"])
    ec2.delete_tags(Resources=[inst.id, root], Tags=[{"Key": "runctl:expires-at"}])
    assert "runctl:expires-at" not in _refresh(inst)["tagsAll"]
    assert "tagsAll" in list(inst.diff(props).diffs)
    inst.update(props)
    assert _tags(live["Tags"]) == _tags(
        ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [inst.id]}])["Tags"]
    )
    volume = ec2.describe_volumes(VolumeIds=[root])["Volumes"][0]
    assert _tags(volume.get("Tags")) == {**DEFAULT_TAGS, "Name": "drift-0", **EXPIRES}  # the root disk too
    inst.delete()


def test_instance_profile_tags(provider: Provider, moto_server: str) -> None:
    iam = client("iam", moto_server)
    profile = Res(provider, "aws:iam/instanceProfile:InstanceProfile", "profile.drift")
    props = {"tags": dict(EXPIRES)}
    profile.create(props)
    assert _refresh(profile)["tagsAll"] == {**DEFAULT_TAGS, **EXPIRES}
    assert profile.diff(props).changes == Diff.DIFF_NONE

    iam.untag_instance_profile(InstanceProfileName=profile.id, TagKeys=["runctl:expires-at"])
    assert _refresh(profile)["tagsAll"] == DEFAULT_TAGS
    assert "tagsAll" in list(profile.diff(props).diffs)
    profile.update(props)
    tags = iam.get_instance_profile(InstanceProfileName=profile.id)["InstanceProfile"]["Tags"]
    assert _tags(tags) == {**DEFAULT_TAGS, **EXPIRES}
    profile.delete()
