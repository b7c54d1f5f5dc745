"""The README's `runctl run --here` and `runctl eject` examples parse as real invocations: every
command, option and value they show exists (the journeys in tests/cli/test_run_here.py and
tests/engine/test_eject_engine.py run them for real)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import typer

from runctl_iac.cli import app

README = Path(__file__).resolve().parents[1] / "README.md"
SECTIONS = ("## Run the job here first", "## Eject: leave with your infrastructure")


def examples() -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    found = []
    for heading in SECTIONS:
        body = text.split(heading, 1)[1].split("\n## ", 1)[0]
        for block in re.findall(r"```sh\n(.*?)```", body, re.S):
            for line in block.splitlines():
                line = line.split("#", 1)[0].strip()
                if line.startswith("runctl "):
                    found.append(shlex.split(line)[1:])
    return found


def test_every_run_and_eject_example_parses() -> None:
    command = typer.main.get_command(app)
    assert isinstance(command, click.Group)
    shown = examples()
    assert {args[0] for args in shown} == {"run", "job", "logs", "checkpoints", "stop-job", "eject"}
    for args in shown:
        sub = command.get_command(click.Context(command), args[0])
        assert sub is not None, args
        sub.make_context(args[0], args[1:])  # raises on an unknown option or a bad value
