"""The README's commands table, generated from the commands registered on the Typer app.

Every registered command gets a row: its synopsis (arguments and every option,
read from the click parameters Typer builds, so a new option or command shows up
by itself) and the first paragraph of its help. `tests/test_readme.py` fails
when the README's copy is stale.
"""

from __future__ import annotations

import click
import typer


def _metavar(param: click.Parameter) -> str:
    choices = getattr(param.type, "choices", None)
    if choices:
        return "|".join(str(c) for c in choices)
    if param.metavar:
        return param.metavar
    name = param.name or "value"
    return name.rsplit("_", 1)[-1].upper()


def _synopsis(name: str, command: click.Command) -> str:
    parts = [f"runctl {name}"]
    for param in command.params:
        if isinstance(param, click.Argument):
            parts.append(param.metavar or (param.name or "ARG").upper())
        elif isinstance(param, click.Option) and not param.hidden:
            flag = max(param.opts, key=len)  # the long form
            parts.append(f"[{flag}]" if param.is_flag else f"[{flag} {_metavar(param)}]")
    return " ".join(parts)


def _summary(command: click.Command) -> str:
    text = (command.help or command.short_help or "").strip()
    first = text.split("\n\n", 1)[0]
    return " ".join(first.split())


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def commands_table(app: typer.Typer) -> str:
    """The Markdown table of every registered command, in registration order."""
    group = typer.main.get_command(app)
    assert isinstance(group, click.Group)
    rows = ["| command | what it does |", "|---|---|"]
    for name, command in group.commands.items():
        if command.hidden:
            continue
        rows.append(f"| `{_cell(_synopsis(name, command))}` | {_cell(_summary(command))} |")
    return "\n".join(rows)
