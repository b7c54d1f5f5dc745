"""`runctl apply SPEC`: offline plan, engine preview, confirm, up with progress, snapshot, launch."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from runctl_iac.cli.common import EXIT_ERROR, fail, load_compiled, usage_error, yes_option
from runctl_iac.cli.stack_args import StackArgs, stack_command

if TYPE_CHECKING:
    from collections.abc import Callable

    from runctl_iac.engine.apply import AppliedStack


def launch_stage(*, wait: bool, yes: bool) -> Callable[[AppliedStack], int]:
    """The launch stage apply runs after `up` (unless --no-launch): the training job on every node."""

    def after_up(applied: AppliedStack) -> int:
        from runctl_iac.launch import launch_after_apply

        return launch_after_apply(applied, wait=wait, yes=yes)

    return after_up


@stack_command()
def apply(
    where: StackArgs,
    yes: bool = yes_option(),
    no_launch: bool = typer.Option(False, "--no-launch", help="Create the infrastructure only."),
    wait: bool = typer.Option(
        False, "--wait", help="After the launch, wait for the job: exit 0 only when every node succeeded."
    ),
    no_refresh: bool = typer.Option(
        False, "--no-refresh", help="Do not read AWS first: changes made by hand are not repaired."
    ),
    parallel: int | None = typer.Option(None, "--parallel", min=1, help="Resource operations at once."),
    plan_file: Path | None = typer.Option(
        None, "--plan", metavar="FILE", help="Apply only if this reviewed plan (JSON) still matches."
    ),
    target: list[str] = typer.Option([], "--target", metavar="ID", help="Update only this resource."),
    target_dependents: bool = typer.Option(
        False, "--target-dependents", help="With --target: also update what depends on it."
    ),
    candidate: int | None = typer.Option(
        None,
        "--candidate",
        metavar="N",
        min=1,
        help="Use capacity candidate N only (as `runctl plan` numbers them).",
    ),
) -> None:
    """Create or update the stack for SPEC: plan, preview, confirm, apply, then launch training.

    The preview and the update first read what AWS has now (like Terraform's refresh), so a
    resource deleted or changed by hand is put back as the spec says; --no-refresh skips that.
    Without a terminal (CI), --yes is required. With --plan FILE, the apply goes ahead only if the
    plan document reviewed (from `runctl plan --out FILE`) was computed for this spec and this
    applied state.

    Example:

        runctl apply examples/quickstart.yaml --stack dev --yes --plan plan.json

    With --wait (what CI wants), the command ends with the job's own outcome: exit 0 when every node
    succeeded, 1 otherwise with the failing node, its state and the tail of its log.

    A group with `capacity:` candidates fails over: on a capacity error the next candidate is tried,
    the one that worked is recorded in the stack, and a table of the tries is printed; --candidate N
    pins one (`runctl apply examples/capacity.yaml --candidate 3`).
    """
    flags = ApplyFlags(
        yes, no_launch, wait, not no_refresh, parallel, plan_file, tuple(target), target_dependents, candidate
    )
    raise typer.Exit(apply_stack(where, flags))


@dataclass(frozen=True)
class ApplyFlags:
    """How to apply: the command's options (`runctl watch` re-applies with yes and no_launch)."""

    yes: bool = False
    no_launch: bool = False
    wait: bool = False
    refresh: bool = True
    parallel: int | None = None
    plan_file: Path | None = None
    targets: tuple[str, ...] = ()
    target_dependents: bool = False
    candidate: int | None = None


def apply_stack(where: StackArgs, flags: ApplyFlags) -> int:
    """Apply SPEC's stack (capacity failover included); the exit code (0 or 1). Diagnostics and
    Ctrl-C end the command, as for every engine command (`engine_exits`)."""
    from runctl_iac.cli.engine_common import TerminalUI, engine_exits, new_passphrase_warning
    from runctl_iac.compiler import compile as compile_spec
    from runctl_iac.diagnostics import DiagnosticError
    from runctl_iac.engine.account import caller_account
    from runctl_iac.engine.apply import ApplyRequest
    from runctl_iac.engine.command import pulumi_command
    from runctl_iac.engine.failover import apply_with_failover
    from runctl_iac.engine.targets import local_endpoint, stack_target
    from runctl_iac.launch.stopped import start_instances, stopped_instances
    from runctl_iac.plan.config import load_project_config

    spec = where.spec_path
    loaded, graph, launch_plan, warnings = load_compiled(spec, where.stack, where.stacks_dir, where.local)
    if loaded.target == "local" and where.backend is not None:
        raise usage_error("--backend does not apply to the local target: its state lives in .runctl/local/")
    ui = TerminalUI("update")
    if warnings:
        ui.warn(warnings)
    try:
        pulumi_command()  # E0701 (no CLI, or too old) before a passphrase is generated for nothing
        is_local = loaded.target == "local"
        tgt = stack_target(spec, graph.project, graph.stack, where.backend, local=is_local, create=True)
    except DiagnosticError as exc:
        raise fail(exc.diagnostics) from None
    with engine_exits("apply", tgt, str(spec)):
        new_passphrase_warning(tgt)
        endpoint = local_endpoint(tgt)
        request = ApplyRequest(
            spec_path=spec,
            spec=loaded,
            graph=graph,
            launch_plan=launch_plan,
            target=tgt,
            config=load_project_config(spec),
            yes=flags.yes,
            no_launch=flags.no_launch,
            refresh=flags.refresh,
            parallel=flags.parallel,
            plan_file=flags.plan_file,
            targets=list(flags.targets),
            target_dependents=flags.target_dependents,
            endpoint_url=endpoint,
            after_up=launch_stage(wait=flags.wait, yes=flags.yes),
            account_lookup=lambda: caller_account(loaded.region, endpoint),
            stopped_lookup=lambda outputs: stopped_instances(outputs, loaded.region, endpoint),
            start_stopped=lambda ids: start_instances(ids, loaded.region, endpoint),
        )
        code = apply_with_failover(request, ui, compile_spec, flags.candidate)
    return code if code in (0, EXIT_ERROR) else EXIT_ERROR


def register(app: typer.Typer) -> None:
    app.command(name="apply")(apply)
