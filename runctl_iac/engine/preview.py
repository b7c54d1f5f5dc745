"""The engine preview for `runctl plan`: when it can run, and the `Changes` it gives.

`plan` without a flag uses the engine only when that is cheap to know it will work: a Pulumi CLI
is found, the stack already exists in the backend, the secret variables are set and AWS
credentials (or the local emulator) are there; otherwise it stays offline and says why.
`plan --engine` requires it; `plan --offline` never tries. A preview never leaves a stack
behind: one created for it is removed again when it holds nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from runctl_iac.diagnostics import DiagnosticError
from runctl_iac.engine.workspace import Target
from runctl_iac.stackref import Backend

if TYPE_CHECKING:
    from runctl_iac.compiler.graph import Graph
    from runctl_iac.plan.model import Changes
    from runctl_iac.spec.model import Spec


def stack_exists(backend: Backend, project: str, stack: str) -> bool | None:
    """Whether the stack is in the backend, when that can be seen without the CLI (file backends)."""
    if backend.kind != "file" or backend.state_dir is None:
        return None
    stacks = backend.state_dir / ".pulumi" / "stacks"
    return (
        any((stacks / project / f"{stack}.json{ext}").is_file() for ext in ("", ".gz"))
        or (stacks / f"{stack}.json").is_file()
    )


def _credentials_present(environ: Mapping[str, str]) -> bool:
    if environ.get("AWS_ACCESS_KEY_ID") or environ.get("AWS_PROFILE"):
        return True
    home = Path(environ.get("HOME") or Path.home())
    return any((home / ".aws" / f).is_file() for f in ("credentials", "config"))


def why_not(
    graph: Graph, target: Target | None, *, local: bool, environ: Mapping[str, str] | None = None
) -> str | None:
    """Why plan stays offline by default (None: the engine preview can run)."""
    from runctl_iac.engine.command import find_cli
    from runctl_iac.engine.program import secret_env_names

    env = os.environ if environ is None else environ
    if target is None:
        return "the stack's backend settings are not usable"
    if stack_exists(target.backend, graph.project, graph.stack) is False:
        return "the stack was never applied"
    missing = [n for n in secret_env_names(graph) if not env.get(n)]
    if missing:
        return "secret variables are not set: " + ", ".join(missing)
    if not local and not _credentials_present(env):
        return "no AWS credentials"
    if find_cli() is None:
        return "no Pulumi CLI"
    return None


def engine_changes(
    spec: Spec,
    graph: Graph,
    target: Target,
    *,
    endpoint_url: str | None,
    account_lookup: Callable[[], str] | None,
    now: datetime | None = None,
    refresh: bool = True,
) -> Changes:
    """Preview the stack with the spec's program; the stack's apply-time config is filled in as
    apply would (existing values kept). With `refresh` (the default, as apply does) the state is
    first compared with AWS, so what was changed or deleted by hand shows as its repair."""
    from runctl_iac.engine import driver
    from runctl_iac.engine import workspace as ws
    from runctl_iac.engine.apply import ApplyRequest, stack_config
    from runctl_iac.engine.program import check_secret_env
    from runctl_iac.plan.config import ProjectConfig

    check_secret_env(graph)
    program = driver.graph_program(graph, endpoint_url)
    created = False
    try:
        stack = driver.open_for(target, program, create=False)
    except DiagnosticError as exc:
        if exc.diagnostics[0].code != "E0711":
            raise
        stack = driver.open_for(target, program, create=True)
        created = True
    try:
        from runctl_iac.compiler.graph import LaunchPlan

        req = ApplyRequest(
            spec_path=Path(),
            spec=spec,
            graph=graph,
            launch_plan=LaunchPlan("", (), None, None, "", {}, (), {}),
            target=target,
            config=ProjectConfig(),
            account_lookup=account_lookup,
            now=lambda: now or datetime.now(UTC),
        )
        current = ws.plain_config(stack)
        driver.configure(stack, stack_config(req, current))
        return driver.preview(stack, refresh=refresh and not created)
    finally:
        if created and not driver.state_resources(stack)[0]:
            driver.remove_stack(stack)
