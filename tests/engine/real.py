"""Running a Graph through the real Pulumi engine: the CLI on PATH, the stand-in aws plugin
(tests/engine/standin/) and a moto server. Used by the engine-marked tests only."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from runctl_iac.compiler.graph import Graph
from runctl_iac.engine import make_program
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
STANDIN_BIN = ROOT / "tests" / "engine" / "standin" / "bin"
PASSPHRASE = "engine-test-passphrase-0042"
EXPIRES_AT = "2030-01-01T00:00:00Z"


def default_sigint() -> None:
    """A `preexec_fn`: SIGINT back to its default in the child, as a terminal's job has it. The suite
    may run with SIGINT ignored (`nohup`, `make test &`), which a child would inherit: a shell could
    not trap it, and Python would not turn it into KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextmanager
def moto_process() -> Iterator[str]:
    """A moto server in its own process (the engine tests signal and kill processes; the suite's
    in-process server stays out of that). AWS managed policies are loaded, as runctl's roles attach
    AmazonSSMManagedInstanceCore (moto 5 leaves them out unless asked)."""
    port = free_port()
    env = {**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def engine_env(pulumi_home: Path, backend_url: str) -> dict[str, str]:
    """Environment for the CLI: the stand-in plugin first on PATH, a private PULUMI_HOME, no downloads."""
    cli = shutil.which("pulumi")
    assert cli is not None
    return {
        "PATH": os.pathsep.join([str(STANDIN_BIN), str(Path(cli).parent), os.environ.get("PATH", "")]),
        "RUNCTL_STANDIN_PYTHON": sys.executable,
        "PULUMI_HOME": str(pulumi_home),
        "PULUMI_BACKEND_URL": backend_url,
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def stack_for(
    graph: Graph,
    work_dir: Path,
    endpoint: str,
    backend_url: str,
    pulumi_home: Path,
    env: dict[str, str] | None = None,
) -> Any:
    """create_or_select the Graph's stack with its inline program, and set the expiry config."""
    from pulumi import automation as auto

    work_dir.mkdir(parents=True, exist_ok=True)
    opts = auto.LocalWorkspaceOptions(
        work_dir=str(work_dir),
        pulumi_home=str(pulumi_home),
        env_vars={**engine_env(pulumi_home, backend_url), **(env or {})},
        project_settings=auto.ProjectSettings(name=graph.project, runtime="python"),
    )
    stack = auto.create_or_select_stack(
        stack_name=graph.stack,
        project_name=graph.project,
        program=make_program(graph, endpoint_url=endpoint),
        opts=opts,
    )
    for key, value in apply_config(graph, endpoint).items():
        stack.set_config(key, auto.ConfigValue(value))
    return stack


def apply_config(graph: Graph, endpoint: str) -> dict[str, str]:
    """The stack configuration runctl's apply sets: the expiry and, for per-account bucket names,
    the account suffix of the emulator's account."""
    from runctl_iac.compiler.names import ACCOUNT_CONFIG, account_suffix
    from runctl_iac.engine.program import uses_account

    config = {"runctl:expiresAt": EXPIRES_AT}
    if uses_account(graph):
        account = aws_client("sts", endpoint).get_caller_identity()["Account"]
        config[ACCOUNT_CONFIG] = account_suffix(account, graph.region)
    return config


def example_doc(name: str) -> dict[str, Any]:
    """An example spec as plain data, to edit and write back with yaml.safe_dump."""
    import yaml

    doc: dict[str, Any] = yaml.safe_load((ROOT / "examples" / name).read_text())
    if True in doc.get("training", {}):  # PyYAML reads YAML 1.1, where a bare `on` key is true
        doc["training"]["on"] = doc["training"].pop(True)
    return doc


def local_spec(tmp_path: Path, name: str, edit: Any = None) -> Path:
    """examples/local.yaml under another project name (so retained buckets of different tests
    never collide in one moto server), optionally edited by `edit(dict)`; written to tmp_path."""
    import yaml

    doc = example_doc("local.yaml")
    doc["name"] = name
    doc["buckets"] = {f"{name}-data": doc["buckets"].pop("local-demo-artifacts")}
    if "training" in doc:
        doc["training"]["checkpoints"]["bucket"] = f"{name}-data"
    if edit is not None:
        edit(doc)
    path = tmp_path / f"{name}-{len(list(tmp_path.glob('*.yaml')))}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def compile_spec(path: Path, stack: str = "ci") -> Graph:
    from runctl_iac.compiler import compile
    from runctl_iac.spec import load_spec_or_raise

    return compile(load_spec_or_raise(path, stack=stack))[0]


def aws_client(service: str, endpoint: str) -> Any:
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def live_instances(endpoint: str, project: str) -> dict[str, dict[str, Any]]:
    """Running (not terminated) instances tagged with the project, by id (orphans show up too)."""
    ec2 = aws_client("ec2", endpoint)
    out = {}
    for r in ec2.describe_instances(Filters=[{"Name": "tag:runctl:project", "Values": [project]}])[
        "Reservations"
    ]:
        for i in r["Instances"]:
            if i["State"]["Name"] not in ("terminated", "shutting-down"):
                tags = {t["Key"]: t["Value"] for t in i.get("Tags", [])}
                out[i["InstanceId"]] = {**i, "TagMap": tags}
    return out
