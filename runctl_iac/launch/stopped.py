"""Instances of a stack that stopped themselves (autostop, the budget cap), started again by apply.

A node's `shutdown -h` with the instance's shutdown behaviour `stop` leaves the instance stopped:
its EBS volumes and root disk stay, it costs only their $/GB-month (`stopped_cost`, for `runctl
status`: the volumes priced by `plan.cost.disk_monthly`, the one EBS rule, and the compute they no
longer bill). `runctl apply` on that stack
must neither replace it (data loss) nor leave it down: it lists the stopped instances ("start 2
stopped instances") and, once confirmed, starts them and waits until they run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from runctl_iac.diagnostics import DiagnosticError
from runctl_iac.launch.aws import RETRIES, failure_diagnostic, is_aws_failure

STOPPED = ("stopped", "stopping")
# EC2 waits: 15 s x 40 = 10 minutes for an instance to come back (the instance_running waiter's
# default delay; boto3 docs: EC2.Waiter.InstanceRunning)
WAIT = {"Delay": 15, "MaxAttempts": 40}


def instance_ids(outputs: Mapping[str, Any]) -> dict[str, str]:
    """logical id -> instance id, from the stack outputs (`instances.<rid>.id`)."""
    nodes = outputs.get("instances")
    if not isinstance(nodes, Mapping):
        return {}
    return {
        rid: node["id"]
        for rid, node in sorted(nodes.items())
        if isinstance(node, Mapping) and isinstance(node.get("id"), str)
    }


def _ec2(region: str, endpoint_url: str | None) -> Any:
    import boto3
    from botocore.config import Config

    from runctl_iac.engine.local import FAKE_CREDENTIALS

    kwargs: dict[str, Any] = {"region_name": region, "config": Config(retries=RETRIES)}
    if endpoint_url is not None:  # the local emulator takes fake credentials
        kwargs.update(
            endpoint_url=endpoint_url,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )
    return boto3.client("ec2", **kwargs)


def _failure(exc: Exception) -> Exception:
    return DiagnosticError([failure_diagnostic(exc)]) if is_aws_failure(exc) else exc


def _stopped(outputs: Mapping[str, Any], ec2: Any) -> list[dict[str, Any]]:
    """The stack's stopped (or stopping) instances as DescribeInstances has them, in logical-id order."""
    ids = instance_ids(outputs)
    if not ids:
        return []
    try:
        # a filter, not InstanceIds: an id AWS no longer knows is simply not stopped (the engine sees to it)
        found = ec2.describe_instances(Filters=[{"Name": "instance-id", "Values": list(ids.values())}])
    except Exception as exc:
        raise _failure(exc) from None
    by_id = {i["InstanceId"]: i for r in found["Reservations"] for i in r["Instances"]}
    return [by_id[iid] for iid in ids.values() if iid in by_id and by_id[iid]["State"]["Name"] in STOPPED]


def stopped_instances(outputs: Mapping[str, Any], region: str, endpoint_url: str | None = None) -> list[str]:
    """The stack's instances that are stopped (or stopping), as instance ids in logical-id order."""
    return [i["InstanceId"] for i in _stopped(outputs, _ec2(region, endpoint_url))]


@dataclass(frozen=True)
class StoppedCost:
    """The stack's stopped instances and what their EBS volumes (root disks included) cost a month."""

    instances: tuple[str, ...]
    monthly_usd: Decimal | None  # None: a volume the price catalog cannot price
    hourly_usd: Decimal | None = None  # the compute they no longer bill (catalog, as plan prices it)

    def to_json(self) -> dict[str, Any]:
        month = None if self.monthly_usd is None else str(self.monthly_usd.quantize(Decimal("0.01")))
        return {"instances": list(self.instances), "monthly_usd": month}


def stopped_cost(
    outputs: Mapping[str, Any], region: str, endpoint_url: str | None = None
) -> StoppedCost | None:
    """What the stack's stopped instances still cost (`plan.cost.disk_monthly`, the one EBS rule);
    None when none is stopped."""
    from runctl_iac.plan.cost import disk_monthly, total_usd
    from runctl_iac.prices import instance_unit_price

    ec2 = _ec2(region, endpoint_url)
    stopped = _stopped(outputs, ec2)
    if not stopped:
        return None
    volume_ids = [
        m["Ebs"]["VolumeId"] for i in stopped for m in i.get("BlockDeviceMappings", []) if m.get("Ebs")
    ]
    try:
        volumes = (
            ec2.describe_volumes(Filters=[{"Name": "volume-id", "Values": volume_ids}])["Volumes"]
            if volume_ids
            else []
        )
    except Exception as exc:
        raise _failure(exc) from None
    monthly = total_usd(
        disk_monthly(region, v.get("Size"), v.get("VolumeType"), v.get("Iops"), v.get("Throughput"))
        for v in volumes
    )
    hourly = total_usd(
        instance_unit_price(region, i.get("InstanceType"), spot=i.get("InstanceLifecycle") == "spot")[0]
        for i in stopped
    )
    return StoppedCost(tuple(i["InstanceId"] for i in stopped), monthly, hourly)


def start_instances(ids: list[str], region: str, endpoint_url: str | None = None) -> None:
    """Start the instances and wait until every one runs."""
    if not ids:
        return
    ec2 = _ec2(region, endpoint_url)
    try:
        ec2.get_waiter("instance_stopped").wait(
            InstanceIds=ids, WaiterConfig=WAIT
        )  # a stopping one stops first
        ec2.start_instances(InstanceIds=ids)
        ec2.get_waiter("instance_running").wait(InstanceIds=ids, WaiterConfig=WAIT)
    except Exception as exc:
        if is_aws_failure(exc) or type(exc).__name__ == "WaiterError":
            raise DiagnosticError([failure_diagnostic(exc)]) from None
        raise


def stack_stopped_cost(
    outputs: Mapping[str, Any], region: str | None, env: Mapping[str, str]
) -> StoppedCost | None:
    """`stopped_cost` for `runctl status` (`env`: the local target's endpoint); None also when EC2
    cannot be read: status shows the stack without it rather than fail."""
    if region is None:
        return None
    try:
        return stopped_cost(outputs, region, env.get("AWS_ENDPOINT_URL"))
    except DiagnosticError:
        return None
