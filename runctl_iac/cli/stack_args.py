"""The stack option group, declared once: SPEC, --project, --stack, --stacks-dir, --backend, --local.

`@stack_command(...)` gives a command these parameters (Typer reads the signature) and calls it with
one `StackArgs` as its first argument; the command declares only its own options. The group's
parameters come first (SPEC, --project, --stack, --stacks-dir), the command's own next, then
--backend and --local, so every command's help reads the same.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from runctl_iac.engine.workspace import Target

STACK_HELP = (
    "Stack to load: deep-merges STACK.yaml from stacks/ next to the spec, else stacks/ at the project "
    "root, over it. Default: dev."
)
STACKS_DIR_HELP = "Folder holding the stack overlays, instead of the stacks/ lookup."
BACKEND_HELP = (
    "State backend URL (file://DIR, s3://BUCKET/PREFIX); "
    "default: PULUMI_BACKEND_URL, runctl.toml, .runctl/state."
)
LOCAL_HELP = "The stack on the local emulator (`runctl local start`), whatever the spec's target."


def spec_argument() -> Path:
    return typer.Argument(..., metavar="SPEC", help="The spec file.", show_default=False)


def spec_or_project_argument() -> Path | None:
    """SPEC, optional for the commands that also take `--project P --stack S` (CI, no spec file)."""
    return typer.Argument(None, metavar="[SPEC]", help="The spec file.", show_default=False)


def project_option() -> str | None:
    return typer.Option(None, "--project", "-p", help="Project name, instead of a spec.", show_default=False)


def stack_option() -> str | None:
    return typer.Option(None, "--stack", "-s", help=STACK_HELP, show_default=False)


def stacks_dir_option() -> Path | None:
    return typer.Option(None, "--stacks-dir", help=STACKS_DIR_HELP, show_default=False)


def backend_option() -> str | None:
    return typer.Option(None, "--backend", metavar="URL", help=BACKEND_HELP, show_default=False)


def local_option() -> bool:
    return typer.Option(False, "--local", help=LOCAL_HELP)


@dataclass(frozen=True)
class StackArgs:
    """What the user named the stack by."""

    spec: Path | None = None
    project: str | None = None
    stack: str | None = None
    stacks_dir: Path | None = None
    backend: str | None = None
    local: bool = False

    @property
    def spec_path(self) -> Path:
        """SPEC, for the commands where it is required."""
        assert self.spec is not None
        return self.spec

    def resolve(self, command: str) -> tuple[Target, str]:
        """(Target, label for hints): see `cli.common.resolve_stack`."""
        from runctl_iac.cli.common import resolve_stack

        return resolve_stack(
            self.spec, self.project, self.stack, self.stacks_dir, self.backend, self.local, command=command
        )


def _param(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


def stack_command(*, project: bool = False, backend: bool = True) -> Callable[[Callable[..., Any]], Any]:
    """Declare the stack option group on a command `fn(where: StackArgs, **own_options)`.
    `project`: SPEC is optional and --project names the stack instead; `backend`: --backend is taken."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        own = [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
            for p in list(inspect.signature(fn, eval_str=True).parameters.values())[1:]
        ]
        head = [
            _param("spec", Path | None, spec_or_project_argument())
            if project
            else _param("spec", Path, spec_argument()),
            *([_param("project", str | None, project_option())] if project else []),
            _param("stack", str | None, stack_option()),
            _param("stacks_dir", Path | None, stacks_dir_option()),
        ]
        tail = [
            *([_param("backend", str | None, backend_option())] if backend else []),
            _param("local", bool, local_option()),
        ]
        group = {p.name for p in (*head, *tail)}

        @functools.wraps(fn)
        def command(**kwargs: Any) -> Any:
            where = StackArgs(**{name: kwargs.pop(name) for name in list(kwargs) if name in group})
            return fn(where, **kwargs)

        params = [*head, *own, *tail]
        del command.__wrapped__  # Typer reads the signature below, not fn's
        command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params}
        return command

    return wrap
