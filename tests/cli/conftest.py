"""CLI test setup: a project folder as the working directory, plain output, a secret in the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.plan_helpers import BASE_SPEC, SECRET_VALUE, write


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
