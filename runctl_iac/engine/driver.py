"""The stack lifecycle through the Automation API: preview, up, destroy, refresh, cancel, history.

Every function takes a `Target` (project, stack, backend, passphrase, optional PulumiCommand) and
maps SDK failures to diagnostics (`engine.errors`). Long operations run in a worker thread so that a
Ctrl-C does not abandon the CLI: while one runs, SIGINT goes to a handler (never a KeyboardInterrupt,
which could land anywhere); the CLI receives the terminal's SIGINT too (or runctl passes on one only
it got) and cancels gracefully; runctl waits for it to stop, then raises `Interrupted`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity
from runctl_iac.engine import workspace as ws
from runctl_iac.engine.errors import engine_error
from runctl_iac.engine.progress import Progress, changes_from_events
from runctl_iac.engine.workspace import Target

if TYPE_CHECKING:
    from pulumi.automation import Stack

    from runctl_iac.compiler.graph import Graph
    from runctl_iac.plan.model import Changes

T = TypeVar("T")
OnEvent = Callable[[Any], None]


class Interrupted(Exception):
    """Ctrl-C during an engine operation; the CLI stopped (cleanly, as far as it could)."""

    def __init__(self, operation: str, detail: str = "") -> None:
        super().__init__(f"{operation} interrupted")
        self.operation = operation
        self.detail = detail


def _cli_children() -> list[int]:
    """Process ids of this process's `pulumi` children (Linux /proc; empty elsewhere)."""
    pids: list[int] = []
    for children in Path("/proc/self/task").glob("*/children"):
        try:
            pids.extend(int(p) for p in children.read_text().split())
        except (OSError, ValueError):
            continue
    out = []
    for pid in pids:
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == "pulumi":
                out.append(pid)
        except OSError:
            continue
    return out


def _terminal_delivered_sigint() -> bool:
    """Whether a Ctrl-C reached the whole foreground process group (the CLI got it too)."""
    try:
        return os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp()
    except (OSError, ValueError, AttributeError):
        return False


def forward_interrupt() -> list[int]:
    """Pass a SIGINT that only runctl received (e.g. from a CI runner) on to the Pulumi CLI, which
    then cancels gracefully; a terminal's Ctrl-C already reached it (a second one would make it
    stop at once). Returns the pids signalled."""
    if _terminal_delivered_sigint():
        return []
    pids = _cli_children()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGINT)
    return pids


@contextlib.contextmanager
def _sigint_to(handler: Callable[[int, Any], None]) -> Iterator[None]:
    """Route SIGINT to `handler` while the block runs, so that a Ctrl-C is seen wherever the main
    thread is (a KeyboardInterrupt could land outside any `try`). Only the main thread can set a
    handler, and a SIGINT that runctl was started with ignored (`nohup`, `cmd &`) stays ignored."""
    on_main = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGINT) if on_main else signal.SIG_IGN
    if previous in (signal.SIG_IGN, None):
        yield
        return
    signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run_interruptible(operation: str, fn: Callable[[], T]) -> T:
    """Run `fn` in a worker thread; on Ctrl-C wait for the engine to stop, then raise Interrupted
    (a second Ctrl-C stops waiting)."""
    box: dict[str, Any] = {}
    presses: list[int] = []

    def work() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the main thread
            box["error"] = exc

    def on_sigint(signum: int, _frame: Any) -> None:
        presses.append(signum)
        if len(presses) == 1:
            forward_interrupt()

    worker = threading.Thread(target=work, name=f"runctl-{operation}", daemon=True)
    with _sigint_to(on_sigint):
        worker.start()
        while worker.is_alive() and len(presses) < 2:
            worker.join(0.1)  # a timed wait: the handler runs between two waits at the latest
    if len(presses) > 1:
        raise Interrupted(operation, "stopped waiting for the engine")
    if presses:
        detail = str(box.get("error", "")).strip().splitlines()
        raise Interrupted(operation, detail[0] if detail else "")
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return,unused-ignore]


def _wrap(operation: str, fn: Callable[[], T]) -> T:
    from pulumi.automation.errors import CommandError

    try:
        return run_interruptible(operation, fn)
    except CommandError as exc:
        raise engine_error(exc, operation=operation) from None


# ---- apply-time configuration ----


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def expiry_config(
    current: Mapping[str, str], ttl_seconds: int | None, ttl_text: str | None, now: datetime
) -> dict[str, str | None]:
    """`runctl:expiresAt` and `runctl:ttl`: set on the first apply, kept on later applies, reset when
    the ttl changes, removed when the spec has no ttl."""
    if ttl_seconds is None:
        return {ws.EXPIRES_AT_CONFIG: None, ws.TTL_CONFIG: None} if ws.TTL_CONFIG in current else {}
    kept = current.get(ws.EXPIRES_AT_CONFIG)
    if kept and current.get(ws.TTL_CONFIG) == ttl_text and parse_rfc3339(kept) is not None:
        return {ws.EXPIRES_AT_CONFIG: kept, ws.TTL_CONFIG: ttl_text}
    return {ws.EXPIRES_AT_CONFIG: rfc3339(now + timedelta(seconds=ttl_seconds)), ws.TTL_CONFIG: ttl_text}


def extended(current: Mapping[str, str], seconds: int, now: datetime) -> str:
    """The expiry moved later by `seconds` (from now when it has already passed)."""
    base = parse_rfc3339(current.get(ws.EXPIRES_AT_CONFIG, "")) or now
    return rfc3339(max(base, now) + timedelta(seconds=seconds))


# ---- operations ----


@dataclass
class UpOutcome:
    outputs: dict[str, Any]
    config: dict[str, str]
    summary: dict[str, int] = field(default_factory=dict)
    progress: Progress = field(default_factory=Progress)


def open_for(target: Target, program: Callable[[], None] | None = None, *, create: bool = True) -> Stack:
    from pulumi.automation.errors import CommandError, StackNotFoundError

    try:
        return ws.open_stack(target, program, create=create)
    except StackNotFoundError:
        raise DiagnosticError(
            [
                Diagnostic(
                    Severity.ERROR,
                    "E0711",
                    f"no stack {target.project}/{target.stack} in {target.backend.url}",
                    hint="check --stack and the backend (`runctl stacks` lists what exists)",
                )
            ]
        ) from None
    except CommandError as exc:
        raise engine_error(exc, operation="stack selection") from None


def configure(stack: Stack, values: Mapping[str, str | None]) -> dict[str, str]:
    """Apply config changes; return the resulting plain config."""
    from pulumi.automation.errors import CommandError

    try:
        current = ws.plain_config(stack)
        changes = {k: v for k, v in values.items() if current.get(k) != v}
        if changes:
            ws.set_config(stack, changes)
        expires = values.get(ws.EXPIRES_AT_CONFIG, current.get(ws.EXPIRES_AT_CONFIG))
        if ws.EXPIRES_AT_CONFIG in values:
            ws.set_tags(stack, {ws.EXPIRES_TAG: expires})
    except CommandError as exc:
        raise engine_error(exc, operation="configuration") from None
    merged = {**current, **{k: v for k, v in values.items() if v is not None}}
    return {k: v for k, v in merged.items() if k not in values or values[k] is not None}


def preview(stack: Stack, on_event: OnEvent | None = None, *, refresh: bool = False) -> Changes:
    """The engine's changes; with `refresh`, against what AWS has now (drift included: a resource
    deleted by hand shows as a create, a tag removed by hand as an update that puts it back)."""
    events: list[Any] = []

    def record(event: Any) -> None:
        events.append(event)
        if on_event is not None:
            on_event(event)

    _wrap("preview", lambda: stack.preview(on_event=record, color="never", refresh=refresh or None))
    return changes_from_events(events)


def up(
    stack: Stack,
    on_event: OnEvent | None = None,
    *,
    parallel: int | None = None,
    targets: list[str] | None = None,
    target_dependents: bool = False,
    refresh: bool = False,
) -> UpOutcome:
    progress = Progress()

    def handle(event: Any) -> None:
        progress.handle(event)
        if on_event is not None:
            on_event(event)

    result = _wrap(
        "update",
        lambda: stack.up(
            on_event=handle,
            color="never",
            parallel=parallel,
            target=targets,
            target_dependents=target_dependents or None,
            refresh=refresh or None,
        ),
    )
    outputs = {k: v.value for k, v in result.outputs.items() if not v.secret}
    summary = {
        str(getattr(k, "value", k)): int(v) for k, v in (result.summary.resource_changes or {}).items()
    }
    return UpOutcome(outputs, ws.plain_config(stack), summary, progress)


def destroy(stack: Stack, on_event: OnEvent | None = None) -> dict[str, int]:
    result = _wrap("destroy", lambda: stack.destroy(on_event=on_event, color="never"))
    changes = result.summary.resource_changes if result.summary else None
    return {str(getattr(k, "value", k)): int(v) for k, v in (changes or {}).items()}


def preview_destroy(stack: Stack) -> Changes:
    """What a destroy removes; protected resources (retained volumes) are left out of the preview
    (the engine refuses to plan their deletion): `retained_resources` lists them from the state."""
    events: list[Any] = []
    _wrap(
        "destroy preview",
        lambda: stack.preview_destroy(on_event=events.append, color="never", exclude_protected=True),
    )
    return changes_from_events(events)


def retained_resources(stack: Stack) -> list[dict[str, Any]]:
    """Resources of the state that a destroy leaves in AWS (`retain_on_delete`)."""
    return [r for r in state_resources(stack)[0] if r.get("retainOnDelete")]


def unprotect(stack: Stack, urns: list[str]) -> None:
    """`pulumi state unprotect` for retained resources, so the destroy drops them from the state
    (they stay in AWS: retain_on_delete) instead of refusing to delete them."""
    from pulumi.automation.errors import CommandError

    if not urns:
        return
    workspace: Any = stack.workspace
    try:
        workspace.cli_api.state_unprotect(
            *urns, stack=stack.name, cwd=workspace.work_dir, additional_env=dict(workspace.env_vars)
        )
    except CommandError as exc:
        raise engine_error(exc, operation="unprotect") from None


def refresh(stack: Stack, *, preview_only: bool, clear_pending_creates: bool = False) -> Changes:
    """Drift between the state and AWS (`preview_only`: the state is left as it is)."""
    from runctl_iac.engine.progress import drift_from_events

    events: list[Any] = []
    if preview_only:
        _wrap("refresh", lambda: stack.preview_refresh(on_event=events.append, color="never"))
    else:
        _wrap(
            "refresh",
            lambda: stack.refresh(
                on_event=events.append, color="never", clear_pending_creates=clear_pending_creates or None
            ),
        )
    return drift_from_events(events)


def remove_stack(stack: Stack) -> None:
    from pulumi.automation.errors import CommandError

    try:
        stack.workspace.remove_stack(stack.name)
    except CommandError as exc:
        raise engine_error(exc, operation="stack removal") from None


def state_resources(stack: Stack) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(resources, pending operations) from `stack export`."""
    from pulumi.automation.errors import CommandError

    try:
        deployment = stack.export_stack().deployment or {}
    except CommandError as exc:
        raise engine_error(exc, operation="state export") from None
    resources = [r for r in deployment.get("resources") or [] if r.get("type") != "pulumi:pulumi:Stack"]
    return resources, list(deployment.get("pending_operations") or [])


def last_update(stack: Stack) -> dict[str, Any] | None:
    from pulumi.automation.errors import CommandError

    try:
        info = stack.info(show_secrets=False)
    except CommandError as exc:
        raise engine_error(exc, operation="history") from None
    if info is None:
        return None
    return {
        "kind": info.kind,
        "result": info.result,
        "start_time": info.start_time.replace(tzinfo=UTC),
        "end_time": info.end_time.replace(tzinfo=UTC) if info.end_time else None,
        "resource_changes": dict(info.resource_changes or {}),
    }


def locked_now(target: Target) -> bool | None:
    """Whether an update holds the stack's lock now: file and S3 backends keep lock files that can
    be read; None where that cannot be known (Pulumi Cloud, an unreadable backend)."""
    if target.backend.kind not in ("file", "s3"):
        return None
    from runctl_iac.stackstate import BackendError, update_in_progress

    try:
        return update_in_progress(target.backend.url, target.project, target.stack)
    except (BackendError, OSError):
        return None


def lock_holder(target: Target) -> str:
    """` (user@host, pid N, since T)` from a file backend's lock file (pkg/backend/diy/lock.go
    writes pid, username, hostname, timestamp); "" when it cannot be read."""
    import json

    state = target.backend.state_dir if target.backend.kind == "file" else None
    if state is None:
        return ""
    locks = state / ".pulumi" / "locks"
    for path in [
        *sorted((locks / "organization" / target.project / target.stack).glob("*.json")),
        *sorted((locks / target.stack).glob("*.json")),
    ]:
        try:
            lock = json.loads(path.read_text(encoding="utf-8"))
            who = f"{lock['username']}@{lock['hostname']}"
            return f" ({who}, pid {lock['pid']}, since {str(lock['timestamp'])[:19]}Z)"
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return ""


def cancel(stack: Stack, target: Target | None = None) -> bool:
    """Cancel the update holding the lock; False when there was none to cancel (the backend's lock
    files show no lock, or the CLI says no update is running)."""
    from pulumi.automation.errors import CommandError

    if target is not None and locked_now(target) is False:
        return False
    try:
        stack.cancel()
    except CommandError as exc:
        if "no update is currently running" in str(exc).lower():
            return False
        raise engine_error(exc, operation="cancel") from None
    return True


def adopt_pending_creates(stack: Stack) -> list[str]:
    """Pending creates whose resource has an id (the provider answered before the interruption)
    exist in AWS: move them into the state's resources (export, edit, import) so nothing is lost.
    Returns their logical ids."""
    from pulumi.automation import Deployment
    from pulumi.automation.errors import CommandError

    try:
        exported = stack.export_stack()
        deployment = dict(exported.deployment or {})
        pending = list(deployment.get("pending_operations") or [])
        adopt = [
            op for op in pending if op.get("type") == "creating" and (op.get("resource") or {}).get("id")
        ]
        if not adopt:
            return []
        deployment["pending_operations"] = [op for op in pending if op not in adopt]
        deployment["resources"] = [*(deployment.get("resources") or []), *(op["resource"] for op in adopt)]
        stack.import_stack(Deployment(version=exported.version, deployment=deployment))
    except CommandError as exc:
        raise engine_error(exc, operation="state import") from None
    return [str(op["resource"].get("urn", "")).rsplit("::", 1)[-1] for op in adopt]


def graph_program(graph: Graph, endpoint_url: str | None) -> Callable[[], None]:
    from runctl_iac.engine.program import make_program

    return make_program(graph, endpoint_url=endpoint_url)
