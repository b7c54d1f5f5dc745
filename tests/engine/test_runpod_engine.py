"""RunPod through the real Pulumi CLI (marked `engine`): the dynamic provider is hosted by the
`pulumi-resource-pulumi-python` plugin (a stand-in in tests/engine/standin/bin) and talks to the fake
RunPod API; the bucket of the same spec goes to the local AWS emulator. apply, edit (the network volume
grows in place, a GPU change replaces the pod), refresh drift, destroy — and the API key never appears
in output or, unencrypted, in the state."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.cli.plan_helpers import invoke
from tests.engine.real import local_project
from tests.engine.runpod_fake import FakeRunPod, runpod_env

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "tests" / "fixtures" / "runpod" / "mixed-local.yaml"
KEY = "rpa_ENGINEKEY_never_in_state_4711"


@pytest.fixture
def runpod(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeRunPod]:
    with runpod_env(monkeypatch, KEY) as fake:
        yield fake


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@contextmanager
def _local_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spec_text: str) -> Iterator[Path]:
    """A user's empty folder (no git, no runctl.toml, an empty HOME) holding spec.yaml, with the local
    AWS emulator running; yields the spec."""
    with local_project(tmp_path, monkeypatch, files={"spec.yaml": spec_text}) as work:
        yield work / "spec.yaml"


def _ok(*args: str) -> str:
    run = invoke(*args)
    assert run.code == 0, run.stdout + run.stderr
    assert KEY not in run.stdout + run.stderr
    return run.stdout


@pytest.mark.engine
def test_runpod_lifecycle_through_the_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_aws_credentials: None, runpod: FakeRunPod
) -> None:
    with _local_project(tmp_path, monkeypatch, SPEC.read_text()) as spec:
        _ok("apply", spec.name, "--yes", "--no-launch")
        assert len(runpod.pods) == 1 and len(runpod.volumes) == 1
        pod = next(iter(runpod.pods.values()))
        volume = next(iter(runpod.volumes.values()))
        assert pod["name"] == "runctl-rp-mixed-dev-trainer" and pod["networkVolumeId"] == volume["id"]
        assert pod["env"]["RUNCTL_PROJECT"] == "rp-mixed" and "RUNCTL_EXPIRES_AT" in pod["env"]
        state = "".join(p.read_text(errors="replace") for p in (spec.parent / ".runctl").rglob("*.json"))
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


@pytest.mark.engine
def test_runpod_failures_are_diagnostics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_aws_credentials: None, runpod: FakeRunPod
) -> None:
    with _local_project(tmp_path, monkeypatch, SPEC.read_text()) as spec:
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


AWS_SECRET = "pod-aws-secret-never-in-state-0815"


@pytest.mark.engine
def test_a_training_pod_gets_the_bootstrap_and_its_aws_key_only_encrypted_in_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_aws_credentials: None, runpod: FakeRunPod
) -> None:
    monkeypatch.setenv("RUNCTL_RUNPOD_AWS_ACCESS_KEY_ID", "AKIAENGINEPOD")
    monkeypatch.setenv("RUNCTL_RUNPOD_AWS_SECRET_ACCESS_KEY", AWS_SECRET)
    training = "training: {group: trainer, run: python train.py}\n"
    with _local_project(tmp_path, monkeypatch, SPEC.read_text() + training) as spec:
        out = _ok("apply", spec.name, "--yes")  # the local target applies; it launches nothing
        assert AWS_SECRET not in out
        (pod,) = runpod.pods.values()
        assert pod["dockerStartCmd"][:2] == ["bash", "-c"] and "RUNCTL_LAUNCH_KEY" in pod["dockerStartCmd"][2]
        env = pod["env"]
        assert env["AWS_ACCESS_KEY_ID"] == "AKIAENGINEPOD" and env["AWS_SECRET_ACCESS_KEY"] == AWS_SECRET
        assert env["RUNCTL_LAUNCH_KEY"] == "pods/trainer/launch.json"
        assert env["RUNCTL_BUCKET"].startswith("runctl-rp-mixed-dev-staging-")  # the physical name
        state = "".join(p.read_text(errors="replace") for p in (spec.parent / ".runctl").rglob("*.json"))
        assert "pods/trainer/launch.json" in state
        assert AWS_SECRET not in state and "AKIAENGINEPOD" not in state and KEY not in state
        for args in (("plan", spec.name), ("status", spec.name), ("refresh", spec.name)):
            run = invoke(*args)
            assert AWS_SECRET not in run.stdout + run.stderr, args
        _ok("destroy", spec.name, "--yes")
        assert runpod.pods == {}
