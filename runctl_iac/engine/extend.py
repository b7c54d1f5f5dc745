"""`runctl extend` as a library call: move the stack's expiry later (config, stack tag), then an
update of the last applied Graph re-tags the AWS resources (`runctl:expires-at`) so gc sees it.

The update runs the applied Graph, not the spec's current content: nothing else changes. The UI is
`engine.apply.ApplyUI`, as for apply.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity
from runctl_iac.engine import driver, snapshot
from runctl_iac.engine import workspace as ws
from runctl_iac.engine.targets import local_endpoint
from runctl_iac.spec.durations import MAX_DURATION_SECONDS, format_seconds, parse_duration

if TYPE_CHECKING:
    from runctl_iac.engine.apply import ApplyUI
    from runctl_iac.engine.workspace import Target


def _error(code: str, message: str, hint: str, path: str = "") -> DiagnosticError:
    return DiagnosticError([Diagnostic(Severity.ERROR, code, message, path=path, hint=hint)])


def extension_seconds(by: str | None, ttl: str | None) -> int:
    """How far to move the expiry: `--by`, else the stack's ttl (as applied). E0308 for a duration
    that does not parse or is above the 30-day ttl maximum; E0711 when there is neither."""
    text = by or ttl
    path = "--by" if by else "ttl"
    if not text:
        raise _error("E0711", "the stack has no ttl to extend by", "pass --by DURATION, e.g. --by 4h", "--by")
    try:
        seconds = parse_duration(text).seconds
    except ValueError as exc:
        raise _error("E0308", str(exc), "write a number with a unit: 90m, 8h, 3d", path) from None
    if seconds > MAX_DURATION_SECONDS:
        raise _error(
            "E0308",
            f'"{text}" is longer than the maximum of {format_seconds(MAX_DURATION_SECONDS)}',
            "extend by at most 30d at a time",
            path,
        )
    return seconds


def run_extend(target: Target, ui: ApplyUI, *, by: str | None, now: datetime | None = None) -> str:
    """Move the expiry by `by` (default: the stack's ttl); returns the new expiry (RFC 3339)."""
    where = f"{target.project}/{target.stack}"
    seconds = extension_seconds(by, None) if by else None  # a bad --by fails before any engine call
    applied = snapshot.read_applied(target.project, target.stack, target.backend)
    if applied is None:
        raise _error("E0711", f"nothing was applied to {where}", "apply it first (`runctl apply`)")
    from runctl_iac.engine.program import check_secret_env

    check_secret_env(applied.graph)
    program = driver.graph_program(applied.graph, local_endpoint(target))
    handle = driver.open_for(target, program, create=False)
    current = ws.plain_config(handle)
    if ws.EXPIRES_AT_CONFIG not in current:
        raise _error(
            "E0711",
            f"{where} has no ttl: nothing expires, nothing to extend",
            "set a ttl in the spec and apply it",
        )
    if seconds is None:
        seconds = extension_seconds(None, current.get(ws.TTL_CONFIG))
    new = driver.extended(current, seconds, now or datetime.now(UTC))
    config = driver.configure(handle, {ws.EXPIRES_AT_CONFIG: new})
    ui.note(f"expiry of {where}: {current[ws.EXPIRES_AT_CONFIG]} -> {new}")
    view = ui.progress()
    try:
        outcome = driver.up(handle, view.handle)
    finally:
        view.close()
    snapshot.write_applied(applied.graph, target.backend, outcome.outputs, config)
    ui.note("resources re-tagged with the new expiry")
    return new
