"""Stand-in handlers for the IAM and SSM types runctl creates, backed by moto."""

from __future__ import annotations

from typing import Any, ClassVar

from tests.engine.standin.aws import Aws
from tests.engine.standin.base import Handler, Props, Unsupported, short_hash, tag_list, tag_map, user_tags
from tests.engine.standin.s3 import gone
from tests.engine.standin.wire import reveal


class Role(Handler):
    token: ClassVar[str] = "aws:iam/role:Role"
    name_key = "name"
    taggable = True

    def create(self, aws: Aws, inputs: Props, name: str) -> tuple[str, Props]:
        i = reveal(inputs)
        kw: dict[str, Any] = {"RoleName": i["name"], "AssumeRolePolicyDocument": i["assumeRolePolicy"]}
        for key, api in (("description", "Description"), ("path", "Path")):
            if i.get(key):
                kw[api] = i[key]
        if i.get("tagsAll"):
            kw["Tags"] = tag_list(i["tagsAll"])
        role = aws.client("iam").create_role(**kw)["Role"]
        return role["RoleName"], self._outputs(role)

    def _outputs(self, role: dict[str, Any]) -> Props:
        return {
            "name": role["RoleName"],
            "arn": role["Arn"],
            "uniqueId": role["RoleId"],
            "createDate": str(role["CreateDate"]),
        }

    def read(self, aws: Aws, rid: str, olds: Props) -> Props | None:
        try:
            role = aws.client("iam").get_role(RoleName=rid)["Role"]
        except Exception as err:
            if gone(err):
                return None
            raise
        live = tag_map(role.get("Tags"))
        return {
            **self._outputs(role),
            "description": role.get("Description"),
            "tags": user_tags(aws, live),
            "tagsAll": live,
        }

    def update(self, aws: Aws, rid: str, olds: Props, news: Props, changed: list[str]) -> Props:
        iam = aws.client("iam")
        n, o = reveal(news), reveal(olds)
        other = set(changed) - {"assumeRolePolicy", "description", "tags", "tagsAll"}
        if other:
            raise Unsupported(f"stand-in aws provider: cannot update {self.token} {sorted(other)} in place")
        if "assumeRolePolicy" in changed:
            iam.update_assume_role_policy(RoleName=rid, PolicyDocument=n["assumeRolePolicy"])
        if "description" in changed:
            iam.update_role(RoleName=rid, Description=n.get("description") or "")
        if "tagsAll" in changed:
            old, new = o.get("tagsAll") or {}, n.get("tagsAll") or {}
            if [k for k in old if k not in new]:
                iam.untag_role(RoleName=rid, TagKeys=[k for k in old if k not in new])
            if new:
                iam.tag_role(RoleName=rid, Tags=tag_list(new))
        return self._outputs(iam.get_role(RoleName=rid)["Role"])

    def delete(self, aws: Aws, rid: str, olds: Props) -> None:
        try:
            aws.client("iam").delete_role(RoleName=rid)
        except Exception as err:
            if not gone(err):
                raise


class RolePolicy(Handler):
    token: ClassVar[str] = "aws:iam/rolePolicy:RolePolicy"
    name_key = "name"

    def create(self, aws: Aws, inputs: Props, name: str) -> tuple[str, Props]:
        i = reveal(inputs)
        aws.client("iam").put_role_policy(
            RoleName=i["role"], PolicyName=i["name"], PolicyDocument=i["policy"]
        )
        return f"{i['role']}:{i['name']}", {}

    def read(self, aws: Aws, rid: str, olds: Props) -> Props | None:
        role, _, name = rid.partition(":")
        try:
            aws.client("iam").get_role_policy(RoleName=role, PolicyName=name)
        except Exception as err:
            if gone(err):
                return None
            raise
        return {}

    def update(self, aws: Aws, rid: str, olds: Props, news: Props, changed: list[str]) -> Props:
        i = reveal(news)
        aws.client("iam").put_role_policy(
            RoleName=i["role"], PolicyName=i["name"], PolicyDocument=i["policy"]
        )
        return {}

    def delete(self, aws: Aws, rid: str, olds: Props) -> None:
        role, _, name = rid.partition(":")
        try:
            aws.client("iam").delete_role_policy(RoleName=role, PolicyName=name)
        except Exception as err:
            if not gone(err):
                raise


class RolePolicyAttachment(Handler):
    token: ClassVar[str] = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"

    def create(self, aws: Aws, inputs: Props, name: str) -> tuple[str, Props]:
        i = reveal(inputs)
        aws.client("iam").attach_role_policy(RoleName=i["role"], PolicyArn=i["policyArn"])
        return f"{i['role']}-{short_hash(i['policyArn'])}", {}

    def read(self, aws: Aws, rid: str, olds: Props) -> Props | None:
        o = reveal(olds)
        try:
            pages = (
                aws.client("iam").get_paginator("list_attached_role_policies").paginate(RoleName=o["role"])
            )
            arns = {p["PolicyArn"] for page in pages for p in page["AttachedPolicies"]}
        except Exception as err:
            if gone(err):
                return None
            raise
        return {} if o["policyArn"] in arns else None

    def update(self, aws: Aws, rid: str, olds: Props, news: Props, changed: list[str]) -> Props:
        raise Unsupported(f"stand-in aws provider: {self.token} changes only by replacement")

    def delete(self, aws: Aws, rid: str, olds: Props) -> None:
        o = reveal(olds)
        try:
            aws.client("iam").detach_role_policy(RoleName=o["role"], PolicyArn=o["policyArn"])
        except Exception as err:
            if not gone(err):
                raise


class InstanceProfile(Handler):
    token: ClassVar[str] = "aws:iam/instanceProfile:InstanceProfile"
    name_key = "name"
    taggable = True

    def create(self, aws: Aws, inputs: Props, name: str) -> tuple[str, Props]:
        i = reveal(inputs)
        iam = aws.client("iam")
        kw: dict[str, Any] = {"InstanceProfileName": i["name"]}
        if i.get("tagsAll"):
            kw["Tags"] = tag_list(i["tagsAll"])
        profile = iam.create_instance_profile(**kw)["InstanceProfile"]
        if i.get("role"):
            iam.add_role_to_instance_profile(InstanceProfileName=i["name"], RoleName=i["role"])
        return i["name"], {"arn": profile["Arn"], "uniqueId": profile["InstanceProfileId"]}

    def read(self, aws: Aws, rid: str, olds: Props) -> Props | None:
        try:
            profile = aws.client("iam").get_instance_profile(InstanceProfileName=rid)["InstanceProfile"]
        except Exception as err:
            if gone(err):
                return None
            raise
        roles = [r["RoleName"] for r in profile.get("Roles", [])]
        live = tag_map(profile.get("Tags"))
        return {
            "arn": profile["Arn"],
            "role": roles[0] if roles else None,
            "tags": user_tags(aws, live),
            "tagsAll": live,
        }

    def update(self, aws: Aws, rid: str, olds: Props, news: Props, changed: list[str]) -> Props:
        iam = aws.client("iam")
        n, o = reveal(news), reveal(olds)
        if set(changed) - {"role", "tags", "tagsAll"}:
            raise Unsupported(f"stand-in aws provider: cannot update {self.token} {changed} in place")
        if "role" in changed:
            if o.get("role"):
                iam.remove_role_from_instance_profile(InstanceProfileName=rid, RoleName=o["role"])
            if n.get("role"):
                iam.add_role_to_instance_profile(InstanceProfileName=rid, RoleName=n["role"])
        if "tagsAll" in changed:
            old, new = o.get("tagsAll") or {}, n.get("tagsAll") or {}
            removed = [k for k in old if k not in new]
            if removed:
                iam.untag_instance_profile(InstanceProfileName=rid, TagKeys=removed)
            upsert = {k: v for k, v in new.items() if old.get(k) != v}
            if upsert:
                iam.tag_instance_profile(InstanceProfileName=rid, Tags=tag_list(upsert))
        return {}

    def delete(self, aws: Aws, rid: str, olds: Props) -> None:
        iam = aws.client("iam")
        try:
            profile = iam.get_instance_profile(InstanceProfileName=rid)["InstanceProfile"]
            for role in profile.get("Roles", []):
                iam.remove_role_from_instance_profile(InstanceProfileName=rid, RoleName=role["RoleName"])
            iam.delete_instance_profile(InstanceProfileName=rid)
        except Exception as err:
            if not gone(err):
                raise


class Parameter(Handler):
    token: ClassVar[str] = "aws:ssm/parameter:Parameter"
    name_key = "name"
    taggable = True

    def _put(self, aws: Aws, i: Props, overwrite: bool) -> int:
        kw: dict[str, Any] = {
            "Name": i["name"],
            "Value": i["value"],
            "Type": i.get("type") or "String",
            "Overwrite": overwrite,
        }
        if i.get("description"):
            kw["Description"] = i["description"]
        if i.get("tagsAll") and not overwrite:
            kw["Tags"] = tag_list(i["tagsAll"])
        version: int = aws.client("ssm").put_parameter(**kw)["Version"]
        return version

    def create(self, aws: Aws, inputs: Props, name: str) -> tuple[str, Props]:
        i = reveal(inputs)
        version = self._put(aws, i, overwrite=False)
        return i["name"], self._outputs(aws, i["name"], version)

    def _outputs(self, aws: Aws, name: str, version: int) -> Props:
        return {
            "arn": f"arn:aws:ssm:{aws.region}:{aws.account_id()}:parameter{name}",
            "version": version,
            "tier": "Standard",
            "dataType": "text",
        }

    def read(self, aws: Aws, rid: str, olds: Props) -> Props | None:
        ssm = aws.client("ssm")
        try:
            p = ssm.get_parameter(Name=rid, WithDecryption=True)["Parameter"]
        except Exception as err:
            if gone(err):
                return None
            raise
        live = tag_map(ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=rid).get("TagList"))
        return {
            **self._outputs(aws, rid, p["Version"]),
            "value": p["Value"],
            "type": p["Type"],
            "tags": user_tags(aws, live),
            "tagsAll": live,
        }

    def update(self, aws: Aws, rid: str, olds: Props, news: Props, changed: list[str]) -> Props:
        n, o = reveal(news), reveal(olds)
        ssm = aws.client("ssm")
        version = int(o.get("version") or 1)
        if {"value", "type", "description"} & set(changed):
            version = self._put(aws, n, overwrite=True)
        if "tagsAll" in changed:
            old, new = o.get("tagsAll") or {}, n.get("tagsAll") or {}
            gone = [k for k in old if k not in new]
            if gone:
                ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId=rid, TagKeys=gone)
            if new:
                ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=rid, Tags=tag_list(new))
        return self._outputs(aws, rid, version)

    def delete(self, aws: Aws, rid: str, olds: Props) -> None:
        try:
            aws.client("ssm").delete_parameter(Name=rid)
        except Exception as err:
            if not gone(err):
                raise


HANDLERS: tuple[type[Handler], ...] = (Role, RolePolicy, RolePolicyAttachment, InstanceProfile, Parameter)
