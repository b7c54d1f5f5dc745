"""`runctl plan` with the engine preview (`--engine`, and by default when it can run) through the fake CLI."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.cli.plan_helpers import SECRET_VALUE, invoke
from tests.engine import fake_pulumi as fp


@pytest.fixture
def fake(fake: fp.FakePulumi, project: Path, monkeypatch: pytest.MonkeyPatch) -> fp.FakePulumi:
    """The shared fake, with a `pulumi` on PATH (in an empty HOME) for `plan` to find."""
    home = project / "home"
    (home / "bin").mkdir(parents=True)
    cli = home / "bin" / "pulumi"  # what `plan` finds on PATH to decide; the fake answers the calls
    cli.write_text('#!/bin/sh\n[ "$1" = version ] && echo v3.274.1\n')
    cli.chmod(cli.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PATH", f"{home / 'bin'}:/usr/bin:/bin")
    return fake


def test_plan_engine_on_a_new_stack_leaves_nothing_behind(fake: fp.FakePulumi) -> None:
    run = invoke("plan", "spec.yaml", "--engine")
    assert run.code == 0, run.stderr
    assert "changes: engine preview" in run.stdout
    assert "+ instance.gpu.0 (aws:ec2/instance:Instance)" in run.stdout
    assert any(c[1] == "preview" for c in fake.calls)
    assert fake.stacks == {}  # created for the preview, removed again
    assert SECRET_VALUE not in run.stdout + run.stderr


def test_plan_uses_the_engine_by_default_once_the_stack_exists(fake: fp.FakePulumi) -> None:
    offline = invoke("plan", "spec.yaml")
    assert offline.code == 0 and "changes: engine preview" not in offline.stdout
    assert not any(c[1] == "preview" for c in fake.calls)
    assert invoke("apply", "spec.yaml", "--yes", "--no-launch").code == 0
    previews = sum(1 for c in fake.calls if c[1] == "preview")
    run = invoke("plan", "spec.yaml", "--detailed-exitcode")
    assert run.code == 0, run.stdout + run.stderr
    assert "changes: engine preview" in run.stdout
    assert sum(1 for c in fake.calls if c[1] == "preview") == previews + 1
    skipped = invoke("plan", "spec.yaml", "--offline")
    assert skipped.code == 0 and "changes: engine preview" not in skipped.stdout
    assert sum(1 for c in fake.calls if c[1] == "preview") == previews + 1


def test_plan_stays_offline_without_the_secret_and_engine_requires_it(
    fake: fp.FakePulumi, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert invoke("apply", "spec.yaml", "--yes", "--no-launch").code == 0
    monkeypatch.delenv("HF_TOKEN")
    run = invoke("plan", "spec.yaml")
    assert run.code == 0 and "secret variables are not set: HF_TOKEN" in run.stderr
    required = invoke("plan", "spec.yaml", "--engine")
    assert required.code == 1 and "E0601" in required.stderr


def test_plan_engine_failure_is_a_diagnostic(fake: fp.FakePulumi) -> None:
    assert invoke("apply", "spec.yaml", "--yes", "--no-launch").code == 0
    fake.fail["preview"] = fp.NO_CREDENTIALS
    run = invoke("plan", "spec.yaml", "--engine")
    assert run.code == 1 and "E0704" in run.stderr
    fake.fail["preview"] = fp.NO_CREDENTIALS
    fallback = invoke("plan", "spec.yaml")
    assert fallback.code == 0 and "the engine preview failed" in fallback.stderr


def test_engine_cannot_be_combined_with_another_base(fake: fp.FakePulumi) -> None:
    run = invoke("plan", "spec.yaml", "--engine", "--against", "spec.yaml")
    assert run.code == 1 and "cannot be used with --against" in run.stderr
