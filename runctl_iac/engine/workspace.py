"""One `LocalWorkspace` per project/stack, in a persistent work dir, with runctl's backend settings.

`Target` carries everything needed to reach a stack without a spec (destroy from CI needs only
project, stack and backend). pulumi is imported inside the functions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runctl_iac.stackref import Backend, Passphrase, engine_env, ensure_runctl_dir, runctl_dir, work_dir

if TYPE_CHECKING:
    from pulumi.automation import PulumiCommand, Stack

REGION_CONFIG = "aws:region"
EXPIRES_AT_CONFIG = "runctl:expiresAt"
TTL_CONFIG = "runctl:ttl"
EXPIRES_TAG = "runctl:expires-at"
OWNER_TAG = "runctl:owner"


@dataclass(frozen=True)
class Target:
    project: str
    stack: str
    backend: Backend
    passphrase: Passphrase | None
    command: PulumiCommand | None = None  # None: the CLI found by engine.command
    extra_env: Mapping[str, str] | None = None  # e.g. fake credentials for the local target
    work_root: Path | None = None  # where work dirs live instead of <root>/.runctl (local target)


def _noop_program() -> None:
    """The program for operations that do not run the spec's program (destroy, refresh, cancel)."""


def _command(target: Target) -> PulumiCommand:
    if target.command is not None:
        return target.command
    from runctl_iac.engine.command import pulumi_command

    return pulumi_command()


def open_stack(target: Target, program: Callable[[], None] | None = None, *, create: bool = True) -> Stack:
    """Select (or, with `create`, create) the stack in its persistent work dir."""
    from pulumi import automation as auto

    folder = work_dir(target.backend.root, target.project, target.stack)
    if target.work_root is None:
        ensure_runctl_dir(target.backend.root)
    else:
        folder = target.work_root / "work" / target.project / target.stack
    folder.mkdir(parents=True, exist_ok=True)
    env = {**engine_env(target.backend, target.passphrase), **(target.extra_env or {})}
    provider = target.backend.secrets_provider
    if provider is None and target.backend.kind != "cloud":
        provider = "passphrase"
    opts = auto.LocalWorkspaceOptions(
        work_dir=str(folder),
        env_vars=env,
        secrets_provider=provider,
        project_settings=auto.ProjectSettings(name=target.project, runtime="python"),
        pulumi_command=_command(target),
    )
    fn = program or _noop_program
    if create:
        return auto.create_or_select_stack(
            stack_name=target.stack, project_name=target.project, program=fn, opts=opts
        )
    return auto.select_stack(stack_name=target.stack, project_name=target.project, program=fn, opts=opts)


def plain_config(stack: Stack) -> dict[str, str]:
    """The stack's configuration values (runctl stores no secrets in config)."""
    return {k: v.value for k, v in stack.get_all_config().items() if not v.secret}


def set_config(stack: Stack, values: Mapping[str, str | None]) -> None:
    """Set (value) or remove (None) configuration keys, in one CLI call each way."""
    from pulumi import automation as auto

    to_set = {k: auto.ConfigValue(v) for k, v in values.items() if v is not None}
    to_remove = [k for k, v in values.items() if v is None]
    if to_set:
        stack.set_all_config(to_set)
    if to_remove:
        stack.remove_all_config(to_remove)


def set_tags(stack: Stack, tags: Mapping[str, str | None]) -> list[str]:
    """Set or remove stack tags; returns the keys the backend refused (tags are a convenience for
    `runctl stacks`, never the source of truth: the config holds the expiry)."""
    from pulumi.automation.errors import CommandError

    failed: list[str] = []
    for key, value in tags.items():
        try:
            if value is None:
                stack.remove_tag(key)
            else:
                stack.set_tag(key, value)
        except CommandError:
            failed.append(key)
    return failed


def owner() -> str:
    """Who applied: RUNCTL_OWNER, else the login name (a stack tag, for `runctl stacks`)."""
    import getpass
    import os

    try:
        return os.environ.get("RUNCTL_OWNER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def outputs_plain(stack: Stack) -> dict[str, Any]:
    """Stack outputs as plain JSON; secret outputs are left out."""
    return {k: v.value for k, v in stack.outputs().items() if not v.secret}


@dataclass(frozen=True)
class StackRow:
    project: str
    stack: str
    last_update: str | None
    resource_count: int | None
    update_in_progress: bool
    expires_at: str | None
    owner: str | None


def list_stacks(
    backend: Backend, passphrase: Passphrase | None, command: PulumiCommand | None = None
) -> list[StackRow]:
    """Every stack in the backend (all projects), with the expiry and owner tags."""
    from pulumi import automation as auto
    from pulumi.automation.errors import CommandError

    ensure_runctl_dir(backend.root)
    folder = runctl_dir(backend.root) / "work" / "_stacks"
    folder.mkdir(parents=True, exist_ok=True)
    target = Target("runctl-stacks", "-", backend, passphrase, command)
    workspace = auto.LocalWorkspace(
        work_dir=str(folder),
        env_vars=engine_env(backend, passphrase),
        project_settings=auto.ProjectSettings(name="runctl-stacks", runtime="python"),
        pulumi_command=_command(target),
    )
    try:
        summaries = workspace.list_stacks(include_all=True)
    except CommandError as exc:
        from runctl_iac.engine.errors import engine_error

        raise engine_error(exc, operation="stack listing") from None
    rows: list[StackRow] = []
    for summary in summaries:
        parts = summary.name.split("/")
        project = parts[-2] if len(parts) >= 2 else "?"
        try:
            tags = workspace.list_tags(summary.name)
        except CommandError:  # tags are a convenience; a backend may refuse them
            tags = {}
        rows.append(
            StackRow(
                project=project,
                stack=parts[-1],
                last_update=summary.last_update.strftime("%Y-%m-%dT%H:%M:%SZ")
                if summary.last_update
                else None,
                resource_count=summary.resource_count,
                update_in_progress=bool(summary.update_in_progress),
                expires_at=tags.get(EXPIRES_TAG),
                owner=tags.get(OWNER_TAG),
            )
        )
    return sorted(rows, key=lambda r: (r.project, r.stack))
