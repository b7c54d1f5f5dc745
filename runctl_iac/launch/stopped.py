"""Instances of a stack that stopped themselves (autostop, the budget cap), started again by apply.

A node's `shutdown -h` with the instance's shutdown behaviour `stop` leaves the instance stopped:
its EBS volumes and root disk stay, it costs only their $/GB-month. `runctl apply` on that stack
must neither replace it (data loss) nor leave it down: it lists the stopped instances ("start 2
stopped instances") and, once confirmed, starts them and waits until they run.
"""

from __future__ import annotations

from collections.abc import Mapping
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


def stopped_instances(outputs: Mapping[str, Any], region: str, endpoint_url: str | None = None) -> list[str]:
    """The stack's instances that are stopped (or stopping), as instance ids in logical-id order."""
    ids = instance_ids(outputs)
    if not ids:
        return []
    try:
        # a filter, not InstanceIds: an id AWS no longer knows is simply not stopped (the engine sees to it)
        found = _ec2(region, endpoint_url).describe_instances(
            Filters=[{"Name": "instance-id", "Values": list(ids.values())}]
        )
    except Exception as exc:
        if is_aws_failure(exc):
            raise DiagnosticError([failure_diagnostic(exc)]) from None
        raise
    state = {i["InstanceId"]: i["State"]["Name"] for r in found["Reservations"] for i in r["Instances"]}
    return [iid for iid in ids.values() if state.get(iid) in STOPPED]


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
