"""What the engine commands share: backend options, the target stack, the terminal UI of apply."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from runctl_iac.engine.driver import UpOutcome
    from runctl_iac.engine.workspace import Target
    from runctl_iac.plan.model import Plan

BACKEND_HELP = (
    "State backend URL (file://DIR, s3://BUCKET/PREFIX); "
    "default: PULUMI_BACKEND_URL, runctl.toml, .runctl/state."
)
PASSPHRASE_WARNING = (
    "\n*** runctl generated a passphrase for this project's stack secrets: {path}\n"
    "*** Back it up (e.g. in your password manager): without it the state cannot be decrypted.\n"
    "*** Teammates and CI set it as RUNCTL_PASSPHRASE.\n\n"
)


def backend_option() -> str | None:
    return typer.Option(None, "--backend", metavar="URL", help=BACKEND_HELP, show_default=False)


def spec_or_project_argument() -> Path | None:
    """SPEC, optional for the commands that also take `--project P --stack S` (CI, no spec file)."""
    return typer.Argument(None, metavar="[SPEC]", help="The spec file.", show_default=False)


def project_option() -> str | None:
    return typer.Option(None, "--project", help="Project name, instead of a spec.")


def local_stack_option() -> bool:
    return typer.Option(False, "--local", help="The stack on the local emulator.")


def yes_option() -> bool:
    return typer.Option(
        False, "--yes", "-y", help="Do not ask for confirmation (required without a terminal)."
    )


def make_target(
    start: Path,
    project: str,
    stack: str,
    backend: str | None,
    *,
    create_passphrase: bool = False,
    extra_env: Mapping[str, str] | None = None,
) -> Target:
    """The stack's Target under the project root of `start` (a spec file or a folder)."""
    from runctl_iac.engine.settings import project_root, resolve_backend, resolve_passphrase
    from runctl_iac.engine.workspace import Target
    from runctl_iac.plan.config import load_project_config

    root = project_root(start)
    config = load_project_config(root)
    resolved = resolve_backend(
        root, flag=backend, configured=config.backend, secrets_provider=config.secrets_provider
    )
    phrase = resolve_passphrase(resolved, create=create_passphrase)
    if phrase is not None and phrase.generated:
        sys.stderr.write(PASSPHRASE_WARNING.format(path=phrase.source))
    return Target(project, stack, resolved, phrase, extra_env=extra_env)


def is_terminal() -> bool:
    return bool(sys.stdin.isatty() and sys.stdout.isatty())


def confirmed(ui: TerminalUI, yes: bool, *, command: str, question: str, hint: str) -> bool:
    """Whether to go ahead: `--yes`, or a yes typed on the terminal. With neither a terminal nor
    `--yes` (CI), E0708 with `hint`: runctl never acts on a destructive step unasked."""
    from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity

    if yes:
        return True
    if not ui.interactive():
        message = f"{command} needs confirmation and there is no terminal to ask on"
        raise DiagnosticError([Diagnostic(Severity.ERROR, "E0708", message, hint=hint)])
    return ui.confirm(question)


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
    from runctl_iac.cli.plan import fail
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
