"""`runctl watch`: bring a run back after a spot interruption or a lost node.

One tick reads the latest run's manifest and every node's `status.json` from the staging bucket and
the nodes' instances from EC2 (DescribeInstances), then decides (`assess`):

- every node succeeded: done (`succeeded`);
- a node failed with a non-zero exit code: done (`failed`); a bug is not retried unless
  `retry_on_failure`;
- a node was stopped on purpose (`runctl stop-job`, the budget cap: `budget-exceeded`) or stopped
  itself (autostop): done (`stopped`); its instance going away is not an interruption;
- a node is `interrupted` (the node script saw the spot notice, synced its checkpoint and stopped) or
  its instance is gone (terminated, stopped, missing): recover, unless the run already restarted
  `max_restarts` times (`max-restarts`) or the environment's ttl has passed (`expired`);
- else: `running`.

Recovery takes a lease object in the staging bucket (`runs/<run>/watch-lease.json`) so two watchers
on one stack never both re-apply (the engine's stack lock backs it up), records the interruption in
the run manifest (`history`: when, which nodes, time lost since the last checkpoint and its $),
re-applies the stack (the missing instance comes back, on the next capacity candidate when the
first has none: `engine.failover`), and relaunches the run with the same run id and restart number
N + 1, so the nodes restore the checkpoint and report `restart` in their status.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from runctl_iac import staging
from runctl_iac.launch import runs
from runctl_iac.launch.aws import error_code
from runctl_iac.launch.runs import NodeStatus

Verdict = Literal[
    "running", "succeeded", "failed", "stopped", "interrupted", "recovered", "max-restarts", "expired"
]
GONE = frozenset({"shutting-down", "terminated", "stopping", "stopped", None})
FAILED = frozenset({"failed", "timed-out"})
ON_PURPOSE = frozenset({"stopped", "budget-exceeded"})  # stop-job, or the run's budget cap (autostop)
EXPIRES_TAG = "runctl:expires-at"  # engine.workspace.EXPIRES_TAG (launch does not import the engine)

# exit codes of `runctl watch`, so CI can tell the outcomes apart
EXIT = {
    "succeeded": 0,
    "failed": 1,
    "stopped": 1,
    "running": 0,
    "recovered": 0,
    "max-restarts": 3,
    "expired": 4,
}


@dataclass(frozen=True)
class Assessment:
    verdict: Verdict
    lost: tuple[int, ...] = ()  # ranks to bring back
    detail: str = ""


def assess(
    statuses: Sequence[NodeStatus],
    instance_states: Mapping[int, str | None],
    *,
    retry_on_failure: bool = False,
) -> Assessment:
    """What one tick sees (pure: unit-tested without AWS)."""
    if statuses and all(s.state == "succeeded" for s in statuses):
        return Assessment("succeeded", detail="every node succeeded")
    failed = [s for s in statuses if s.state in FAILED]
    if failed and not retry_on_failure:
        s = failed[0]
        code = f" with exit code {s.exit_code}" if s.exit_code is not None else ""
        return Assessment("failed", detail=f"node {s.rank} {s.state}{code}: a bug is not retried")
    stopped = [s for s in statuses if s.state in ON_PURPOSE or s.autostop]
    if stopped:
        s = stopped[0]
        why = f" ({s.autostop.get('reason')})" if s.autostop else ""
        return Assessment(
            "stopped", detail=f"node {s.rank} {s.state}{why}: stopped on purpose, not relaunched"
        )
    lost = [
        s.rank
        for s in statuses
        if s.state == "interrupted"
        or (s.state in FAILED and retry_on_failure)
        or (s.state != "succeeded" and instance_states.get(s.rank, None) in GONE)
    ]
    if lost:
        return Assessment("interrupted", tuple(lost), "node(s) " + ", ".join(map(str, lost)) + " lost")
    return Assessment("running", detail="no node lost")


def lost_seconds(statuses: Sequence[NodeStatus], lost: Sequence[int], now: datetime) -> float:
    """Work lost: from each lost node's last checkpoint (else its start) to now; the worst node."""
    worst = 0.0
    for s in statuses:
        if s.rank not in lost:
            continue
        since = s.checkpoint_at or s.started_at
        if since is not None:
            worst = max(worst, (now - since).total_seconds())
    return worst


def acquire_lease(s3: Any, bucket: str, run_id: str, owner: str, now: datetime, seconds: int) -> str | None:
    """Take the recovery lease; None when taken, else who holds it (another watcher, not expired)."""
    key = staging.lease_key(run_id)
    try:
        held = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except Exception as exc:
        if error_code(exc) not in ("NoSuchKey", "404"):
            raise
        held = None  # nobody holds it
    if held and held.get("owner") != owner:
        until = runs.parse_time(held.get("expires_at"))
        if until is not None and until > now:
            return f"{held.get('owner')} until {held.get('expires_at')}"
    expires = (now + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = json.dumps({"owner": owner, "expires_at": expires}).encode()
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
    return None


def release_lease(s3: Any, bucket: str, run_id: str) -> None:
    s3.delete_object(Bucket=bucket, Key=staging.lease_key(run_id))


@dataclass(frozen=True)
class Tick:
    verdict: Verdict
    run_id: str
    restarts: int
    detail: str


@dataclass
class Watcher:
    """One stack's watch: AWS clients, the staging bucket, and the re-apply and relaunch steps."""

    s3: Any
    ec2: Any
    bucket: str
    owner: str
    reapply: Callable[[], Mapping[str, Any]]  # re-apply the stack; returns its outputs
    relaunch: Callable[[Mapping[str, Any], str, int], None]  # outputs, run id, restart number
    max_restarts: int = 3
    retry_on_failure: bool = False
    lease_seconds: int = 1800
    node_hourly: Decimal | None = None  # $/hour of one node, for the $ an interruption cost
    expires_at: datetime | None = None
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def instance_states(self, nodes: Sequence[Mapping[str, Any]]) -> dict[int, str | None]:
        ids = {str(n["instance_id"]): int(n["rank"]) for n in nodes if n.get("instance_id")}
        states: dict[int, str | None] = {rank: None for rank in ids.values()}
        if not ids:
            return states
        pages = self.ec2.get_paginator("describe_instances").paginate(
            Filters=[{"Name": "instance-id", "Values": sorted(ids)}]
        )
        for page in pages:
            for reservation in page.get("Reservations", []):
                for inst in reservation.get("Instances", []):
                    states[ids[inst["InstanceId"]]] = inst.get("State", {}).get("Name")
                    tags = {t["Key"]: t["Value"] for t in inst.get("Tags", [])}
                    expires = runs.parse_time(tags.get(EXPIRES_TAG))
                    if expires is not None and self.expires_at is None:
                        self.expires_at = expires  # the environment's ttl, as apply tagged it
        return states

    def tick(self) -> Tick:
        run_id = runs.resolve_run(self.s3, self.bucket, None)
        manifest = runs.read_manifest(self.s3, self.bucket, run_id)
        nodes = manifest.get("nodes", [])
        restarts = int(manifest.get("restarts", 0))
        statuses = runs.read_statuses(self.s3, self.bucket, run_id, len(nodes))
        seen = assess(statuses, self.instance_states(nodes), retry_on_failure=self.retry_on_failure)
        now = self.now()
        if seen.verdict != "interrupted":
            return Tick(seen.verdict, run_id, restarts, seen.detail)
        if self.expires_at is not None and now >= self.expires_at:
            return Tick("expired", run_id, restarts, f"{seen.detail}; the environment's ttl has passed")
        if restarts >= self.max_restarts:
            return Tick("max-restarts", run_id, restarts, f"{seen.detail}; {restarts} restart(s) already")
        holder = acquire_lease(self.s3, self.bucket, run_id, self.owner, now, self.lease_seconds)
        if holder is not None:
            return Tick("running", run_id, restarts, f"{seen.detail}; another watcher recovers it ({holder})")
        try:
            self._record(manifest, run_id, statuses, seen.lost, now)
            outputs = self.reapply()
            self.relaunch(outputs, run_id, restarts + 1)
        finally:
            release_lease(self.s3, self.bucket, run_id)
        return Tick("recovered", run_id, restarts + 1, f"{seen.detail}; relaunched as restart {restarts + 1}")

    def _record(
        self,
        manifest: dict[str, Any],
        run_id: str,
        statuses: Sequence[NodeStatus],
        lost: Sequence[int],
        now: datetime,
    ) -> None:
        seconds = lost_seconds(statuses, lost, now)
        usd = None
        if self.node_hourly is not None:
            usd = str(
                (self.node_hourly * len(statuses) * Decimal(int(seconds)) / 3600).quantize(Decimal("0.01"))
            )
        entry = {"at": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "nodes": list(lost), "lost_seconds": int(seconds)}
        entry["lost_usd"] = usd
        runs.write_manifest(
            self.s3, self.bucket, run_id, {**manifest, "history": [*manifest.get("history", []), entry]}
        )


def interruption_summary(manifest: Mapping[str, Any]) -> str | None:
    """`restarts: 2 · time lost 14m · ~$3.10 · on g6e.12xlarge` for `runctl job` (None: no restart)."""
    history = manifest.get("history") or []
    restarts = int(manifest.get("restarts", 0))
    if not restarts and not history:
        return None
    seconds = sum(int(h.get("lost_seconds", 0)) for h in history)
    usd = [Decimal(h["lost_usd"]) for h in history if h.get("lost_usd") is not None]
    parts = [f"restarts: {restarts}", f"time lost to interruptions: {seconds // 60}m{seconds % 60:02d}s"]
    if usd:
        parts.append(f"~${sum(usd, Decimal(0)):.2f}")
    if manifest.get("instance_type"):
        parts.append(f"on {manifest['instance_type']}")
    return " · ".join(parts)
