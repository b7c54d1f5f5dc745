"""`runctl destroy SPEC | --project P --stack S`: what goes, what is retained, confirm, destroy."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from runctl_iac.cli.common import EXIT_OK, stack_option, stacks_dir_option
from runctl_iac.cli.engine_common import (
    backend_option,
    local_stack_option,
    project_option,
    spec_or_project_argument,
    yes_option,
)

if TYPE_CHECKING:
    from runctl_iac.engine.workspace import Target


def resolve_stack(
    spec: Path | None,
    project: str | None,
    stack: str | None,
    stacks_dir: Path | None,
    backend: str | None,
    local: bool,
    *,
    command: str,
) -> tuple[Target, str]:
    """(Target, label for hints) from a spec or from --project/--stack; no secret value is needed."""
    from runctl_iac.cli.engine_common import make_target
    from runctl_iac.cli.plan import load_or_exit, usage_error
    from runctl_iac.engine.local import local_target
    from runctl_iac.spec.model import DEFAULT_STACK

    if spec is not None:
        loaded, _ = load_or_exit(spec, stack, stacks_dir)
        name, stack_name, start, is_local = loaded.name, loaded.stack, spec, local or loaded.target == "local"
        label = str(spec) if stack is None else f"{spec} --stack {stack_name}"
    elif project is not None:
        name, stack_name, start, is_local = project, stack or DEFAULT_STACK, Path.cwd(), local
        label = f"--project {name} --stack {stack_name}"
    else:
        raise usage_error(f"{command} needs SPEC, or --project P --stack S")
    from runctl_iac.cli.plan import fail
    from runctl_iac.diagnostics import DiagnosticError

    try:  # e.g. no local emulator running (E0712), a backend without its passphrase (E0710)
        if is_local:
            return local_target(start, name, stack_name)[0], label
        return make_target(start, name, stack_name, backend), label
    except DiagnosticError as exc:
        raise fail(exc.diagnostics) from None


def local_endpoint(target: Target) -> str | None:
    """The emulator URL of a local-target stack (None for AWS)."""
    env = target.extra_env or {}
    return env.get("AWS_ENDPOINT_URL")


def retained_lines(target: Target, kept: list[dict[str, Any]]) -> list[str]:
    """`logical id  AWS id  $/month` for each resource the destroy leaves in AWS."""
    from runctl_iac.engine import snapshot
    from runctl_iac.plan.cost import ebs_monthly, format_usd
    from runctl_iac.plan.prices import ebs_price

    monthly: dict[str, str] = {}
    applied = snapshot.read_applied(target.project, target.stack, target.backend)
    if applied is not None:
        for rid, vol in applied.graph.resources.items():
            props = vol.properties
            price = ebs_price(applied.graph.region, str(props.get("type", "gp3")))
            size = props.get("size")
            if vol.type == "aws:ebs/volume:Volume" and price is not None and isinstance(size, int):
                iops, tput = props.get("iops"), props.get("throughput")
                month = ebs_monthly(
                    price,
                    size,
                    iops if isinstance(iops, int) else None,
                    tput if isinstance(tput, int) else None,
                )
                monthly[rid] = format_usd(month) + "/month"
    from runctl_iac.plan.replace_rules import DATA_TYPES

    out = []
    for res in kept:
        if res.get("type") not in DATA_TYPES:
            continue  # a kept bucket's configuration resources go with it: not listed apart
        rid = str(res.get("urn", "")).rsplit("::", 1)[-1]
        cost = monthly.get(rid, "storage billed per GB-month")
        out.append(f"  {rid}  {res.get('id') or ''}  {cost}")
    return out


def destroy(
    spec: Path | None = spec_or_project_argument(),
    project: str | None = project_option(),
    stack: str | None = stack_option(),
    stacks_dir: Path | None = stacks_dir_option(),
    yes: bool = yes_option(),
    backend: str | None = backend_option(),
    local: bool = local_stack_option(),
) -> None:
    """Destroy the stack: every resource goes except volumes and buckets with `retain: true`,
    which stay in AWS (listed with their ids and monthly cost) and leave the state. The empty
    stack is removed. Works from CI with only project, stack and backend: no spec, no secrets.

    Example:

        runctl destroy --project quickstart --stack pr-123 --backend s3://team-state/runctl --yes
    """
    from runctl_iac.cli.engine_common import TerminalUI, confirmed, interrupted_exit
    from runctl_iac.cli.plan import fail
    from runctl_iac.diagnostics import DiagnosticError
    from runctl_iac.engine import driver, snapshot
    from runctl_iac.engine.teardown import destroy_stack

    target, label = resolve_stack(spec, project, stack, stacks_dir, backend, local, command="destroy")
    ui = TerminalUI("destroy")
    try:
        handle = driver.open_for(target, create=False)
        changes = driver.preview_destroy(handle)
        kept = driver.retained_resources(handle)
        kept_ids = {str(r.get("urn", "")).rsplit("::", 1)[-1] for r in kept}
        going = [c for c in changes.changes if not c.retained and c.id not in kept_ids]
        out = sys.stdout
        out.write(f"destroy {target.project}/{target.stack}: {len(going)} to delete, {len(kept)} retained\n")
        for c in going:
            out.write(f"  - {c.id} ({c.type})\n")
        if kept:
            out.write("retained (stay in AWS, removed from the stack; delete them yourself when done):\n")
            out.write("\n".join(retained_lines(target, kept)) + "\n")
        if going or kept:
            question = f"destroy {target.project}/{target.stack}?"
            hint = f"run `runctl destroy {label} --yes`"
            if not confirmed(ui, yes, command="destroy", question=question, hint=hint):
                out.write("destroy cancelled: nothing was changed\n")
                raise typer.Exit(EXIT_OK)
            view = ui.progress()
            try:
                outcome = destroy_stack(target, view.handle)
            finally:
                view.close()
            from runctl_iac.render.progress import summary_text

            out.write(summary_text(view.model, "destroy"))
            if outcome.removed:
                out.write(f"stack {target.project}/{target.stack} removed\n")
        else:
            resources, pending = driver.state_resources(handle)
            if not resources and not pending:
                driver.remove_stack(handle)
                snapshot.remove_applied(target.project, target.stack, target.backend)
                out.write(f"stack {target.project}/{target.stack} removed\n")
    except DiagnosticError as exc:
        raise fail(exc.diagnostics) from None
    except driver.Interrupted:
        raise interrupted_exit("destroy", target, label) from None
    raise typer.Exit(EXIT_OK)


def register(app: typer.Typer) -> None:
    app.command(name="destroy")(destroy)
