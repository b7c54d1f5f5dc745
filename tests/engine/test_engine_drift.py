"""Issue 21 journeys through the real CLI, the Pulumi CLI from `make engine-cli`, the stand-in aws
plugin and the local emulator `runctl local start` runs (marked `engine`): drift made by hand is
seen by refresh (tags included), shown as its repair by plan and repaired by apply; the local
target says up front that it cannot run the job; the plugin warning is printed once."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.plan_helpers import invoke
from tests.engine.real import ROOT, STANDIN_BIN, aws_client

pytestmark = pytest.mark.engine
EXPIRES = "runctl:expires-at"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_aws_credentials: None) -> Iterator[Path]:
    """An empty folder (no git, no runctl.toml, HOME empty) holding a copy of the local example,
    with the local emulator running."""
    work = tmp_path / "work"
    work.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PATH", f"{STANDIN_BIN}{os.pathsep}{os.environ['PATH']}")
    shutil.copy(ROOT / "examples" / "local.yaml", work / "local.yaml")
    started = invoke("local", "start")
    assert started.code == 0, started.stderr
    try:
        yield work
    finally:
        invoke("local", "stop")


def _endpoint(project: Path) -> str:
    port = json.loads((project / ".runctl" / "local" / "server.json").read_text())["port"]
    return f"http://127.0.0.1:{port}"


def _outputs(project: Path) -> dict[str, Any]:
    status = invoke("status", "local.yaml", "--local", "--output", "json")
    assert status.code == 0, status.stderr
    outputs: dict[str, Any] = status.json()["outputs"]
    return outputs


def _tags(ec2: Any, instance_id: str) -> dict[str, str]:
    found = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [instance_id]}])["Tags"]
    return {t["Key"]: t["Value"] for t in found}


def test_drift_is_shown_then_repaired_by_plan_and_apply(project: Path) -> None:
    first = invoke("apply", "local.yaml", "--yes")
    assert first.code == 0, first.stdout + first.stderr
    # item 5: the local target says before the plan that the job cannot run, and launches nothing
    assert "warning[W0716] training: the local target cannot run the training job" in first.stderr
    assert "+ job" not in first.stdout and "<html" not in (first.stdout + first.stderr).lower()
    outputs = _outputs(project)
    bucket = outputs["buckets"]["local-demo-artifacts"]
    instance = outputs["instances"]["instance.worker.0"]["id"]
    s3, ec2 = aws_client("s3", _endpoint(project)), aws_client("ec2", _endpoint(project))
    expires = _tags(ec2, instance)[EXPIRES]

    s3.delete_bucket(Bucket=bucket)  # by hand, outside runctl
    ec2.delete_tags(Resources=[instance], Tags=[{"Key": EXPIRES}])

    drift = invoke("refresh", "local.yaml", "--output", "json")
    assert drift.code == 0, drift.stderr
    changes = {c["id"]: c for c in drift.json()["changes"]}
    assert changes["bucket.local-demo-artifacts"]["action"] == "delete"
    [tags] = [p for p in changes["instance.worker.0"]["properties"] if p["path"] == "tags_all"]
    assert tags["old"][EXPIRES] == expires and EXPIRES not in tags["new"]  # item 7: the real tags
    text = invoke("refresh", "local.yaml")
    assert f'- {EXPIRES} = "{expires}"' in text.stdout and "(none) → (none)" not in text.stdout

    plan = invoke("plan", "local.yaml", "--engine", "--output", "json")
    assert plan.code == 0, plan.stderr
    planned = {c["id"]: c for c in plan.json()["changes"]}
    assert planned["bucket.local-demo-artifacts"]["action"] == "create"
    assert planned["instance.worker.0"]["action"] == "update"
    shown = invoke("plan", "local.yaml", "--engine")
    assert f'+ {EXPIRES} = "{expires}"' in shown.stdout
    assert "+ bucket.local-demo-artifacts (aws:s3/bucket:Bucket)" in shown.stdout
    unrefreshed = invoke("plan", "local.yaml", "--engine", "--no-refresh", "--detailed-exitcode")
    assert unrefreshed.code == 0, unrefreshed.stdout  # the state as recorded: nothing to do

    repair = invoke("apply", "local.yaml", "--yes")
    assert repair.code == 0, repair.stdout + repair.stderr
    assert "4 created, 1 updated" in repair.stdout
    assert repair.stdout.count("warning: using pulumi-resource-aws from $PATH") <= 1  # item 19
    assert bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert _tags(ec2, instance)[EXPIRES] == expires
    again = invoke("plan", "local.yaml", "--engine", "--detailed-exitcode")
    assert again.code == 0, again.stdout + again.stderr
    cancel = invoke("cancel", "local.yaml", "--yes")  # item 10: no update runs
    assert cancel.code == 0 and cancel.stdout.startswith("nothing to cancel: no update of local-demo/dev")
