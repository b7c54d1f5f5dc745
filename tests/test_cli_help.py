"""Every command and command group answers --help with an example of its use."""

from __future__ import annotations

import pytest

from runctl_iac.cli import app
from tests.cli.plan_helpers import invoke


def _commands() -> list[str]:
    import typer.main

    group = typer.main.get_command(app)
    names = []
    for name, command in sorted(group.commands.items()):  # type: ignore[attr-defined]
        names.append(name)
        names.extend(f"{name} {sub}" for sub in sorted(getattr(command, "commands", {})))
    return names


@pytest.mark.parametrize("command", _commands())
def test_help_shows_an_example(command: str) -> None:
    run = invoke(*command.split(), "--help")
    assert run.code == 0, run.stderr
    assert "Example" in run.stdout and f"runctl {command.split()[0]}" in run.stdout, command
