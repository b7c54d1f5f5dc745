"""RunPod groups through plan, cost and diff: goldens of the shipped example, the replace rules of the
offline diff (resize in place, GPU change replaces), and budgets that fail closed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cli.plan_helpers import invoke, validate_plan
from tests.render.golden import check_golden

EXAMPLE = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "runpod" / "runpod.yaml"


@pytest.fixture
def spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    (tmp_path / "runctl.toml").write_text("# project root\n")
    target = tmp_path / "runpod.yaml"
    shutil.copy(EXAMPLE, target)
    return target


def _edit(spec: Path, old: str, new: str, name: str) -> Path:
    text = spec.read_text()
    assert old in text
    out = spec.with_name(name)
    out.write_text(text.replace(old, new))
    return out


def test_cost_golden(spec: Path) -> None:
    run = invoke("cost", spec.name)
    assert run.code == 0, run.stdout + run.stderr
    check_golden("runpod-cost.txt", run.stdout)


def test_diff_resize_in_place_and_gpu_change_replaces(spec: Path) -> None:
    grown = _edit(spec, "size_gb: 200", "size_gb: 300", "grown.yaml")
    moved = _edit(grown, "gpu: NVIDIA H100 80GB HBM3", "gpu: NVIDIA A100 80GB PCIe", "moved.yaml")
    run = invoke("diff", spec.name, moved.name)
    assert run.code == 0, run.stdout + run.stderr
    check_golden("runpod-diff.txt", run.stdout)
    doc = invoke("diff", spec.name, moved.name, "-o", "json").json()
    validate_plan(doc)  # schemas/plan.schema.json
    actions = {c["id"]: c["action"] for c in doc["changes"]}
    assert actions == {"pod.trainer": "replace", "runpod-volume.cache": "update"}


def test_shrinking_a_network_volume_is_blocked(spec: Path) -> None:
    shrunk = _edit(spec, "size_gb: 200", "size_gb: 100", "shrunk.yaml")
    run = invoke("diff", spec.name, shrunk.name)
    assert run.code == 1
    assert "E0508" in run.stdout + run.stderr


def test_budget_blocks_an_expensive_pod(spec: Path) -> None:
    big = _edit(spec, "gpu_count: 2", "gpu_count: 8", "big.yaml")
    run = invoke("plan", big.name)
    assert run.code == 1
    assert "max_hourly_usd" in run.stdout + run.stderr


def test_unknown_gpu_price_fails_closed_with_a_budget(spec: Path) -> None:
    odd = _edit(spec, "gpu: NVIDIA H100 80GB HBM3", "gpu: NVIDIA Imaginary 1TB", "odd.yaml")
    run = invoke("plan", odd.name)
    assert run.code == 1
    assert "error[E0513] instances.trainer.gpu: no RunPod price for GPU type NVIDIA Imaginary 1TB" in (
        run.stdout + run.stderr
    )


def test_training_pod_plan_golden_holds_no_credential(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The training pod gets the bootstrap, its launch-request key and the staging bucket, and its AWS
    key only as secret placeholders: the values in the environment never reach a plan."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("RUNCTL_RUNPOD_AWS_ACCESS_KEY_ID", "AKIAPODKEYNEVERSHOWN")
    monkeypatch.setenv("RUNCTL_RUNPOD_AWS_SECRET_ACCESS_KEY", "pod-secret-never-shown")
    (tmp_path / "runctl.toml").write_text("# project root\n")
    (tmp_path / "src").mkdir()
    shutil.copy(EXAMPLE.with_name("runpod-train.yaml"), tmp_path / "train.yaml")
    run = invoke("plan", "train.yaml")
    assert run.code == 0, run.stdout + run.stderr
    check_golden("runpod-train-plan.txt", run.stdout)
    doc = invoke("plan", "train.yaml", "-o", "json").json()
    validate_plan(doc)
    pod = next(c for c in doc["changes"] if c["id"] == "pod.trainer")
    text = run.stdout + run.stderr + str(doc)
    assert "AKIAPODKEYNEVERSHOWN" not in text and "pod-secret-never-shown" not in text
    assert "pods/trainer/launch.json" in str(pod)
