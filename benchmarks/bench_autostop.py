"""The node supervisor's overhead (target: at most 1 % of one core on average over 10 minutes).

The rendered node script runs for real under bash on a pretend node (tests/launch/nodehost.py: moto
in its own process, the fake IMDS, a stub nvidia-smi) in its two phases:

- job: a job that sleeps runs under the supervisor: spot-notice polls every tick, the heartbeat
  (stop request, GPU sample, status upload, the budget check: rank 0's decision and its read-back),
  log uploads;
- idle: the job is over and the supervisor watches for autostop (GPU sample, status upload,
  decision, read-back) with an idle window that never ends.

Ten minutes are scaled down ten times: every interval is a tenth of its default (tick 0.5 s, log
upload 1 s, idle heartbeat 6 s; the job's heartbeat is 1 s rather than 1.5 s because that loop counts
whole seconds, which overstates the figure), so WALL seconds of wall time do the work of at least
10 x WALL seconds at the real cadence. The figure is the supervisor's CPU time (its own and its
reaped children's: curl, aws, date, sed, the stub nvidia-smi; never the job's) over those 10 x WALL
seconds: the share of one core it would use at the real cadence.

Usage: python benchmarks/bench_autostop.py [--wall SECONDS]   (default 60: ten minutes per phase)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGET = 0.01
SCALE = 10
TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return (utime + stime + cutime + cstime) / TICKS


def _wait_for(path: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"{path} never appeared")
        time.sleep(0.2)


def _phase(name: str, run: str, wall: float, endpoint: str, imds_url: str, tmp: Path) -> float:
    import boto3

    from runctl_iac import staging as layout
    from runctl_iac.launch.script import Runtime, render_script
    from tests.launch import nodehost
    from tests.launch.plans import compiled, full_training, spec

    _graph, plan = compiled(spec(training=full_training(setup=None, run=run)))
    bucket = f"bench-{uuid.uuid4().hex[:8]}"
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint)
    s3.create_bucket(Bucket=bucket)
    plan = replace(
        plan, checkpoint_dir=None, checkpoint_bucket=None, secret_parameters={}, max_run_usd="1000000"
    )
    run_id = layout.new_run_id()
    script = render_script(
        plan,
        0,
        project="demo",
        stack="dev",
        region="us-east-1",
        runtime=Runtime(run_id, bucket, ("10.0.0.1",)),
    )
    root = tmp / name
    env = nodehost.node_env(
        root,
        endpoint,
        imds_url,
        RUNCTL_TICK_SECONDS=str(5 / SCALE),
        RUNCTL_HEARTBEAT_SECONDS="1",  # whole seconds (see above)
        RUNCTL_LOG_SECONDS=str(10 // SCALE),
        RUNCTL_IDLE_HEARTBEAT_SECONDS=str(60 / SCALE),
    )
    state = root / "var" / "lib" / "runctl" / "demo-dev"
    nodehost.start(script, root, env)
    pid_file = state / ("supervisor.pid" if name == "job" else "watcher.pid")
    _wait_for(pid_file)
    pid = int(pid_file.read_text())
    start_cpu, start = _cpu_seconds(pid), time.monotonic()
    time.sleep(wall)  # a benchmark measures over wall time; no test waits like this
    used, elapsed = _cpu_seconds(pid) - start_cpu, time.monotonic() - start
    nodehost.kill_leftovers(root)
    share = used / (elapsed * SCALE)
    log = s3.get_object(Bucket=bucket, Key=layout.log_key(run_id, 0))["Body"].read().decode()
    lean = "" if "AWS CLI carries" not in log else "  [S3 through the AWS CLI]"
    minutes = elapsed * SCALE / 60
    print(
        f"{name:4}  cpu {used:6.2f} s over {elapsed:5.1f} s wall ({minutes:4.1f} min at the real cadence): "
        f"{share:.3%} of one core (target {TARGET:.0%}){lean}"
    )
    return share


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wall", type=float, default=60.0, help="wall seconds per phase (default 60)")
    args = parser.parse_args()
    from tests.launch import nodehost

    port_probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    port = int(port_probe.stdout)
    moto = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    endpoint = f"http://127.0.0.1:{port}"
    try:
        import boto3

        deadline = time.monotonic() + 30
        while True:
            try:
                boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint).list_buckets()
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        with tempfile.TemporaryDirectory() as tmp, nodehost.fake_imds() as imds:
            _phase("job", "sleep 100000", args.wall, endpoint, imds.url, Path(tmp))
            _phase("idle", "true", args.wall, endpoint, imds.url, Path(tmp))
    finally:
        moto.terminate()
        moto.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
