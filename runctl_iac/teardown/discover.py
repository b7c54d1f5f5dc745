"""Find every runctl-managed AWS resource by its tags, in the given regions.

Per region, the Resource Groups Tagging API (`GetResources` with a
`runctl:managed-by` tag filter) is the index: it returns every tagged resource of
every service with its tags. Each kind runctl creates is then read from its own
service in batches, for what the index lacks (age, state, size, attachments), which
also drops what no longer exists (the index keeps terminated instances for a while).
IAM is global and outside the index's reach for roles and instance profiles, so
they are listed directly (`ListRoles` / `ListInstanceProfiles` plus their tags).
A tagged resource of a type runctl does not create is reported as `other`.

Sources: AWS Resource Groups Tagging API reference, GetResources ("returns all
the tagged or previously tagged resources"); IAM ListRoles ("Tags ... are not
returned"; use ListRoleTags).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from runctl_iac.teardown.aws import WORKERS, AwsError, Clients, as_aws_error, error_code, short_error
from runctl_iac.teardown.model import (
    GLOBAL_REGION,
    MANAGED_BY,
    PROJECT,
    STACK,
    Inventory,
    Kind,
    ManagedResource,
    parse_time,
    rfc3339,
)

T = TypeVar("T")
CHUNK = 100  # ids per describe call (EC2 filters take up to 200 values)
SSM_CHUNK = 50  # ParameterFilters values per call
PAGE_TAGS = 500  # GetResources TagsPerPage maximum: fewer pages than ResourcesPerPage=100 with 5+ tags each
SKIPPED_IAM_PATHS = ("/aws-service-role/", "/service-role/", "/aws-reserved/")
GONE_STATES = {"terminated"}
EC2_TYPES = {
    "instance": Kind.INSTANCE,
    "volume": Kind.VOLUME,
    "security-group": Kind.SECURITY_GROUP,
    "placement-group": Kind.PLACEMENT_GROUP,
}
# a listing call that fails with one of these means "this endpoint cannot list that kind": a warning
UNSUPPORTED = {"NotImplemented", "InternalError", "InternalFailure", "ResponseParserError"}


def _chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _tags(pairs: Iterable[dict[str, Any]] | None) -> dict[str, str]:
    return {str(p["Key"]): str(p.get("Value", "")) for p in pairs or ()}


# "User initiated (2026-12-01 10:00:00 GMT)": how EC2 says when an instance was stopped (moto: UTC)
# (DescribeInstances StateTransitionReason; there is no field of its own)
_TRANSITION = re.compile(r"\((\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) (?:GMT|UTC)\)")


def stopped_at(instance: dict[str, Any]) -> dt.datetime | None:
    found = _TRANSITION.search(str(instance.get("StateTransitionReason") or ""))
    if found is None:
        return None
    return dt.datetime.strptime(found[1], "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.UTC)


def _when(moment: dt.datetime | None) -> str | None:
    return None if moment is None else rfc3339(moment)


def classify(arn: str) -> tuple[Kind, str]:
    """(kind, id) of a tagged resource's ARN."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return Kind.OTHER, arn
    service, resource = parts[2], parts[5]
    if service == "ec2":
        rtype, _, rid = resource.partition("/")
        if rtype in EC2_TYPES and rid:
            return EC2_TYPES[rtype], rid
    elif service == "ssm" and resource.startswith("parameter/"):
        name = resource[len("parameter/") :]
        # hierarchical names start with "/", which the ARN folds into "parameter/"
        return Kind.PARAMETER, ("/" + name if "/" in name and not name.startswith("/") else name)
    elif service == "s3" and "/" not in resource:
        return Kind.BUCKET, resource
    return Kind.OTHER, arn


def _wanted(tags: dict[str, str], project: str | None, stack: str | None) -> bool:
    return (
        MANAGED_BY in tags
        and (project is None or tags.get(PROJECT) == project)
        and (stack is None or tags.get(STACK) == stack)
    )


class _Discovery:
    def __init__(self, clients: Clients, project: str | None, stack: str | None) -> None:
        self.clients = clients
        self.project = project
        self.stack = stack
        self.warnings: list[str] = []

    def _unsupported(self, exc: Exception, what: str) -> None:
        if error_code(exc) not in UNSUPPORTED:
            raise exc
        self.warnings.append(f"{what} could not be listed ({short_error(exc)}); the result may be incomplete")

    # -- one region ---------------------------------------------------------------------------------
    def region(self, region: str, pool: ThreadPoolExecutor) -> list[ManagedResource]:
        tagging = self.clients.get("resourcegroupstaggingapi", region)
        filters: list[dict[str, Any]] = [{"Key": MANAGED_BY}]
        if self.project is not None:
            filters.append({"Key": PROJECT, "Values": [self.project]})
        if self.stack is not None:
            filters.append({"Key": STACK, "Values": [self.stack]})
        index: dict[Kind, dict[str, tuple[str, dict[str, str]]]] = {}
        for page in tagging.get_paginator("get_resources").paginate(
            TagFilters=filters, TagsPerPage=PAGE_TAGS
        ):
            for mapping in page.get("ResourceTagMappingList", []):
                arn = mapping["ResourceARN"]
                tags = _tags(mapping.get("Tags"))
                if _wanted(tags, self.project, self.stack):
                    kind, rid = classify(arn)
                    index.setdefault(kind, {})[rid] = (arn, tags)
        ec2 = self.clients.get("ec2", region)
        reads = [  # one service read per kind, concurrently
            pool.submit(self._instances, ec2, region, index.get(Kind.INSTANCE, {})),
            pool.submit(self._volumes, ec2, region, index.get(Kind.VOLUME, {})),
            pool.submit(self._security_groups, ec2, region, index.get(Kind.SECURITY_GROUP, {})),
            pool.submit(self._placement_groups, ec2, region, index.get(Kind.PLACEMENT_GROUP, {})),
            pool.submit(self._parameters, region, index.get(Kind.PARAMETER, {})),
        ]
        found: list[ManagedResource] = [r for read in reads for r in read.result()]
        found += [
            ManagedResource(Kind.OTHER, rid, region, tags, arn=arn)
            for rid, (arn, tags) in sorted(index.get(Kind.OTHER, {}).items())
        ]
        return found

    def _instances(
        self, ec2: Any, region: str, index: dict[str, tuple[str, dict[str, str]]]
    ) -> list[ManagedResource]:
        out = []
        for chunk in _chunks(sorted(index), CHUNK):
            pages = ec2.get_paginator("describe_instances").paginate(
                Filters=[{"Name": "instance-id", "Values": chunk}]
            )
            for page in pages:
                for reservation in page.get("Reservations", []):
                    for inst in reservation.get("Instances", []):
                        state = inst.get("State", {}).get("Name", "")
                        if state in GONE_STATES or inst["InstanceId"] not in index:
                            continue
                        arn, tags = index[inst["InstanceId"]]
                        details = {
                            "type": inst.get("InstanceType"),
                            "state": state,
                            "spot": inst.get("InstanceLifecycle") == "spot",
                            "stopped_at": _when(stopped_at(inst)) if state == "stopped" else None,
                        }
                        out.append(
                            ManagedResource(
                                Kind.INSTANCE,
                                inst["InstanceId"],
                                region,
                                _tags(inst.get("Tags")) or tags,
                                parse_time(inst.get("LaunchTime")),
                                arn,
                                details,
                            )
                        )
        return out

    def _volumes(
        self, ec2: Any, region: str, index: dict[str, tuple[str, dict[str, str]]]
    ) -> list[ManagedResource]:
        out = []
        for chunk in _chunks(sorted(index), CHUNK):
            pages = ec2.get_paginator("describe_volumes").paginate(
                Filters=[{"Name": "volume-id", "Values": chunk}]
            )
            for page in pages:
                for vol in page.get("Volumes", []):
                    if vol["VolumeId"] not in index or vol.get("State") == "deleted":
                        continue
                    arn, tags = index[vol["VolumeId"]]
                    details = {
                        "type": vol.get("VolumeType"),
                        "size_gb": vol.get("Size"),
                        "iops": vol.get("Iops"),
                        "throughput": vol.get("Throughput"),
                        "state": vol.get("State"),
                        "attached_to": [a["InstanceId"] for a in vol.get("Attachments", [])],
                    }
                    out.append(
                        ManagedResource(
                            Kind.VOLUME,
                            vol["VolumeId"],
                            region,
                            _tags(vol.get("Tags")) or tags,
                            parse_time(vol.get("CreateTime")),
                            arn,
                            details,
                        )
                    )
        return out

    def _security_groups(
        self, ec2: Any, region: str, index: dict[str, tuple[str, dict[str, str]]]
    ) -> list[ManagedResource]:
        out = []
        for chunk in _chunks(sorted(index), CHUNK):
            pages = ec2.get_paginator("describe_security_groups").paginate(
                Filters=[{"Name": "group-id", "Values": chunk}]
            )
            for page in pages:
                for sg in page.get("SecurityGroups", []):
                    if sg["GroupId"] not in index:
                        continue
                    arn, tags = index[sg["GroupId"]]
                    details = {"name": sg.get("GroupName"), "vpc": sg.get("VpcId")}
                    out.append(
                        ManagedResource(Kind.SECURITY_GROUP, sg["GroupId"], region, tags, None, arn, details)
                    )
        return out

    def _placement_groups(
        self, ec2: Any, region: str, index: dict[str, tuple[str, dict[str, str]]]
    ) -> list[ManagedResource]:
        if not index:
            return []
        try:
            groups = ec2.describe_placement_groups(GroupNames=sorted(index)).get("PlacementGroups", [])
        except Exception as exc:
            if error_code(exc) == "InvalidPlacementGroup.Unknown":
                return []
            self._unsupported(exc, f"placement groups in {region}")
            return []
        return [
            ManagedResource(
                Kind.PLACEMENT_GROUP,
                g["GroupName"],
                region,
                index[g["GroupName"]][1],
                None,
                index[g["GroupName"]][0],
                {"strategy": g.get("Strategy")},
            )
            for g in groups
            if g["GroupName"] in index and g.get("State") not in ("deleted", "deleting")
        ]

    def _parameters(self, region: str, index: dict[str, tuple[str, dict[str, str]]]) -> list[ManagedResource]:
        if not index:
            return []
        ssm = self.clients.get("ssm", region)
        out = []
        for chunk in _chunks(sorted(index), SSM_CHUNK):
            pages = ssm.get_paginator("describe_parameters").paginate(
                ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": chunk}]
            )
            for page in pages:
                for param in page.get("Parameters", []):
                    name = param["Name"]
                    if name not in index:
                        continue
                    arn, tags = index[name]
                    details = {"type": param.get("Type")}  # never the value
                    created = parse_time(param.get("LastModifiedDate"))
                    out.append(ManagedResource(Kind.PARAMETER, name, region, tags, created, arn, details))
        return out

    # -- global -------------------------------------------------------------------------------------
    def buckets(self, regions: tuple[str, ...], pool: ThreadPoolExecutor) -> list[ManagedResource]:
        """Tagged buckets located in the searched regions (S3 names are global, and the index may
        return a bucket from another region: moto returns every bucket in every region)."""
        index: dict[str, tuple[str, dict[str, str]]] = {}
        tagging = [self.clients.get("resourcegroupstaggingapi", r) for r in regions]
        for client in tagging:
            for page in client.get_paginator("get_resources").paginate(
                TagFilters=[{"Key": MANAGED_BY}], ResourceTypeFilters=["s3"], TagsPerPage=PAGE_TAGS
            ):
                for mapping in page.get("ResourceTagMappingList", []):
                    tags = _tags(mapping.get("Tags"))
                    kind, name = classify(mapping["ResourceARN"])
                    if kind is Kind.BUCKET and _wanted(tags, self.project, self.stack):
                        index[name] = (mapping["ResourceARN"], tags)
        if not index:
            return []

        def in_region(region: str) -> dict[str, Any]:
            """Buckets located in `region`: ListBuckets with BucketRegion, sent to that region's endpoint
            (S3 API reference, ListBuckets: "the request must be made to an endpoint in" that Region)."""
            pages = self.clients.get("s3", region).get_paginator("list_buckets").paginate(BucketRegion=region)
            return {b["Name"]: b for page in pages for b in page.get("Buckets", []) if b["Name"] in index}

        out = []
        for region, listed in zip(regions, pool.map(in_region, regions), strict=True):
            for name in sorted(listed):
                arn, tags = index[name]
                created = parse_time(listed[name].get("CreationDate"))
                out.append(ManagedResource(Kind.BUCKET, name, region, tags, created, arn, {}))
        return out

    def iam(self, region: str, pool: ThreadPoolExecutor) -> list[ManagedResource]:
        iam = self.clients.get("iam", region)
        roles = [
            r
            for page in iam.get_paginator("list_roles").paginate()
            for r in page.get("Roles", [])
            if not str(r.get("Path", "/")).startswith(SKIPPED_IAM_PATHS)
        ]
        profiles = [
            p
            for page in iam.get_paginator("list_instance_profiles").paginate()
            for p in page.get("InstanceProfiles", [])
        ]

        def role_tags(role: dict[str, Any]) -> dict[str, str]:
            if "Tags" in role:
                return _tags(role["Tags"])
            pages = iam.get_paginator("list_role_tags").paginate(RoleName=role["RoleName"])
            return {k: v for page in pages for k, v in _tags(page.get("Tags")).items()}

        def profile_tags(profile: dict[str, Any]) -> dict[str, str]:
            if "Tags" in profile:
                return _tags(profile["Tags"])
            name = profile["InstanceProfileName"]
            return _tags(iam.list_instance_profile_tags(InstanceProfileName=name).get("Tags"))

        out = []
        for role, tags in zip(roles, pool.map(role_tags, roles), strict=True):
            if _wanted(tags, self.project, self.stack):
                out.append(
                    ManagedResource(
                        Kind.ROLE,
                        role["RoleName"],
                        GLOBAL_REGION,
                        tags,
                        parse_time(role.get("CreateDate")),
                        role.get("Arn"),
                        {},
                    )
                )
        for prof, tags in zip(profiles, pool.map(profile_tags, profiles), strict=True):
            if _wanted(tags, self.project, self.stack):
                details = {"roles": [r["RoleName"] for r in prof.get("Roles", [])]}
                out.append(
                    ManagedResource(
                        Kind.INSTANCE_PROFILE,
                        prof["InstanceProfileName"],
                        GLOBAL_REGION,
                        tags,
                        parse_time(prof.get("CreateDate")),
                        prof.get("Arn"),
                        details,
                    )
                )
        return out


def discover(
    regions: Iterable[str],
    *,
    project: str | None = None,
    stack: str | None = None,
    clients: Clients | None = None,
) -> Inventory:
    """Every managed resource in `regions` (IAM once), optionally of one project / stack."""
    wanted = tuple(dict.fromkeys(regions))
    if not wanted:
        raise ValueError("discover() needs at least one region")
    clients = clients or Clients()
    finder = _Discovery(clients, project, stack)
    inventory = Inventory(regions=wanted)
    try:
        with ThreadPoolExecutor(max_workers=WORKERS) as pool, ThreadPoolExecutor(WORKERS) as inner:
            jobs: list[Callable[[], list[ManagedResource]]] = [
                *(lambda r=r: finder.region(r, inner) for r in wanted),
                lambda: finder.buckets(wanted, inner),
                lambda: finder.iam(wanted[0], inner),
            ]
            for found in pool.map(lambda job: job(), jobs):
                inventory.resources.extend(found)
    except AwsError:
        raise
    except Exception as exc:
        if type(exc).__module__.startswith("botocore") or hasattr(exc, "response"):
            raise as_aws_error(exc, "listing runctl-managed resources failed") from None
        raise
    inventory.resources.sort(key=lambda r: (r.project, r.stack, r.region, r.kind.value, r.id))
    inventory.warnings.extend(finder.warnings)
    return inventory


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
