"""`runctl eject` in the fast suite: the files it writes for a stack runctl configured, and its
diagnostics. (Applying and previewing through the real engine: tests/engine/test_eject_engine.py.)"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.plan_helpers import invoke

ROOT = Path(__file__).resolve().parents[2]
SECRET = "hf-secret-value-never-written"
STACK_CONFIG = (
    "encryptionsalt: v1:c2FsdA==:v1:aXY=:dGFn\n"
    "config:\n"
    "  runctl:accountSuffix: 0a1b2c3d\n"
    '  runctl:expiresAt: "2026-12-07T00:00:00Z"\n'
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The llama example (it has secrets) in a project whose dev stack runctl has configured."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RUNCTL_PASSPHRASE", "a-passphrase-never-written")
    monkeypatch.setenv("HF_TOKEN", SECRET)
    (tmp_path / "runctl.toml").write_text("")
    shutil.copy(ROOT / "examples" / "llama-finetune.yaml", tmp_path / "spec.yaml")
    shutil.copytree(ROOT / "examples" / "llama-finetune", tmp_path / "llama-finetune")
    return tmp_path


def configure(project: Path) -> Path:
    work = project / ".runctl" / "work" / "llama-finetune" / "dev"
    work.mkdir(parents=True)
    (work / "Pulumi.dev.yaml").write_text(STACK_CONFIG)
    return work


def test_eject_writes_a_standalone_project(project: Path) -> None:
    configure(project)
    run = invoke("eject", "spec.yaml", "--out", "out")
    assert run.code == 0, run.stderr
    out = project / "out"
    assert (out / "Pulumi.dev.yaml").read_text() == STACK_CONFIG
    assert "name: llama-finetune" in (out / "Pulumi.yaml").read_text()
    assert f"file://{project / '.runctl' / 'state'}" in (out / "Pulumi.yaml").read_text()
    main = (out / "__main__.py").read_text()
    assert "runctl_iac" not in main and 'secret("HF_TOKEN")' in main
    assert 'aws.ec2.Instance(\n    "instance.trainer.0",' in main
    pins = re.findall(
        r"^(pulumi(?:-aws)?==\S+) \\", (ROOT / "requirements" / "runtime.txt").read_text(), re.M
    )
    assert sorted((out / "requirements.txt").read_text().split()) == sorted(pins)
    assert (out / "training" / "node.sh").read_text().startswith("#!/usr/bin/env bash")
    readme = (out / "README.md").read_text()
    assert "pulumi preview" in readme and 'PULUMI_CONFIG_PASSPHRASE="$RUNCTL_PASSPHRASE"' in readme
    for path in out.rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert SECRET not in text and "a-passphrase-never-written" not in text, path
    ruff = Path(sys.executable).parent / "ruff"
    assert subprocess.run([str(ruff), "check", "--isolated", str(out)], check=False).returncode == 0


def test_eject_needs_a_configured_stack_and_an_empty_folder(project: Path) -> None:
    missing = invoke("eject", "spec.yaml", "--out", "out")
    assert missing.code == 1 and "E0720" in missing.stderr and not (project / "out").exists()
    configure(project)
    (project / "out").mkdir()
    (project / "out" / "mine.txt").write_text("keep me")
    taken = invoke("eject", "spec.yaml", "--out", "out")
    assert taken.code == 1 and "E0721" in taken.stderr
    assert [p.name for p in (project / "out").iterdir()] == ["mine.txt"]


def test_eject_warns_when_the_spec_changed_since_the_apply(project: Path) -> None:
    from dataclasses import replace

    from runctl_iac.compiler import compile as compile_spec
    from runctl_iac.engine.snapshot import write_applied
    from runctl_iac.spec import load_spec_or_raise
    from runctl_iac.stackref import backend_for

    configure(project)
    graph, _ = compile_spec(load_spec_or_raise(project / "spec.yaml"))
    backend = backend_for(project / "spec.yaml")
    write_applied(graph, backend, {})  # a pretend apply of this very spec
    same = invoke("eject", "spec.yaml", "--out", "same")
    assert same.code == 0 and "W0722" not in same.stderr
    write_applied(replace(graph, region="eu-west-1"), backend, {})  # applied from another spec
    changed = invoke("eject", "spec.yaml", "--out", "changed")
    assert changed.code == 0 and "W0722" in changed.stderr


def test_eject_refuses_runpod_resources(project: Path) -> None:
    """RunPod pods and volumes are runctl's dynamic provider: E0726 before any stack question."""
    shutil.copy(ROOT / "tests" / "fixtures" / "runpod" / "runpod.yaml", project / "runpod.yaml")
    run = invoke("eject", "runpod.yaml", "--out", "out")
    assert run.code == 1 and "E0726" in run.stderr, run.stderr
    assert "pod.trainer" in run.stderr and "runpod-volume.cache" in run.stderr
    assert "Traceback" not in run.stderr and not (project / "out").exists()
