"""RunPod in `runctl resources` and `runctl gc`: runctl's pods (name prefix + env tags) and their network
volumes, found through the fake RunPod API beside the AWS resources on moto, priced, and swept."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from runctl_iac.engine.runpod_api import RunPodClient
from runctl_iac.teardown.runpod import discover_runpod
from tests.cli.plan_helpers import invoke
from tests.engine.runpod_fake import FakeRunPod, runpod_env

KEY = "rpa_TEARDOWN_secret_9911"
WEST = "us-west-2"


@pytest.fixture
def runpod(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeRunPod]:
    with runpod_env(monkeypatch, KEY) as fake:
        yield fake


def _seed(fake: FakeRunPod, project: str, expires: str) -> tuple[str, str, str]:
    client = RunPodClient(KEY)
    vol = client.call(
        "POST",
        "/networkvolumes",
        {"name": f"runctl-{project}-dev-cache", "size": 100, "dataCenterId": "US-KS-2"},
    )
    env = {"RUNCTL_MANAGED_BY": "runctl", "RUNCTL_PROJECT": project, "RUNCTL_STACK": "dev"}
    ours = client.call(
        "POST",
        "/pods",
        {
            "name": f"runctl-{project}-dev-trainer",
            "imageName": "runpod/pytorch",
            "gpuTypeIds": ["NVIDIA H100 80GB HBM3"],
            "gpuCount": 2,
            "env": {**env, "RUNCTL_EXPIRES_AT": expires},
            "networkVolumeId": vol["id"],
        },
    )
    # a pod of the same account that runctl did not make: same prefix, no tags in its env
    theirs = client.call(
        "POST",
        "/pods",
        {"name": "runctl-handmade", "imageName": "x", "gpuTypeIds": ["NVIDIA A100 80GB PCIe"]},
    )
    return ours["id"], vol["id"], theirs["id"]


def test_discover_finds_runctl_pods_by_prefix_and_env_tags(runpod: FakeRunPod) -> None:
    pod, vol, _theirs = _seed(runpod, "alpha", "2030-01-01T00:00:00Z")
    found = {r.id: r for r in discover_runpod()}
    assert set(found) == {pod, vol}  # not the hand-made pod
    assert found[pod].project == "alpha" and found[pod].stack == "dev"
    assert found[pod].details["hourly_usd"] == "5.38"  # costPerHr: 2 × 2.69
    assert found[vol].project == "alpha"  # from the pod that mounts it
    assert Decimal(found[vol].details["hourly_usd"]) == Decimal("7.00") / Decimal(730)
    assert discover_runpod(project="other") == []


def test_resources_lists_runpod_with_hourly_cost(
    aws: str, runpod: FakeRunPod, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, project: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runctl.toml").write_text(f'regions = ["{WEST}"]\n')
    pod, vol, _ = _seed(runpod, project, "2030-01-01T00:00:00Z")
    run = invoke("resources", "--project", project, "-o", "json")
    assert run.code == 0, run.stdout + run.stderr
    rows = {r["id"]: r for r in run.json()["resources"]}
    assert rows[pod]["type"] == "runpod-pod" and rows[pod]["region"] == "runpod"
    assert Decimal(rows[pod]["hourly_usd"]) == Decimal("5.38")
    assert rows[vol]["type"] == "runpod-volume"
    assert KEY not in run.stdout


def test_gc_terminates_an_expired_orphaned_pod(
    aws: str, runpod: FakeRunPod, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, project: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runctl.toml").write_text(f'regions = ["{WEST}"]\n')
    (tmp_path / ".runctl" / "state").mkdir(parents=True)  # the state folder (no stack: the pod is an orphan)
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    pod, vol, theirs = _seed(runpod, project, past)
    dry = invoke("gc", "--project", project, "--min-age", "0")
    assert dry.code == 0, dry.stdout + dry.stderr
    assert pod in dry.stdout and "terminate" in dry.stdout
    done = invoke("gc", "--project", project, "--min-age", "0", "--yes")
    assert done.code == 0, done.stdout + done.stderr
    assert pod not in runpod.pods and theirs in runpod.pods
    assert vol not in runpod.volumes  # it had the pod's tags: the same expired environment
