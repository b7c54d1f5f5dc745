"""What the engine workflows (apply, destroy, extend, cancel, recover) ask of a user interface.

The interface is `engine.apply.ApplyUI`; the CLI implements it on the terminal
(`cli/engine_common.TerminalUI`), tests with a recorder. The engine never imports `render/` or
`cli/`: it reports through these calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity

if TYPE_CHECKING:
    from runctl_iac.engine.apply import ApplyUI


def confirmed(ui: ApplyUI, yes: bool, *, command: str, question: str, hint: str) -> bool:
    """Whether to go ahead: `--yes`, or a yes typed on the terminal. With neither a terminal nor
    `--yes` (CI), E0708 with `hint`: runctl never acts on a destructive step unasked."""
    if yes:
        return True
    if not ui.interactive():
        message = f"{command} needs confirmation and there is no terminal to ask on"
        raise DiagnosticError([Diagnostic(Severity.ERROR, "E0708", message, hint=hint)])
    return ui.confirm(question)
