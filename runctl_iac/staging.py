"""Where a run lives in the staging bucket: the one definition of its keys, read by the launch layer
(which writes runs and reads status and logs), the node script renderer (the node writes its status,
log and reads its stop request at these keys) and the teardown layer (is a job running?).

    code/<sha256>.tar.gz                       uploaded training code, content-addressed
    runs/<run-id>/run.json                     the run: nodes, instance ids, when, by whom
    runs/<run-id>/node.sh                      the rendered node script (one for every node: rank as argument)
    runs/<run-id>/node-<rank>/status.json      state, exit_code, reason, started_at, ended_at,
                                               heartbeat, checkpoint {synced_at, bytes}
    runs/<run-id>/node-<rank>/log.txt          the job's stdout and stderr, uploaded every few seconds
    runs/<run-id>/node-<rank>/stop             present: `runctl stop-job` asked the node to stop
    runs/<run-id>/autostop.json                rank 0's autostop decision for the run (action, reason)
    runs/<run-id>/watch-lease.json             `runctl watch`'s recovery lease (owner, expires_at)
    pods/<group>/launch.json                   a RunPod group's launch request (run_id, restart, script and
                                               status keys): the pod's bootstrap polls it and starts the run

Run ids sort by time: `YYYYmmddTHHMMSSZ-xxxxxx` (UTC, then 6 random hex digits).
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

RUNS = "runs/"
CODE = "code/"
PODS = "pods/"
NODE_DIR = "node-{rank}/"
STATUS_FILE = "status.json"
LOG_FILE = "log.txt"
STOP_FILE = "stop"
AUTOSTOP_FILE = "autostop.json"
LEASE_FILE = "watch-lease.json"
RUN_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{6}$")
STATUS_KEY = re.compile(
    rf"^{re.escape(RUNS)}(?P<run_id>[^/]+)/node-(?P<rank>\d+)/{re.escape(STATUS_FILE)}$"
)  # matches status_key(run_id, rank)


def new_run_id(now: datetime | None = None) -> str:
    return f"{(now or datetime.now(UTC)).strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def run_prefix(run_id: str) -> str:
    return f"{RUNS}{run_id}/"


def node_prefix(run_id: str, rank: int) -> str:
    return run_prefix(run_id) + NODE_DIR.format(rank=rank)


def run_key(run_id: str) -> str:
    return f"{run_prefix(run_id)}run.json"


def script_key(run_id: str) -> str:
    return f"{run_prefix(run_id)}node.sh"


def status_key(run_id: str, rank: int) -> str:
    return node_prefix(run_id, rank) + STATUS_FILE


def log_key(run_id: str, rank: int) -> str:
    return node_prefix(run_id, rank) + LOG_FILE


def stop_key(run_id: str, rank: int) -> str:
    return node_prefix(run_id, rank) + STOP_FILE


def autostop_key(run_id: str) -> str:
    return run_prefix(run_id) + AUTOSTOP_FILE


def lease_key(run_id: str) -> str:
    return run_prefix(run_id) + LEASE_FILE


def code_key(digest: str) -> str:
    return f"{CODE}{digest}.tar.gz"


def launch_request_key(group: str) -> str:
    return f"{PODS}{group}/launch.json"
