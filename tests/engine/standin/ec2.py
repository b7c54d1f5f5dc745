"""Stand-in handlers for the EC2 and EBS types runctl creates, backed by moto's EC2 API."""

from __future__ import annotations

from typing import Any, ClassVar

from tests.engine.standin.aws import Aws
from tests.engine.standin.base import (
    Handler,
    Props,
    Unsupported,
    camel,
    error_code,
    pascal,
    short_hash,
    tag_list,
    tag_map,
    user_tags,
)
from tests.engine.standin.faults import check_capacity
from tests.engine.standin.wire import reveal

GONE = {
    "InvalidInstanceID.NotFound",
    "InvalidVolume.NotFound",
    "InvalidGroup.NotFound",
    "InvalidAttachment.NotFound",
    "IncorrectState",
}


def _sync_tags(aws: Aws, rid: str, old: dict[str, str], new: dict[str, str]) -> None:
    ec2 = aws.client("ec2")
    removed = [{"Key": k} for k in old if k not in new]
    if removed:
        ec2.delete_tags(Resources=[rid], Tags=removed)
    upsert = {k: v for k, v in new.items() if old.get(k) != v}
    if upsert:
        ec2.create_tags(Resources=[rid], Tags=tag_list(upsert))


class Instance(Handler):
    token: ClassVar[str] = "aws:ec2/instance:Instance"
    taggable = True

    def create(self, aws: Aws, inputs: Props, name: str) -> tuple[str, Props]:
        i = reveal(inputs)
        ec2 = aws.client("ec2")
        kw: dict[str, Any] = {
            "ImageId": i["ami"],
            "InstanceType": i["instanceType"],
            "MinCount": 1,
            "MaxCount": 1,
        }
        placement = {"AvailabilityZone": i.get("availabilityZone"), "GroupName": i.get("placementGroup")}
        if any(placement.values()):
            kw["Placement"] = {k: v for k, v in placement.items() if v}
        if i.get("subnetId"):
            kw["SubnetId"] = i["subnetId"]
        if i.get("vpcSecurityGroupIds"):
            kw["SecurityGroupIds"] = i["vpcSecurityGroupIds"]
        if i.get("iamInstanceProfile"):
            kw["IamInstanceProfile"] = {"Name": i["iamInstanceProfile"]}
        if i.get("metadataOptions"):
            kw["MetadataOptions"] = pascal(i["metadataOptions"])
        if i.get("instanceMarketOptions"):
            kw["InstanceMarketOptions"] = pascal(i["instanceMarketOptions"])
        if i.get("userData"):
            kw["UserData"] = i["userData"]
        if i.get("instanceInitiatedShutdownBehavior"):
            kw["InstanceInitiatedShutdownBehavior"] = i["instanceInitiatedShutdownBehavior"]
        if i.get("rootBlockDevice"):
            image = ec2.describe_images(ImageIds=[i["ami"]])["Images"][0]
            ebs = pascal(i["rootBlockDevice"])
            kw["BlockDeviceMappings"] = [{"DeviceName": image.get("RootDeviceName", "/dev/xvda"), "Ebs": ebs}]
        if i.get("tagsAll"):
            kw["TagSpecifications"] = [
                {"ResourceType": kind, "Tags": tag_list(i["tagsAll"])} for kind in ("instance", "volume")
            ]
        market = (i.get("instanceMarketOptions") or {}).get("marketType") or "on-demand"
        zone = i.get("availabilityZone") or aws.region + "a"
        check_capacity(i["instanceType"], zone, market)  # fault injection (tests/engine/standin/faults.py)
        inst = ec2.run_instances(**kw)["Instances"][0]
        return inst["InstanceId"], self._outputs(aws, inst)

    def _outputs(self, aws: Aws, inst: dict[str, Any]) -> Props:
        return {
            "arn": f"arn:aws:ec2:{aws.region}:{aws.account_id()}:instance/{inst['InstanceId']}",
            "availabilityZone": inst["Placement"]["AvailabilityZone"],
            "privateIp": inst.get("PrivateIpAddress"),
            "privateDns": inst.get("PrivateDnsName"),
            "publicIp": inst.get("PublicIpAddress"),
            "subnetId": inst.get("SubnetId"),
            "instanceState": inst["State"]["Name"],
            "primaryNetworkInterfaceId": (inst.get("NetworkInterfaces") or [{}])[0].get("NetworkInterfaceId"),
        }

    def _describe(self, aws: Aws, rid: str) -> dict[str, Any] | None:
        try:
            res = aws.client("ec2").describe_instances(InstanceIds=[rid])["Reservations"]
        except Exception as err:
            if error_code(err) in GONE:
                return None
            raise
        insts = [i for r in res for i in r["Instances"]]
        if not insts or insts[0]["State"]["Name"] in ("terminated", "shutting-down"):
            return None
        return insts[0]

    def read(self, aws: Aws, rid: str, olds: Props) -> Props | None:
        inst = self._describe(aws, rid)
        if inst is None:
            return None
        live = tag_map(inst.get("Tags"))
        out = {
            **self._outputs(aws, inst),
            "instanceType": inst["InstanceType"],
            "vpcSecurityGroupIds": sorted(g["GroupId"] for g in inst.get("SecurityGroups", [])),
            "tags": user_tags(aws, live),
            "tagsAll": live,
        }
        # the metadata options the program sets, as AWS has them now (IMDSv2 turned off by hand shows)
        wanted = reveal(olds).get("metadataOptions") or {}
        options = camel({k: v for k, v in (inst.get("MetadataOptions") or {}).items() if k != "State"})
        if wanted:
            out["metadataOptions"] = {k: options[k] for k in wanted if k in options}
        return out

    def update(self, aws: Aws, rid: str, olds: Props, news: Props, changed: list[str]) -> Props:
        ec2 = aws.client("ec2")
        n, o = reveal(news), reveal(olds)
        for key in changed:
            if key in ("tags", "tagsAll"):
                continue
            if key == "instanceType":
                # AWS needs a stopped instance to change its type (pulumi-aws stops and starts it)
                ec2.stop_instances(InstanceIds=[rid])
                ec2.modify_instance_attribute(InstanceId=rid, InstanceType={"Value": n["instanceType"]})
                ec2.start_instances(InstanceIds=[rid])
            elif key == "vpcSecurityGroupIds":
                ec2.modify_instance_attribute(InstanceId=rid, Groups=n["vpcSecurityGroupIds"])
            elif key == "instanceInitiatedShutdownBehavior":
                ec2.modify_instance_attribute(
                    InstanceId=rid,
                    InstanceInitiatedShutdownBehavior={"Value": n.get(key) or "stop"},
                )
            elif key == "metadataOptions":
                ec2.modify_instance_metadata_options(InstanceId=rid, **pascal(n["metadataOptions"]))
            elif key == "rootBlockDevice":
                self._modify_root(aws, rid, o.get("rootBlockDevice") or {}, n.get("rootBlockDevice") or {})
            else:
                raise Unsupported(f"stand-in aws provider: cannot update {self.token} {key} in place")
        inst = self._describe(aws, rid)
        assert inst is not None, rid
        if "tagsAll" in changed:  # the root volume carries the instance's tags (TagSpecifications)
            for resource in (rid, self._root_volume(inst)):
                _sync_tags(aws, resource, o.get("tagsAll") or {}, n.get("tagsAll") or {})
        return self._outputs(aws, inst)

    @staticmethod
    def _root_volume(inst: dict[str, Any]) -> str:
        root = next(
            m
            for m in inst["BlockDeviceMappings"]
            if m["DeviceName"] == inst.get("RootDeviceName", "/dev/xvda")
        )
        return str(root["Ebs"]["VolumeId"])

    def _modify_root(self, aws: Aws, rid: str, old: dict[str, Any], new: dict[str, Any]) -> None:
        fields = {
            "volumeSize": "Size",
            "volumeType": "VolumeType",
            "iops": "Iops",
            "throughput": "Throughput",
        }
        if {k for k in set(old) | set(new) if old.get(k) != new.get(k)} - set(fields):
            raise Unsupported(
                "stand-in aws provider: only size, type, iops and throughput of a root disk change in place"
            )
        inst = self._describe(aws, rid)
        assert inst is not None, rid
        kw = {api: new[key] for key, api in fields.items() if key in new and old.get(key) != new[key]}
        aws.client("ec2").modify_volume(VolumeId=self._root_volume(inst), **kw)

    def delete(self, aws: Aws, rid: str, olds: Props) -> None:
        try:
            changes = aws.client("ec2").terminate_instances(InstanceIds=[rid])["TerminatingInstances"]
        except Exception as err:
            if error_code(err) in GONE:
                return
            raise
        if not changes or self._describe(aws, rid) is not None:
            raise RuntimeError(f"stand-in aws provider: {rid} is not terminating after TerminateInstances")


class Volume(Handler):
    token: ClassVar[str] = "aws:ebs/volume:Volume"
    taggable = True
    _API: ClassVar[dict[str, str]] = {
        "size": "Size",
        "type": "VolumeType",
        "iops": "Iops",
        "throughput": "Throughput",
    }

    def create(self, aws: Aws, inputs: Props, name: str) -> tuple[str, Props]:
        i = reveal(inputs)
        kw: dict[str, Any] = {"AvailabilityZone": i["availabilityZone"]}
        kw.update({api: i[key] for key, api in self._API.items() if i.get(key) is not None})
        for key, api in (("encrypted", "Encrypted"), ("snapshotId", "SnapshotId"), ("kmsKeyId", "KmsKeyId")):
            if i.get(key) is not None:
                kw[api] = i[key]
        if i.get("tagsAll"):
            kw["TagSpecifications"] = [{"ResourceType": "volume", "Tags": tag_list(i["tagsAll"])}]
        vol = aws.client("ec2").create_volume(**kw)
        return vol["VolumeId"], self._outputs(aws, vol)

    def _outputs(self, aws: Aws, vol: dict[str, Any]) -> Props:
        return {
            "arn": f"arn:aws:ec2:{aws.region}:{aws.account_id()}:volume/{vol['VolumeId']}",
            "availabilityZone": vol["AvailabilityZone"],
            "size": vol["Size"],
            "type": vol["VolumeType"],
            "encrypted": vol.get("Encrypted", False),
        }

    def read(self, aws: Aws, rid: str, olds: Props) -> Props | None:
        try:
            vol = aws.client("ec2").describe_volumes(VolumeIds=[rid])["Volumes"][0]
        except Exception as err:
            if error_code(err) in GONE:
                return None
            raise
        live = tag_map(vol.get("Tags"))
        return {**self._outputs(aws, vol), "tags": user_tags(aws, live), "tagsAll": live}

    def update(self, aws: Aws, rid: str, olds: Props, news: Props, changed: list[str]) -> Props:
        n, o = reveal(news), reveal(olds)
        other = set(changed) - set(self._API) - {"tags", "tagsAll"}
        if other:
            raise Unsupported(f"stand-in aws provider: cannot update {self.token} {sorted(other)} in place")
        kw = {api: n[key] for key, api in self._API.items() if key in changed and n.get(key) is not None}
        if kw:
            aws.client("ec2").modify_volume(VolumeId=rid, **kw)
        if "tagsAll" in changed:
            _sync_tags(aws, rid, o.get("tagsAll") or {}, n.get("tagsAll") or {})
        vol = aws.client("ec2").describe_volumes(VolumeIds=[rid])["Volumes"][0]
        return self._outputs(aws, vol)

    def delete(self, aws: Aws, rid: str, olds: Props) -> None:
        try:
            aws.client("ec2").delete_volume(VolumeId=rid)
        except Exception as err:
            if error_code(err) not in GONE:
                raise


class VolumeAttachment(Handler):
    token: ClassVar[str] = "aws:ec2/volumeAttachment:VolumeAttachment"
    # A volume is attached to one instance at a time: the old attachment must go first.
    delete_before_replace = True

    def create(self, aws: Aws, inputs: Props, name: str) -> tuple[str, Props]:
        i = reveal(inputs)
        aws.client("ec2").attach_volume(
            Device=i["deviceName"], InstanceId=i["instanceId"], VolumeId=i["volumeId"]
        )
        # terraform-provider-aws: the id is "vai-" and a hash of device, instance and volume
        return "vai-" + short_hash(i["deviceName"], i["instanceId"], i["volumeId"], n=10), {}

    def read(self, aws: Aws, rid: str, olds: Props) -> Props | None:
        try:
            vol = aws.client("ec2").describe_volumes(VolumeIds=[olds["volumeId"]])["Volumes"][0]
        except Exception as err:
            if error_code(err) in GONE:
                return None
            raise
        attached = [a for a in vol.get("Attachments", []) if a.get("InstanceId") == olds["instanceId"]]
        return {} if attached else None

    def update(self, aws: Aws, rid: str, olds: Props, news: Props, changed: list[str]) -> Props:
        raise Unsupported(f"stand-in aws provider: {self.token} changes only by replacement")

    def delete(self, aws: Aws, rid: str, olds: Props) -> None:
        o = reveal(olds)
        try:
            aws.client("ec2").detach_volume(
                Device=o["deviceName"], InstanceId=o["instanceId"], VolumeId=o["volumeId"]
            )
        except Exception as err:
            if error_code(err) not in GONE | {"VolumeNotAttached", "InvalidAttachment.NotFound"}:
                raise


def _permissions(rules: list[dict[str, Any]], group_id: str) -> list[dict[str, Any]]:
    perms = []
    for r in rules:
        desc = {"Description": r["description"]} if r.get("description") else {}
        perm: dict[str, Any] = {"IpProtocol": str(r["protocol"])}
        if str(r["protocol"]) != "-1":
            perm.update(FromPort=r["fromPort"], ToPort=r["toPort"])
        perm["IpRanges"] = [{"CidrIp": c, **desc} for c in r.get("cidrBlocks") or []]
        perm["Ipv6Ranges"] = [{"CidrIpv6": c, **desc} for c in r.get("ipv6CidrBlocks") or []]
        groups = list(r.get("securityGroups") or []) + ([group_id] if r.get("self") else [])
        perm["UserIdGroupPairs"] = [{"GroupId": g, **desc} for g in groups]
        perms.append(perm)
    return perms


class SecurityGroup(Handler):
    token: ClassVar[str] = "aws:ec2/securityGroup:SecurityGroup"
    name_key = "name"
    taggable = True

    def create(self, aws: Aws, inputs: Props, name: str) -> tuple[str, Props]:
        i = reveal(inputs)
        ec2 = aws.client("ec2")
        kw: dict[str, Any] = {
            "GroupName": i["name"],
            "Description": i.get("description") or "Managed by Pulumi",
        }
        if i.get("vpcId"):
            kw["VpcId"] = i["vpcId"]
        if i.get("tagsAll"):
            kw["TagSpecifications"] = [{"ResourceType": "security-group", "Tags": tag_list(i["tagsAll"])}]
        gid = ec2.create_security_group(**kw)["GroupId"]
        self._set_rules(aws, gid, i)
        return gid, self._outputs(aws, gid)

    def _set_rules(self, aws: Aws, gid: str, i: Props) -> None:
        """Replace every rule with the inputs' (terraform-provider-aws also drops AWS's default egress)."""
        ec2 = aws.client("ec2")
        group = ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]
        if group.get("IpPermissions"):
            ec2.revoke_security_group_ingress(GroupId=gid, IpPermissions=group["IpPermissions"])
        if group.get("IpPermissionsEgress"):
            ec2.revoke_security_group_egress(GroupId=gid, IpPermissions=group["IpPermissionsEgress"])
        if i.get("ingress"):
            ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=_permissions(i["ingress"], gid))
        if i.get("egress"):
            ec2.authorize_security_group_egress(GroupId=gid, IpPermissions=_permissions(i["egress"], gid))

    def _outputs(self, aws: Aws, gid: str) -> Props:
        group = aws.client("ec2").describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]
        return {
            "arn": f"arn:aws:ec2:{aws.region}:{aws.account_id()}:security-group/{gid}",
            "name": group["GroupName"],
            "description": group["Description"],
            "ownerId": group["OwnerId"],
            "vpcId": group["VpcId"],
        }

    def read(self, aws: Aws, rid: str, olds: Props) -> Props | None:
        try:
            group = aws.client("ec2").describe_security_groups(GroupIds=[rid])["SecurityGroups"][0]
        except Exception as err:
            if error_code(err) in GONE:
                return None
            raise
        live = tag_map(group.get("Tags"))
        return {**self._outputs(aws, rid), "tags": user_tags(aws, live), "tagsAll": live}

    def update(self, aws: Aws, rid: str, olds: Props, news: Props, changed: list[str]) -> Props:
        n, o = reveal(news), reveal(olds)
        other = set(changed) - {"ingress", "egress", "tags", "tagsAll", "revokeRulesOnDelete"}
        if other:
            raise Unsupported(f"stand-in aws provider: cannot update {self.token} {sorted(other)} in place")
        if {"ingress", "egress"} & set(changed):
            self._set_rules(aws, rid, n)
        if "tagsAll" in changed:
            _sync_tags(aws, rid, o.get("tagsAll") or {}, n.get("tagsAll") or {})
        return self._outputs(aws, rid)

    def delete(self, aws: Aws, rid: str, olds: Props) -> None:
        try:
            aws.client("ec2").delete_security_group(GroupId=rid)
        except Exception as err:
            if error_code(err) not in GONE:
                raise


class PlacementGroup(Handler):
    """moto 5.2 has no placement-group API (CreatePlacementGroup answers 500), so this type alone is
    recorded by the stand-in without an AWS call; instances still name it in their placement."""

    token: ClassVar[str] = "aws:ec2/placementGroup:PlacementGroup"
    name_key = "name"
    taggable = True

    def create(self, aws: Aws, inputs: Props, name: str) -> tuple[str, Props]:
        pg = reveal(inputs)["name"]
        return pg, {
            "arn": f"arn:aws:ec2:{aws.region}:{aws.account_id()}:placement-group/{pg}",
            "placementGroupId": "pg-" + short_hash(aws.account_id(), pg, n=17),
        }

    def read(self, aws: Aws, rid: str, olds: Props) -> Props | None:
        return {}

    def update(self, aws: Aws, rid: str, olds: Props, news: Props, changed: list[str]) -> Props:
        if set(changed) - {"tags", "tagsAll"}:
            raise Unsupported(f"stand-in aws provider: {self.token} changes only by replacement")
        return {}

    def delete(self, aws: Aws, rid: str, olds: Props) -> None:
        return None


HANDLERS: tuple[type[Handler], ...] = (Instance, Volume, VolumeAttachment, SecurityGroup, PlacementGroup)
