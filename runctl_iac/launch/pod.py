"""A run in a RunPod pod: RunPod has no SSM, so runctl hands the pod a launch request instead.

The pod's start command (compiler/pod_bootstrap.sh) polls `staging.launch_request_key(group)` in the
staging bucket. `request_launch` writes the request after the run's node script is staged; the pod
then fetches that script and starts it as rank 0, like the SSM command on an EC2 node. The script is
node.sh with pod.sh (`script.render_script`: no IMDS, systemd, EBS or shutdown in a pod); status,
logs and stop requests use the bucket's usual keys, so `runctl job`, `logs` and `stop-job` read a pod's
run as any other.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from runctl_iac import staging

MASTER = "127.0.0.1"  # a pod is a single node: it is its own master


def launch_request(run_id: str, restart: int) -> dict[str, Any]:
    return {
        "version": 1,
        "run_id": run_id,
        "restart": restart,
        "script_key": staging.script_key(run_id),
        "status_key": staging.status_key(run_id, 0),
        "requested_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def request_launch(s3: Any, bucket: str, group: str, run_id: str, restart: int = 0) -> str:
    """Write the group's launch request (one line of JSON, as the bootstrap reads it); returns its key."""
    key = staging.launch_request_key(group)
    body = json.dumps(launch_request(run_id, restart)) + "\n"
    s3.put_object(Bucket=bucket, Key=key, Body=body.encode(), ContentType="application/json")
    return key
