"""SSM Run Command: wait for the agents, one command per node, concurrently; the command only starts the job.

`ssm` is a boto3 SSM client (or a stand-in with the same methods): retries of
throttled or failed calls are botocore's adaptive mode. Two waits are polls
with a deadline, because AWS offers no waiter for them that fits:

- agents online: `DescribeInstanceInformation` filtered by exactly this
  stack's instance ids, until each reports `PingStatus: Online`;
- one invocation: `GetCommandInvocation` until a final status. Right after
  `SendCommand` the invocation may not exist yet (`InvocationDoesNotExist`):
  that is retried for `INVOCATION_GRACE` seconds, as AWS documents.
  `Pending`, `InProgress` and `Delayed` keep waiting.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity
from runctl_iac.launch.aws import error_code

DOCUMENT = "AWS-RunShellScript"
ONLINE_TIMEOUT = 600.0
INVOCATION_TIMEOUT = 300.0
INVOCATION_GRACE = 30.0
WAITING = {"Pending", "InProgress", "Delayed"}

Sleep = Callable[[float], None]


@dataclass(frozen=True)
class Target:
    rank: int
    instance_id: str
    command: str


@dataclass(frozen=True)
class Invocation:
    rank: int
    instance_id: str
    command_id: str
    status: str
    output: str = ""


def _backoff(attempt: int, base: float, cap: float) -> float:
    return min(cap, base * 2**attempt) * (0.5 + random.random() / 2)


def wait_online(
    ssm: Any,
    instance_ids: Sequence[str],
    *,
    timeout: float = ONLINE_TIMEOUT,
    poll: float = 2.0,
    sleep: Sleep = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Return when every instance's SSM agent is online; E0804 naming the others after `timeout`."""
    pending = set(instance_ids)
    deadline = clock() + timeout
    attempt = 0
    while pending:
        for i in range(0, len(instance_ids), 50):  # the InstanceIds filter takes at most 50 values
            chunk = [x for x in instance_ids[i : i + 50] if x in pending]
            if not chunk:
                continue
            token: str | None = None
            while True:
                kwargs: dict[str, Any] = {"Filters": [{"Key": "InstanceIds", "Values": chunk}]}
                if token:
                    kwargs["NextToken"] = token
                page = ssm.describe_instance_information(**kwargs)
                for info in page.get("InstanceInformationList", []):
                    if info.get("PingStatus") == "Online":
                        pending.discard(info.get("InstanceId"))
                token = page.get("NextToken")
                if not token:
                    break
        if not pending:
            return
        if clock() >= deadline:
            raise DiagnosticError(
                [
                    Diagnostic(
                        Severity.ERROR,
                        "E0804",
                        f"SSM agent not online after {timeout:.0f}s on {', '.join(sorted(pending))}",
                        path="training.group",
                        hint="the instance profile needs AmazonSSMManagedInstanceCore (runctl attaches it) "
                        "and the node needs outbound HTTPS to the SSM endpoints (a NAT gateway or VPC "
                        "endpoints in a private subnet); check the instance's system log, then launch again",
                    )
                ]
            )
        sleep(_backoff(attempt, poll, 15.0))
        attempt += 1


def send(ssm: Any, target: Target, comment: str, timeout_seconds: int = 600) -> str:
    """One command for one instance (never an InstanceIds list of other instances); its command id."""
    response = ssm.send_command(
        InstanceIds=[target.instance_id],
        DocumentName=DOCUMENT,
        Comment=comment[:100],
        TimeoutSeconds=timeout_seconds,
        Parameters={"commands": [target.command]},
    )
    return str(response["Command"]["CommandId"])


def wait_invocation(
    ssm: Any,
    command_id: str,
    target: Target,
    *,
    timeout: float = INVOCATION_TIMEOUT,
    poll: float = 1.0,
    sleep: Sleep = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Invocation:
    start = clock()
    attempt = 0
    status = "Pending"
    while True:
        try:
            inv = ssm.get_command_invocation(CommandId=command_id, InstanceId=target.instance_id)
        except Exception as exc:
            if error_code(exc) != "InvocationDoesNotExist" or clock() - start > INVOCATION_GRACE:
                raise
        else:
            status = str(inv.get("Status", "Pending"))
            if status not in WAITING:
                output = str(inv.get("StandardErrorContent") or inv.get("StandardOutputContent") or "")
                return Invocation(target.rank, target.instance_id, command_id, status, output.strip())
        if clock() - start > timeout:
            return Invocation(target.rank, target.instance_id, command_id, f"{status} (gave up waiting)")
        sleep(_backoff(attempt, poll, 10.0))
        attempt += 1


def run_everywhere(
    ssm: Any,
    targets: Sequence[Target],
    comment: str,
    *,
    poll: float = 1.0,
    sleep: Sleep = time.sleep,
) -> list[Invocation]:
    """Send and wait for every node at once (one thread per node, up to 64); results in rank order."""

    def one(target: Target) -> Invocation:
        command_id = send(ssm, target, f"{comment} node {target.rank}")
        return wait_invocation(ssm, command_id, target, poll=poll, sleep=sleep)

    with ThreadPoolExecutor(max_workers=max(1, min(64, len(targets)))) as pool:
        return list(pool.map(one, targets))


def failed(invocations: Sequence[Invocation]) -> list[Diagnostic]:
    """E0805 for every node whose start command did not succeed."""
    return [
        Diagnostic(
            Severity.ERROR,
            "E0805",
            f"node {inv.rank} ({inv.instance_id}): the start command ended {inv.status}"
            + (f": {inv.output.splitlines()[-1]}" if inv.output else ""),
            path="training",
            hint=f"see `aws ssm get-command-invocation --command-id {inv.command_id} "
            f"--instance-id {inv.instance_id}`; the node needs the AWS CLI and access to the staging bucket",
        )
        for inv in invocations
        if inv.status != "Success"
    ]
