"""Instances and EBS volumes as discovery reads them (`discover.py`): their state, when an
instance stopped, and the EBS volumes a stopped instance keeps billing (its root disk may carry no
runctl tag, so they are read from its block device mappings, not the tag index).

Sources: EC2 DescribeInstances (State, StateTransitionReason, BlockDeviceMappings) and
DescribeVolumes (VolumeType, Size, Iops, Throughput, Attachments) API references.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from runctl_iac.teardown.model import Kind, ManagedResource, parse_time, rfc3339

T = TypeVar("T")
CHUNK = 100  # ids per describe call (EC2 filters take up to 200 values)
GONE_STATES = {"terminated"}
Index = dict[str, tuple[str, dict[str, str]]]  # resource id -> (ARN, tags) from the tag index


def chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def tag_dict(pairs: Iterable[dict[str, Any]] | None) -> dict[str, str]:
    return {str(p["Key"]): str(p.get("Value", "")) for p in pairs or ()}


# "User initiated (2026-12-01 10:00:00 GMT)": how EC2 says when an instance was stopped (moto: UTC)
# (DescribeInstances StateTransitionReason; there is no field of its own)
_TRANSITION = re.compile(r"\((\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) (?:GMT|UTC)\)")


def stopped_at(instance: dict[str, Any]) -> dt.datetime | None:
    found = _TRANSITION.search(str(instance.get("StateTransitionReason") or ""))
    if found is None:
        return None
    return dt.datetime.strptime(found[1], "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.UTC)


def _ebs_ids(instance: dict[str, Any]) -> list[str]:
    """The EBS volumes attached to an instance (DescribeInstances BlockDeviceMappings)."""
    return [m["Ebs"]["VolumeId"] for m in instance.get("BlockDeviceMappings", []) if m.get("Ebs")]


def _volume_details(vol: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": vol.get("VolumeType"),
        "size_gb": vol.get("Size"),
        "iops": vol.get("Iops"),
        "throughput": vol.get("Throughput"),
        "state": vol.get("State"),
        "attached_to": [a["InstanceId"] for a in vol.get("Attachments", [])],
    }


def _when(moment: dt.datetime | None) -> str | None:
    return None if moment is None else rfc3339(moment)


def described(ec2: Any, operation: str, filter_name: str, ids: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Every page an EC2 Describe* call answers for these ids, CHUNK ids a call (a filter, not the
    ids themselves: an id EC2 no longer knows is left out, not an error)."""
    for chunk in chunks(sorted(ids), CHUNK):
        yield from ec2.get_paginator(operation).paginate(Filters=[{"Name": filter_name, "Values": chunk}])


def read_instances(ec2: Any, region: str, index: Index) -> list[ManagedResource]:
    found = [
        inst
        for page in described(ec2, "describe_instances", "instance-id", index)
        for reservation in page.get("Reservations", [])
        for inst in reservation.get("Instances", [])
        if inst.get("State", {}).get("Name", "") not in GONE_STATES and inst["InstanceId"] in index
    ]
    kept = _kept_volumes(ec2, [i for i in found if i["State"]["Name"] == "stopped"])
    out = []
    for inst in found:
        state = inst["State"]["Name"]
        arn, tags = index[inst["InstanceId"]]
        details = {
            "type": inst.get("InstanceType"),
            "state": state,
            "spot": inst.get("InstanceLifecycle") == "spot",
            "stopped_at": _when(stopped_at(inst)) if state == "stopped" else None,
        }
        if state == "stopped":  # what it still bills: its EBS volumes, root disk included
            details["volumes"] = [kept[v] for v in _ebs_ids(inst) if v in kept]
        out.append(
            ManagedResource(
                Kind.INSTANCE,
                inst["InstanceId"],
                region,
                tag_dict(inst.get("Tags")) or tags,
                parse_time(inst.get("LaunchTime")),
                arn,
                details,
            )
        )
    return out


def _kept_volumes(ec2: Any, stopped: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The EBS volumes attached to stopped instances (a root disk may carry no runctl tag), by id."""
    ids = {v for inst in stopped for v in _ebs_ids(inst)}
    return {
        v["VolumeId"]: {"id": v["VolumeId"], **_volume_details(v)}
        for page in described(ec2, "describe_volumes", "volume-id", ids)
        for v in page.get("Volumes", [])
    }


def read_volumes(ec2: Any, region: str, index: Index) -> list[ManagedResource]:
    return [
        ManagedResource(
            Kind.VOLUME,
            vol["VolumeId"],
            region,
            tag_dict(vol.get("Tags")) or index[vol["VolumeId"]][1],
            parse_time(vol.get("CreateTime")),
            index[vol["VolumeId"]][0],
            _volume_details(vol),
        )
        for page in described(ec2, "describe_volumes", "volume-id", index)
        for vol in page.get("Volumes", [])
        if vol["VolumeId"] in index and vol.get("State") != "deleted"
    ]
