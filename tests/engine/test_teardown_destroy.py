"""`runctl gc --expired` destroys through the engine when a Pulumi CLI is installed, else sweeps by tags.

`engine.teardown.destroy_stack` itself is what `runctl destroy` runs once confirmed; its behaviour
against the fake Pulumi CLI is covered by tests/cli/test_apply_destroy.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runctl_iac.engine import command, teardown


def test_no_cli_means_no_engine_destroyer(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(command, "find_cli", lambda home=None: None)
    assert teardown.gc_destroyer(tmp_path) is None


def test_the_destroyer_destroys_the_named_stack_under_that_backend(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(command, "find_cli", lambda home=None: object())
    monkeypatch.setenv("RUNCTL_PASSPHRASE", "gc-test")
    (tmp_path / "runctl.toml").write_text("")
    seen: list[Any] = []
    monkeypatch.setattr(teardown, "destroy_stack", lambda target, on_event=None: seen.append(target) or "ok")
    destroy = teardown.gc_destroyer(tmp_path)
    assert destroy is not None
    state = tmp_path / "team-state"
    assert destroy("quickstart", "pr-7", f"file://{state}") == "ok"
    [target] = seen
    assert (target.project, target.stack) == ("quickstart", "pr-7")
    assert target.backend.url == f"file://{state}"


def test_gc_cli_uses_the_engine_destroyer(monkeypatch: pytest.MonkeyPatch) -> None:
    from runctl_iac.cli import gc

    monkeypatch.setattr(command, "find_cli", lambda home=None: None)
    assert gc.engine_destroyer() is None
    monkeypatch.setattr(command, "find_cli", lambda home=None: object())
    assert callable(gc.engine_destroyer())
