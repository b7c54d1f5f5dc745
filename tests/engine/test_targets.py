"""Targets come from the stack locator: gc's engine destroy of a local stack uses the local target's
own passphrase and emulator, whichever way its backend was named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runctl_iac.engine import command, local, teardown
from runctl_iac.stackref import LOCAL_PASSPHRASE, local_backend


def test_gc_destroys_a_local_stack_with_its_own_passphrase(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(command, "find_cli", lambda home=None: object())
    monkeypatch.delenv("RUNCTL_PASSPHRASE", raising=False)
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    monkeypatch.setattr(local, "status", lambda root: local.Server(pid=1, port=4566))
    (tmp_path / "runctl.toml").write_text("")
    seen: list[Any] = []
    monkeypatch.setattr(teardown, "destroy_stack", lambda target, on_event=None: seen.append(target))
    destroy = teardown.gc_destroyer(tmp_path)
    assert destroy is not None
    destroy("local-demo", "dev", local_backend(tmp_path).url)
    [target] = seen
    assert target.passphrase.value == LOCAL_PASSPHRASE
    assert target.extra_env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"


def test_without_the_emulator_it_is_a_diagnostic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from runctl_iac.diagnostics import DiagnosticError

    monkeypatch.setattr(command, "find_cli", lambda home=None: object())
    monkeypatch.setattr(local, "status", lambda root: None)
    destroy = teardown.gc_destroyer(tmp_path)
    assert destroy is not None
    with pytest.raises(DiagnosticError) as err:
        destroy("local-demo", "dev", local_backend(tmp_path).url)
    assert err.value.diagnostics[0].code == "E0712"
