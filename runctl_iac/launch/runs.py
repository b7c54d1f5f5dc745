"""Runs as the nodes report them in the staging bucket: status, logs, stop requests, checkpoints."""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from runctl_iac import staging
from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity
from runctl_iac.launch.aws import error_code, is_aws_failure

FINAL = frozenset({"succeeded", "failed", "interrupted", "timed-out", "stopped", "budget-exceeded"})
STALE_AFTER = 120  # seconds without a heartbeat before a running node is flagged (W0812)


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


@dataclass(frozen=True)
class NodeStatus:
    rank: int
    state: str  # one of the node states, or "pending" when the node has not reported yet
    exit_code: int | None = None
    reason: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    heartbeat: datetime | None = None
    checkpoint_at: datetime | None = None
    checkpoint_bytes: int | None = None
    spent_usd: Decimal | None = None  # the node's own count of its spend (heartbeats), when it reports one
    spend_source: str | None = None  # "estimate" (the plan's $/hour) or "spot price" (read on the node)
    autostop: dict[str, Any] | None = None  # {action, reason, at, spent_usd} once the node stopped itself
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def final(self) -> bool:
        return self.state in FINAL

    def runtime_seconds(self, now: datetime) -> float | None:
        if self.started_at is None:
            return None
        return ((self.ended_at or now) - self.started_at).total_seconds()

    def heartbeat_age(self, now: datetime) -> float | None:
        return None if self.heartbeat is None else (now - self.heartbeat).total_seconds()

    def stale(self, now: datetime, after: float = STALE_AFTER) -> bool:
        age = self.heartbeat_age(now)
        return not self.final and age is not None and age > after

    @classmethod
    def from_json(cls, rank: int, doc: dict[str, Any]) -> NodeStatus:
        ckpt = doc.get("checkpoint") or {}
        code = doc.get("exit_code")
        found = doc.get("spend")
        spend: dict[str, Any] = found if isinstance(found, dict) else {}
        try:
            spent = Decimal(str(spend["usd"])) if "usd" in spend else None
        except ArithmeticError:
            spent = None
        autostop = doc.get("autostop")
        return cls(
            rank=rank,
            state=str(doc.get("state", "pending")),
            exit_code=code if isinstance(code, int) else None,
            reason=doc.get("reason"),
            started_at=parse_time(doc.get("started_at")),
            ended_at=parse_time(doc.get("ended_at")),
            heartbeat=parse_time(doc.get("heartbeat")),
            checkpoint_at=parse_time(ckpt.get("synced_at")),
            checkpoint_bytes=ckpt.get("bytes"),
            spent_usd=spent,
            spend_source=spend.get("source"),
            autostop=autostop if isinstance(autostop, dict) else None,
            raw=doc,
        )


def _get(s3: Any, bucket: str, key: str, **extra: Any) -> bytes | None:
    try:
        body: bytes = s3.get_object(Bucket=bucket, Key=key, **extra)["Body"].read()
        return body
    except Exception as exc:
        if error_code(exc) in ("NoSuchKey", "404", "NotFound", "InvalidRange"):
            return None
        raise


def list_runs(s3: Any, bucket: str) -> list[str]:
    """Run ids in the bucket, oldest first (run ids sort by time)."""
    runs: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=staging.RUNS, Delimiter="/"
    ):
        for p in page.get("CommonPrefixes", []):
            run = p["Prefix"][len(staging.RUNS) :].rstrip("/")
            if staging.RUN_ID.match(run):
                runs.append(run)
    return sorted(runs)


def resolve_run(s3: Any, bucket: str, run_id: str | None) -> str:
    """The named run, or the latest one; E0807 when there is none."""
    runs = list_runs(s3, bucket)
    if run_id is None and runs:
        return runs[-1]
    if run_id is not None and run_id in runs:
        return run_id
    hint = "start one with `runctl launch SPEC`" if not runs else f"runs: {', '.join(runs[-5:])}"
    what = f"run {run_id} not found" if run_id is not None else "no run has been launched on this stack"
    raise DiagnosticError([Diagnostic(Severity.ERROR, "E0807", what, path="training", hint=hint)])


def write_manifest(s3: Any, bucket: str, run_id: str, manifest: dict[str, Any]) -> None:
    body = json.dumps(manifest, sort_keys=True, indent=2).encode()
    s3.put_object(Bucket=bucket, Key=staging.run_key(run_id), Body=body, ContentType="application/json")


def read_manifest(s3: Any, bucket: str, run_id: str) -> dict[str, Any]:
    data = _get(s3, bucket, staging.run_key(run_id))
    doc = json.loads(data) if data else {}
    return doc if isinstance(doc, dict) else {}


def read_status(s3: Any, bucket: str, run_id: str, rank: int) -> NodeStatus:
    data = _get(s3, bucket, staging.status_key(run_id, rank))
    if data is None:
        return NodeStatus(rank, "pending")
    try:
        doc = json.loads(data)
    except ValueError:
        return NodeStatus(rank, "pending", reason="status.json is not readable JSON")
    return NodeStatus.from_json(rank, doc if isinstance(doc, dict) else {})


def read_statuses(s3: Any, bucket: str, run_id: str, nodes: int) -> list[NodeStatus]:
    """Every node's status: one listing finds the nodes that reported, their files are read concurrently."""
    if nodes <= 1:
        return [read_status(s3, bucket, run_id, r) for r in range(nodes)]
    reported: set[str] = set()
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=staging.run_prefix(run_id)
    ):
        reported.update(obj["Key"] for obj in page.get("Contents", []))

    def one(rank: int) -> NodeStatus:
        if staging.status_key(run_id, rank) not in reported:
            return NodeStatus(rank, "pending")
        return read_status(s3, bucket, run_id, rank)

    with ThreadPoolExecutor(max_workers=min(32, nodes)) as pool:
        return list(pool.map(one, range(nodes)))


def read_log(s3: Any, bucket: str, run_id: str, rank: int, offset: int = 0) -> bytes:
    """The node's log from byte `offset` on (empty when there is nothing new)."""
    extra = {"Range": f"bytes={offset}-"} if offset else {}
    return _get(s3, bucket, staging.log_key(run_id, rank), **extra) or b""


def log_tail(s3: Any, bucket: str, run_id: str, rank: int, lines: int = 20) -> list[str]:
    text = read_log(s3, bucket, run_id, rank).decode("utf-8", "replace")
    return text.splitlines()[-lines:]


def request_stop(s3: Any, bucket: str, run_id: str, ranks: Sequence[int]) -> None:
    """Ask each node to stop: the node checks for this object at every heartbeat."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    for rank in ranks:
        s3.put_object(Bucket=bucket, Key=staging.stop_key(run_id, rank), Body=stamp)


@dataclass(frozen=True)
class CheckpointObject:
    key: str
    size: int
    modified: datetime


def list_checkpoints(s3: Any, bucket: str, prefix: str) -> list[CheckpointObject]:
    out = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            modified = obj["LastModified"]
            if modified.tzinfo is None:
                modified = modified.replace(tzinfo=UTC)
            out.append(CheckpointObject(obj["Key"], int(obj["Size"]), modified))
    return sorted(out, key=lambda o: o.key)


@dataclass(frozen=True)
class RunSpend:
    """The latest run of a stack as its nodes count it: $ spent (heartbeats) and who stopped itself."""

    run_id: str
    spent_usd: Decimal | None  # None: some node reports no spend
    autostopped: tuple[int, ...]  # ranks whose last status says `autostop`

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "spent_usd": None if self.spent_usd is None else str(self.spent_usd.quantize(Decimal("0.01"))),
            "autostopped_nodes": list(self.autostopped),
        }


def latest_run_spend(s3: Any, bucket: str) -> RunSpend | None:
    """The stack's latest run's spend from its nodes' heartbeats (None: no run yet)."""
    found = list_runs(s3, bucket)
    if not found:
        return None
    run_id = found[-1]
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=staging.run_prefix(run_id), Delimiter="/")
    nodes = sum(
        1
        for p in listed.get("CommonPrefixes", [])
        if p["Prefix"].rstrip("/").rsplit("/", 1)[-1].startswith("node-")
    )
    if nodes < 1:
        return None
    statuses = read_statuses(s3, bucket, run_id, nodes)
    spends = [s.spent_usd for s in statuses]
    total = None if any(x is None for x in spends) else sum((x for x in spends if x is not None), Decimal(0))
    return RunSpend(run_id, total, tuple(s.rank for s in statuses if s.autostop))


def stack_run_spend(outputs: dict[str, Any], env: dict[str, str]) -> RunSpend | None:
    """`latest_run_spend` for an applied stack (its `_staging` bucket; `env`: the local target's
    endpoint and fake credentials). None: no staging bucket, no run, or AWS could not be read."""
    bucket = (outputs.get("buckets") or {}).get("_staging")
    if not isinstance(bucket, str):
        return None
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=env.get("AWS_ENDPOINT_URL"),
        aws_access_key_id=env.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY"),
        aws_session_token=env.get("AWS_SESSION_TOKEN"),
    )
    try:
        return latest_run_spend(s3, bucket)
    except Exception as exc:
        if is_aws_failure(exc):
            return None
        raise
