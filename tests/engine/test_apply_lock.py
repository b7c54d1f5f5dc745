"""apply in front of pending operations: a live update holding the lock is E0702 (locked: wait),
an interrupted one (no lock) is E0703 (run `runctl recover`). The real-CLI case is in
tests/engine/test_engine_commands.py; here the lock file is written as the file backend writes it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runctl_iac.diagnostics import DiagnosticError
from runctl_iac.engine import apply, driver
from runctl_iac.engine.workspace import Target
from runctl_iac.stackref import Backend

PENDING = [{"type": "creating", "resource": {"urn": "urn:pulumi:dev::demo::aws:iam/role:Role::role.gpu"}}]


@pytest.fixture
def target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Target:
    monkeypatch.setattr(driver, "state_resources", lambda stack: ([], PENDING))
    backend = Backend(f"file://{tmp_path / 'state'}", "file", tmp_path)
    return Target("demo", "dev", backend, None)


def _code(target: Target) -> str:
    with pytest.raises(DiagnosticError) as caught:
        apply._refuse_pending(object(), target)
    [diag] = caught.value.diagnostics
    return diag.code


def test_pending_operations_of_an_interrupted_update_send_to_recover(target: Target) -> None:
    assert _code(target) == "E0703"


@pytest.mark.parametrize("layout", ["organization/demo/dev", "dev"])  # current and legacy lock folders
def test_pending_operations_under_a_live_lock_are_the_locked_stack(target: Target, layout: str) -> None:
    state = Path(target.backend.url.removeprefix("file://"))
    lock = state / ".pulumi" / "locks" / layout / "4a1b.json"
    lock.parent.mkdir(parents=True)
    lock.write_text('{"pid": 1, "username": "ci"}')
    assert _code(target) == "E0702"


def test_no_pending_operations_pass(target: Target, monkeypatch: pytest.MonkeyPatch) -> None:
    none: Any = ([], [])
    monkeypatch.setattr(driver, "state_resources", lambda stack: none)
    apply._refuse_pending(object(), target)
