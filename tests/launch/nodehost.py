"""A pretend node for running the rendered script for real under bash.

- AWS: the suite's moto server, reached by the AWS CLI from the dev lock (`.venv/bin/aws`) through
  `AWS_ENDPOINT_URL`;
- instance metadata: `FakeImds`, an HTTP server on 127.0.0.1 that answers the IMDSv2 token PUT and
  `spot/instance-action` (404 until a notice is posted for a path prefix, like a real on-demand node);
- GPUs: a stub `nvidia-smi` that lists `STUB_GPUS` GPUs (fails when `STUB_GPUS` is `broken`) and
  reports their utilisation from the file `gpu-util` under the node's root (0 without it);
- power: a stub `shutdown` that appends its arguments to `shutdown-calls` under the node's root;
- mounts and systemd: off through the script's test switches (`RUNCTL_TEST_NO_MOUNT`,
  `RUNCTL_TEST_NO_SYSTEMD`), every local path under `RUNCTL_ROOT`, short intervals.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3

from runctl_iac import staging
from runctl_iac.compiler.graph import LaunchPlan
from runctl_iac.launch import code

VENV_BIN = Path(sys.executable).parent
TOKEN = "imds-token-for-tests"

NVIDIA_SMI = """#!/usr/bin/env bash
if [ "${STUB_GPUS:-1}" = broken ]; then echo "NVIDIA-SMI has failed: driver not loaded" >&2; exit 9; fi
case "$*" in
  *utilization.gpu*)
    # the utilisation in percent: from the file $RUNCTL_ROOT/gpu-util (a test changes it), else 0
    util=$(cat "$RUNCTL_ROOT/gpu-util" 2>/dev/null || echo 0)
    for _ in $(seq 1 "${STUB_GPUS:-1}"); do echo "$util"; done
    ;;
  *) for _ in $(seq 1 "${STUB_GPUS:-1}"); do echo "NVIDIA A10G"; done ;;
esac
"""

# records every call; the real one would power the node off
SHUTDOWN = """#!/usr/bin/env bash
echo "$*" >> "$RUNCTL_ROOT/shutdown-calls"
"""


class FakeImds:
    """IMDSv2 on 127.0.0.1; `notice(prefix)` makes `<prefix>/latest/meta-data/spot/instance-action` answer."""

    def __init__(self) -> None:
        self.noticed: set[str] = set()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, code: int, body: str = "") -> None:
                data = body.encode()
                self.send_response(code)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_PUT(self) -> None:
                if self.path.endswith("/latest/api/token") and self.headers.get(
                    "X-aws-ec2-metadata-token-ttl-seconds"
                ):
                    self._send(200, TOKEN)
                else:
                    self._send(400)

            def do_GET(self) -> None:
                if self.headers.get("X-aws-ec2-metadata-token") != TOKEN:
                    self._send(401)
                    return
                prefix, _, rest = self.path.partition("/latest/")
                if rest == "meta-data/spot/instance-action" and prefix in outer.noticed:
                    self._send(200, json.dumps({"action": "terminate", "time": "2026-01-01T00:02:00Z"}))
                elif rest == "meta-data/placement/availability-zone":
                    self._send(200, "us-east-1a")
                else:
                    self._send(404)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def notice(self, prefix: str) -> None:
        self.noticed.add(prefix)


@contextmanager
def fake_imds() -> Iterator[FakeImds]:
    imds = FakeImds()
    imds.thread.start()
    try:
        yield imds
    finally:
        imds.server.shutdown()
        imds.server.server_close()


def node_env(root: Path, endpoint: str, imds_url: str, **extra: str) -> dict[str, str]:
    bindir = root / "stub-bin"
    bindir.mkdir(parents=True, exist_ok=True)
    for name, text in (("nvidia-smi", NVIDIA_SMI), ("shutdown", SHUTDOWN)):
        stub = bindir / name
        stub.write_text(text)
        stub.chmod(0o755)
    env = {
        "PATH": f"{bindir}:{VENV_BIN}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(root),
        "LANG": "C.UTF-8",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(root / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(root / "no-credentials"),
        "RUNCTL_ROOT": str(root),
        "RUNCTL_TEST_NO_MOUNT": "1",
        "RUNCTL_TEST_NO_SYSTEMD": "1",
        "RUNCTL_IMDS_URL": imds_url,
        "RUNCTL_TICK_SECONDS": "0.3",
        "RUNCTL_HEARTBEAT_SECONDS": "60",
        "RUNCTL_LOG_SECONDS": "60",
        "RUNCTL_KILL_AFTER_SECONDS": "3",
        "RUNCTL_MIN_FREE_MB": "1",
        "RUNCTL_FRAMEWORK_VENV": str(root / "opt" / "pytorch"),
        "STUB_GPUS": "1",
    }
    env.update(extra)
    return env


def start(
    script: str, root: Path, env: dict[str, str], name: str = "node.sh", rank: int | None = None
) -> Path:
    """Run `bash node.sh start [RANK]` as SSM would; returns the script path. It must return at once."""
    path = root / name
    path.write_text(script)
    t0 = time.monotonic()
    args = ["bash", str(path), "start", *([str(rank)] if rank is not None else [])]
    out = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert time.monotonic() - t0 < 30, "start must return without waiting for the job"
    return path


FINAL = {"succeeded", "failed", "interrupted", "timed-out", "stopped", "budget-exceeded"}


def status_path(root: Path, state_name: str, run_id: str) -> Path:
    return root / "var" / "lib" / "runctl" / state_name / "runs" / run_id / "status.json"


def wait_final(path: Path, timeout: float = 150) -> dict[str, Any]:
    """Poll the node's local status file until a final state (the S3 copy is written just before)."""
    deadline = time.monotonic() + timeout
    doc: dict[str, Any] = {}
    while time.monotonic() < deadline:
        if path.exists():
            try:
                doc = json.loads(path.read_text())
            except ValueError:
                doc = {}
            # the supervisor removes its pid file after the last upload
            if doc.get("state") in FINAL and not (path.parents[2] / "supervisor.pid").exists():
                return doc
        time.sleep(0.2)
    raise AssertionError(f"no final state in {path} after {timeout}s: {doc}")


def kill_leftovers(root: Path) -> None:
    """End supervisors a failed test left running (found by their pid file under this root only)."""
    for name in ("supervisor.pid", "watcher.pid"):
        for pid_file in root.glob(f"var/lib/runctl/*/{name}"):
            with suppress(ValueError, OSError):
                os.kill(int(pid_file.read_text()), 15)


class Aws:
    def __init__(self, endpoint: str) -> None:
        self.s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint)
        self.ssm = boto3.client("ssm", region_name="us-east-1", endpoint_url=endpoint)

    def text(self, bucket: str, key: str) -> str:
        body: bytes = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        return body.decode()

    def status(self, bucket: str, run_id: str, rank: int) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads(self.text(bucket, staging.status_key(run_id, rank)))
        return doc


def stage(endpoint: str, plan: LaunchPlan, tmp_path: Path, secret: str) -> tuple[Aws, str, LaunchPlan, str]:
    """Buckets and the secret parameters (value `secret`) in moto, the code uploaded; returns (aws,
    bucket, plan, code uri)."""
    aws = Aws(endpoint)
    suffix = uuid.uuid4().hex[:8]
    bucket, ckpt = f"stage-{suffix}", f"ckpt-{suffix}"
    for b in (bucket, ckpt):
        aws.s3.create_bucket(Bucket=b)
    for parameter in plan.secret_parameters.values():
        aws.ssm.put_parameter(Name=parameter, Value=secret, Type="SecureString", Overwrite=True)
    src = tmp_path / "src"
    src.mkdir()
    (src / "hello.txt").write_text("code-v1")
    packed = code.pack(src)
    code.upload(aws.s3, bucket, staging.code_key(packed.digest), packed)
    return (
        aws,
        bucket,
        # autostop off: these nodes end with the job (test_node_autostop.py covers what follows it)
        replace(plan, checkpoint_bucket=ckpt, autostop_idle_seconds=None),
        f"s3://{bucket}/{staging.code_key(packed.digest)}",
    )
