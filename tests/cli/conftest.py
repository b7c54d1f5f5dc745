"""CLI test setup: a project folder as the working directory, plain output, a secret in the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.plan_helpers import BASE_SPEC, SECRET_VALUE, write
from tests.engine import fake_pulumi as fp
from tests.engine.cli_fake import program_for, use_fake


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp_path as the working directory, NO_COLOR, and a secret value set that must never be printed."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("HF_TOKEN", SECRET_VALUE)
    return tmp_path


@pytest.fixture
def project(cli_env: Path) -> Path:
    """A project holding spec.yaml (BASE_SPEC)."""
    write(cli_env / "spec.yaml", BASE_SPEC)
    return cli_env


@pytest.fixture
def fake(
    project: Path, monkeypatch: pytest.MonkeyPatch, fake_aws_credentials: None, moto_server: str
) -> fp.FakePulumi:
    """The fake Pulumi CLI answering for the project's spec, moto for STS, a passphrase set."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)  # STS: the account of bucket names
    monkeypatch.setenv("RUNCTL_PASSPHRASE", "cli-test-passphrase")
    f = use_fake(monkeypatch, fp.FakePulumi())
    program_for(f, project / "spec.yaml")
    return f
