"""A project for journeys on the local emulator: an empty folder (no git, no runctl.toml), HOME
empty, the stand-in aws plugin's fault file (`faults.json`, absent: no faults), the emulator started
and stopped around the test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.cli.plan_helpers import invoke


@contextmanager
def emulator_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spec: str | None = None
) -> Iterator[Path]:
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    # the product does not create the state folder yet (another change makes the first command do it)
    (work / ".runctl" / "state").mkdir(parents=True)
    if spec is not None:
        (work / "spec.yaml").write_text(spec)
    monkeypatch.setenv("RUNCTL_STANDIN_FAULTS", str(work / "faults.json"))
    started = invoke("local", "start")
    assert started.code == 0, started.stderr
    try:
        yield work
    finally:
        invoke("local", "stop")
