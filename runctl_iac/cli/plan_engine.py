"""The engine side of `runctl plan`: the applied snapshot through the backend settings, and the
engine preview (`--engine` requires it, `--offline` skips it, by default only when it can run)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runctl_iac.compiler.graph import Graph
    from runctl_iac.engine.workspace import Target
    from runctl_iac.plan.base import ResolvedBase
    from runctl_iac.plan.config import ProjectConfig
    from runctl_iac.plan.model import Changes
    from runctl_iac.spec.model import Spec


def _target(spec_path: Path, spec: Spec, backend: str | None, *, create: bool) -> Target:
    from runctl_iac.engine.targets import stack_target

    local = spec.target == "local"
    return stack_target(spec_path, spec.name, spec.stack, backend, local=local, create=create)


def applied_base(spec_path: Path, spec: Spec, backend: str | None, config: ProjectConfig) -> ResolvedBase:
    """The stack's applied snapshot, found where its state lives (no cloud SDK for file backends)."""
    from runctl_iac.engine.snapshot import read_applied
    from runctl_iac.plan.base import ResolvedBase
    from runctl_iac.plan.model import PlanBase
    from runctl_iac.stackref import backend_for

    resolved = backend_for(spec_path, backend, local=spec.target == "local")
    applied = read_applied(spec.name, spec.stack, resolved)
    if applied is None:
        from runctl_iac.engine.snapshot import location

        where = location(spec.name, spec.stack, resolved)
        why = f"no applied snapshot for {spec.name}/{spec.stack} ({where}): everything is created"
        return ResolvedBase(PlanBase("none"), None, why)
    return ResolvedBase(PlanBase("snapshot", applied.location, applied.spec_hash), applied.graph)


def preview_changes(
    spec_path: Path,
    spec: Spec,
    graph: Graph,
    backend: str | None,
    config: ProjectConfig,
    *,
    required: bool,
    refresh: bool = True,
) -> Changes | None:
    """The engine's changes, or None when the plan stays offline (raises when `required` fails)."""
    from runctl_iac.diagnostics import DiagnosticError
    from runctl_iac.engine.account import caller_account
    from runctl_iac.engine.preview import engine_changes, why_not

    endpoint = None
    try:
        target = _target(spec_path, spec, backend, create=required)
        if spec.target == "local":
            env = target.extra_env or {}
            endpoint = env.get("AWS_ENDPOINT_URL")
    except DiagnosticError:
        if required:
            raise
        return None
    if not required:
        reason = why_not(graph, target, local=spec.target == "local")
        if reason is not None:
            if reason not in ("no Pulumi CLI", "the stack was never applied"):
                sys.stderr.write(f"note: offline plan ({reason}); --engine requires the engine preview\n")
            return None
    try:
        changes = engine_changes(
            spec,
            graph,
            target,
            endpoint_url=endpoint,
            account_lookup=lambda: caller_account(spec.region, endpoint),
            refresh=refresh,
        )
        _note_stopped(spec, target, endpoint)
        return changes
    except DiagnosticError as exc:
        if required:
            raise
        sys.stderr.write(f"note: offline plan (the engine preview failed: {exc.diagnostics[0].message})\n")
        return None


def _note_stopped(spec: Spec, target: Target, endpoint: str | None) -> None:
    """Instances autostop stopped: `runctl apply` starts them again (never replaced), the plan says so."""
    from runctl_iac.engine.snapshot import read_applied
    from runctl_iac.launch.stopped import stopped_instances

    applied = read_applied(spec.name, spec.stack, target.backend)
    stopped = stopped_instances(applied.outputs, spec.region, endpoint) if applied is not None else []
    if stopped:
        many = "s" if len(stopped) > 1 else ""
        sys.stderr.write(
            f"note: `runctl apply` will start {len(stopped)} stopped instance{many} "
            f"(autostop; kept, not replaced): {', '.join(stopped)}\n"
        )
