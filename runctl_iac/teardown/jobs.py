"""Is a job running on a stack? Read the launch layer's status files in the stack's staging bucket.

The launch layer (issue 10) writes one small JSON file per node, atomically, in the
bucket tagged `runctl:role=staging`: `runctl_iac.staging.status_key`, with `state` and
`heartbeat` (RFC 3339). A job counts as running when a node's state is one of
`ACTIVE_STATES` and its heartbeat is younger than `FRESH`: a node that died
stops beating, so a crashed job does not hold an expired environment forever.
Only the status files written close to the newest one are read (an object's
LastModified is at least its heartbeat, and a live job's nodes write together), so
old runs cost one listing, not one read each.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from runctl_iac import staging
from runctl_iac.teardown.model import ManagedResource, parse_time, rfc3339

ACTIVE_STATES = frozenset({"starting", "setup", "running"})
FRESH = dt.timedelta(minutes=5)
CLOCK_SKEW = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class RunningJob:
    bucket: str
    run_id: str
    rank: int
    state: str
    heartbeat: dt.datetime

    def describe(self, now: dt.datetime) -> str:
        seconds = int((now - self.heartbeat).total_seconds())
        return (
            f"job {self.run_id} is {self.state} (node {self.rank} heartbeat {rfc3339(self.heartbeat)},"
            f" {max(seconds, 0)} s ago)"
        )


def is_fresh(status: dict[str, Any], now: dt.datetime) -> bool:
    heartbeat = parse_time(status.get("heartbeat"))
    return (
        str(status.get("state", "")).lower() in ACTIVE_STATES
        and heartbeat is not None
        and now - heartbeat < FRESH
    )


def running_jobs(s3: Any, bucket: ManagedResource, now: dt.datetime) -> list[RunningJob]:
    """The nodes of `bucket` (a staging bucket) reporting an active state with a fresh heartbeat."""
    found: list[RunningJob] = []
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket.id, Prefix=staging.RUNS)
    listed = [
        (match, parse_time(obj.get("LastModified")), obj)
        for page in pages
        for obj in page.get("Contents", [])
        if (match := staging.STATUS_KEY.match(obj["Key"])) is not None
    ]
    stamps = [modified for _, modified, _ in listed if modified is not None]
    newest = max(stamps) if stamps else None
    for match, modified, obj in listed:
        if newest is not None and modified is not None and newest - modified > FRESH + CLOCK_SKEW:
            continue
        try:
            status = json.loads(s3.get_object(Bucket=bucket.id, Key=obj["Key"])["Body"].read())
        except ValueError:
            continue
        if isinstance(status, dict) and is_fresh(status, now):
            heartbeat = parse_time(status["heartbeat"])
            assert heartbeat is not None
            found.append(
                RunningJob(bucket.id, match["run_id"], int(match["rank"]), str(status["state"]), heartbeat)
            )
    return found
