"""What the engine commands share: the terminal UI of apply, destroy and extend (`engine.apply.ApplyUI`),
the Ctrl-C exit (the confirmation rule is `engine.ui.confirmed`)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from runctl_iac.engine.driver import UpOutcome
    from runctl_iac.engine.workspace import Target
    from runctl_iac.plan.model import Plan

PASSPHRASE_WARNING = (
    "\n*** runctl generated a passphrase for this project's stack secrets: {path}\n"
    "*** Back it up (e.g. in your password manager): without it the state cannot be decrypted.\n"
    "*** Teammates and CI set it as RUNCTL_PASSPHRASE.\n\n"
)


def new_passphrase_warning(target: Target) -> None:
    """Say loudly, once, that runctl generated the project's passphrase (apply's first run)."""
    if target.passphrase is not None and target.passphrase.generated:
        sys.stderr.write(PASSPHRASE_WARNING.format(path=target.passphrase.source))


def is_terminal() -> bool:
    return bool(sys.stdin.isatty() and sys.stdout.isatty())


class TerminalUI:
    """`engine.apply.ApplyUI` on stdout/stderr: renderers from `render/`, a live view on a terminal."""

    def __init__(self, operation: str = "update") -> None:
        self.operation = operation

    def show_plan(self, plan: Plan) -> None:
        from runctl_iac.cli.common import write_out
        from runctl_iac.render.diagnostics import use_colour
        from runctl_iac.render.plan_text import render_plan_text

        write_out(render_plan_text(plan, color=use_colour(sys.stdout)))

    def note(self, text: str) -> None:
        sys.stdout.write(text.rstrip("\n") + "\n")

    def warn(self, diagnostics: list[Any]) -> None:
        from runctl_iac.render.diagnostics import render_text, use_colour

        sys.stderr.write(render_text(diagnostics, colour=use_colour(sys.stderr)))

    def confirm(self, question: str) -> bool:
        return bool(typer.confirm(question, default=False))

    def interactive(self) -> bool:
        return is_terminal()

    def progress(self) -> Any:
        from runctl_iac.render.progress import LiveView, PlainView

        sys.stdout.write("\n")
        if sys.stdout.isatty():
            from runctl_iac.render.diagnostics import use_colour

            return LiveView(sys.stdout, color=use_colour(sys.stdout))
        return PlainView(sys.stdout.write)

    def finished(self, outcome: UpOutcome) -> None:
        from runctl_iac.render.progress import summary_text

        sys.stdout.write(summary_text(outcome.progress, self.operation))

    def show_outputs(self, outputs: Mapping[str, Any]) -> None:
        from runctl_iac.render.engine import outputs_text

        sys.stdout.write(outputs_text(outputs))


def interrupted_exit(operation: str, target: Target, spec_hint: str) -> typer.Exit:
    """Ctrl-C: say what exists now and what to run next (E0713)."""
    from runctl_iac.cli.common import fail
    from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity
    from runctl_iac.engine.apply import describe_state

    try:
        lines = describe_state(target)
    except DiagnosticError:
        lines = ["(the state could not be read: run `runctl status` once the engine has stopped)"]
    sys.stdout.write("resources in the stack now:\n" + "".join(f"  {ln}\n" for ln in lines or ["(none)"]))
    return fail(
        [
            Diagnostic(
                Severity.ERROR,
                "E0713",
                f"{operation} interrupted: the engine stopped; what exists is listed above",
                hint=f"run `runctl recover {spec_hint}` to check AWS against the state, then run "
                f"the {operation} again",
            )
        ]
    )
