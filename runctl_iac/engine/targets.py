"""The `Target` of a stack, from the stack locator (`runctl_iac.stackref`): one function for every
command, so that apply, status, destroy, extend, gc and the rest reach the same backend.

- `create=True` (apply, a first write): the state folder is made on first use and the default
  backend's passphrase is generated when none exists.
- `create=False` (every other command): nothing is created. A missing state folder means the
  stack does not exist (E0711, saying where runctl looked), and so does a passphrase problem on a
  backend that holds no such stack: the stack's absence is the real news, not the passphrase.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity
from runctl_iac.engine.workspace import Target
from runctl_iac.stackref import (
    Backend,
    ensure_state,
    locate,
    no_stacks_yet,
    resolve_passphrase,
    state_missing,
)

STACK_SUFFIXES = (".json", ".json.gz", ".json.zst")


def no_stack(project: str, stack: str, backend: Backend) -> DiagnosticError:
    where = no_stacks_yet(backend) if state_missing(backend) else f"looked in {backend.url}"
    return DiagnosticError(
        [
            Diagnostic(
                Severity.ERROR,
                "E0711",
                f"no stack {project}/{stack}: {where}",
                hint="check the spec, --stack, --backend and --local (`runctl stacks` lists what exists)",
            )
        ]
    )


def stack_in_files(backend: Backend, project: str, stack: str) -> bool | None:
    """Whether a file backend holds the stack's checkpoint; None when it cannot be told here."""
    folder = backend.state_dir
    if folder is None:
        return None
    stacks = folder / ".pulumi" / "stacks"
    names = [stacks / project / f"{stack}{s}" for s in STACK_SUFFIXES]
    names += [stacks / f"{stack}{s}" for s in STACK_SUFFIXES]  # the legacy, non-project layout
    return any(p.is_file() for p in names)


def target_in(
    backend: Backend,
    project: str,
    stack: str,
    *,
    create: bool = False,
    listed: bool = False,
    extra_env: Mapping[str, str] | None = None,
) -> Target:
    """The Target of project/stack in a resolved backend (the local target's needs its emulator).
    `listed`: the caller found the stack in that backend (gc), so its state is not looked for."""
    if backend.local:  # the emulator first: without it nothing of a local stack can be reached
        from runctl_iac.engine.local import local_target

        return local_target(backend.root, project, stack)[0]
    if create:
        ensure_state(backend)
    elif not listed and state_missing(backend):
        raise no_stack(project, stack, backend)
    try:
        phrase = resolve_passphrase(backend, create=create)
    except DiagnosticError:
        if not create and stack_in_files(backend, project, stack) is False:
            raise no_stack(project, stack, backend) from None
        raise
    return Target(project, stack, backend, phrase, extra_env=extra_env)


def stack_target(
    start: str | Path,
    project: str,
    stack: str,
    backend: str | None = None,
    *,
    local: bool = False,
    create: bool = False,
    listed: bool = False,
    extra_env: Mapping[str, str] | None = None,
) -> Target:
    """The stack's Target under the project root of `start` (a spec file or a folder)."""
    located = locate(start, backend, local=local)
    return target_in(located.backend, project, stack, create=create, listed=listed, extra_env=extra_env)


def local_endpoint(target: Target) -> str | None:
    """The emulator URL of a local-target stack (None for AWS)."""
    env = target.extra_env or {}
    return env.get("AWS_ENDPOINT_URL")
