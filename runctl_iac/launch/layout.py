"""Where a run lives in the staging bucket (the teardown layer reads the same keys).

    code/<sha256>.tar.gz                       uploaded training code, content-addressed
    runs/<run-id>/run.json                     the run: nodes, instance ids, when, by whom
    runs/<run-id>/node.sh                      the rendered node script (one for every node: rank as argument)
    runs/<run-id>/node-<rank>/status.json      state, exit_code, reason, started_at, ended_at,
                                               heartbeat, checkpoint {synced_at, bytes}
    runs/<run-id>/node-<rank>/log.txt          the job's stdout and stderr, uploaded every few seconds
    runs/<run-id>/node-<rank>/stop             present: `runctl stop-job` asked the node to stop

Run ids sort by time: `YYYYmmddTHHMMSSZ-xxxxxx` (UTC, then 6 random hex digits).
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

RUNS = "runs/"
RUN_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{6}$")


def new_run_id(now: datetime | None = None) -> str:
    return f"{(now or datetime.now(UTC)).strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def run_prefix(run_id: str) -> str:
    return f"{RUNS}{run_id}/"


def node_prefix(run_id: str, rank: int) -> str:
    return f"{run_prefix(run_id)}node-{rank}/"


def run_key(run_id: str) -> str:
    return f"{run_prefix(run_id)}run.json"


def script_key(run_id: str) -> str:
    return f"{run_prefix(run_id)}node.sh"


def status_key(run_id: str, rank: int) -> str:
    return f"{node_prefix(run_id, rank)}status.json"


def log_key(run_id: str, rank: int) -> str:
    return f"{node_prefix(run_id, rank)}log.txt"


def stop_key(run_id: str, rank: int) -> str:
    return f"{node_prefix(run_id, rank)}stop"


def code_key(digest: str) -> str:
    return f"code/{digest}.tar.gz"
