"""Destroy a whole stack without asking: what `runctl destroy` does once confirmed, and what
`runctl gc --expired` does for each expired stack.

Retained volumes and buckets are protected by the compiler; they are unprotected here only to let
the destroy proceed, and Pulumi leaves them in AWS (`retain_on_delete`) while removing them from
the state. An empty stack is removed with its applied snapshot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runctl_iac.engine import driver, snapshot
from runctl_iac.engine.workspace import Target


@dataclass
class Destroyed:
    kept: list[dict[str, Any]] = field(default_factory=list)  # retained resources, from the state
    removed: bool = False  # the stack itself was removed (it was empty afterwards)


def destroy_stack(target: Target, on_event: Callable[[Any], None] | None = None) -> Destroyed:
    """Destroy every resource of the stack except the retained ones; remove the stack when empty."""
    handle = driver.open_for(target, create=False)
    kept = driver.retained_resources(handle)
    driver.unprotect(handle, [str(r["urn"]) for r in kept if r.get("protect")])
    driver.destroy(handle, on_event)
    resources, pending = driver.state_resources(handle)
    removed = not resources and not pending
    if removed:
        driver.remove_stack(handle)
        snapshot.remove_applied(target.project, target.stack, target.backend)
    return Destroyed(kept, removed)


def gc_destroyer(start: Path) -> Callable[[str, str, str], object] | None:
    """`destroy_stack(project, stack, backend_url)` for `runctl gc`, or None when no Pulumi CLI is
    installed (gc then sweeps the expired stack's resources by their tags)."""
    from runctl_iac.engine.command import find_cli

    if find_cli() is None:
        return None

    def destroy(project: str, stack: str, backend_url: str) -> object:
        from runctl_iac.engine.targets import stack_target

        # the stack's own backend, as the locator resolves it: the local target's fixed passphrase
        # and emulator for `.runctl/local/state`, the project's passphrase elsewhere
        return destroy_stack(stack_target(start, project, stack, backend_url, listed=True))

    return destroy
