"""RunPod through the real Pulumi CLI (marked `engine`): the dynamic provider is hosted by the
`pulumi-resource-pulumi-python` plugin (a stand-in in tests/engine/standin/bin) and talks to the fake
RunPod API; the bucket of the same spec goes to the local AWS emulator. apply, edit (the network volume
grows in place, a GPU change replaces the pod), refresh drift, destroy — and the API key never appears
in output or, unencrypted, in the state."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from runctl_iac.engine import runpod_api
from tests.cli.plan_helpers import invoke
from tests.engine.runpod_fake import FakeRunPod, fake_runpod

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "tests" / "fixtures" / "runpod" / "mixed-local.yaml"
KEY = "rpa_ENGINEKEY_never_in_state_4711"


@pytest.fixture
def runpod(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeRunPod]:
    with fake_runpod(KEY) as fake:
        # the provider host inherits the environment through the Pulumi CLI
        monkeypatch.setenv(runpod_api.API_URL_ENV, fake.url)
        monkeypatch.setenv("RUNPOD_API_KEY", KEY)
        yield fake


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def _ok(*args: str) -> str:
    run = invoke(*args)
    assert run.code == 0, run.stdout + run.stderr
    assert KEY not in run.stdout + run.stderr
    return run.stdout


@pytest.mark.engine
def test_runpod_lifecycle_through_the_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_aws_credentials: None, runpod: FakeRunPod
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runctl.toml").write_text("")
    # the state folder: created here until the product creates it on first use (another change)
    (tmp_path / ".runctl" / "state").mkdir(parents=True)
    spec = tmp_path / "spec.yaml"
    shutil.copy(SPEC, spec)
    assert invoke("local", "start").code == 0
    try:
        _ok("apply", spec.name, "--yes", "--no-launch")
        assert len(runpod.pods) == 1 and len(runpod.volumes) == 1
        pod = next(iter(runpod.pods.values()))
        volume = next(iter(runpod.volumes.values()))
        assert pod["name"] == "runctl-rp-mixed-dev-trainer" and pod["networkVolumeId"] == volume["id"]
        assert pod["env"]["RUNCTL_PROJECT"] == "rp-mixed" and "RUNCTL_EXPIRES_AT" in pod["env"]
        state = "".join(p.read_text(errors="replace") for p in (tmp_path / ".runctl").rglob("*.json"))
        assert "runctl-rp-mixed-dev-trainer" in state and KEY not in state  # only the ciphertext

        # edit: the volume grows in place, the pod keeps its id
        _edit(spec, "size_gb: 100", "size_gb: 150")
        _ok("apply", spec.name, "--yes", "--no-launch")
        assert volume["size"] == 150 and list(runpod.pods) == [pod["id"]]

        # edit: another GPU type replaces the pod
        _edit(spec, "gpu: NVIDIA H100 80GB HBM3", "gpu: NVIDIA A100 80GB PCIe")
        _ok("apply", spec.name, "--yes", "--no-launch")
        (new_pod,) = runpod.pods.values()
        assert new_pod["id"] != pod["id"] and new_pod["gpu"]["id"] == "NVIDIA A100 80GB PCIe"

        # drift: someone changes the image in RunPod's console
        assert invoke("refresh", spec.name, "--detailed-exitcode").code == 0
        new_pod["image"] = "someone/else:1"
        drift = invoke("refresh", spec.name, "--detailed-exitcode")
        assert drift.code == 2, drift.stdout + drift.stderr
        assert "pod.trainer" in drift.stdout

        _ok("destroy", spec.name, "--yes")
        assert runpod.pods == {} and runpod.volumes == {}
    finally:
        invoke("local", "stop")


@pytest.mark.engine
def test_runpod_failures_are_diagnostics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_aws_credentials: None, runpod: FakeRunPod
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runctl.toml").write_text("")
    (tmp_path / ".runctl" / "state").mkdir(parents=True)  # see above
    spec = tmp_path / "spec.yaml"
    shutil.copy(SPEC, spec)
    assert invoke("local", "start").code == 0
    try:
        runpod.no_capacity.add("NVIDIA H100 80GB HBM3")
        failed = invoke("apply", spec.name, "--yes", "--no-launch")
        out = failed.stdout + failed.stderr
        assert failed.code == 1 and KEY not in out
        assert "error[E0725]" in out and "no longer any instances available" in out
        assert "hint: no capacity for this GPU type now" in out
        monkeypatch.delenv("RUNPOD_API_KEY")
        missing = invoke("apply", spec.name, "--yes", "--no-launch")
        assert missing.code == 1 and "E0601" in missing.stdout + missing.stderr
        monkeypatch.setenv("RUNPOD_API_KEY", KEY)
        runpod.no_capacity.clear()
        _ok("destroy", spec.name, "--yes")
        assert runpod.volumes == {}
    finally:
        invoke("local", "stop")
