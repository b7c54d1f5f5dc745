"""`runctl eject SPEC --stack S --out DIR`: the applied stack as a standalone Pulumi Python project."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from runctl_iac.cli.common import EXIT_OK, load_compiled, warn
from runctl_iac.cli.job_common import guarded, say
from runctl_iac.cli.stack_args import StackArgs, stack_command

if TYPE_CHECKING:
    from runctl_iac.compiler.graph import Graph
    from runctl_iac.engine.eject_project import StackSource


@stack_command()
def eject(
    where: StackArgs,
    out: Path = typer.Option(
        ..., "--out", "-o", help="A new or empty folder for the project.", show_default=False
    ),
) -> None:
    """Write the applied stack as a plain Pulumi Python project, to leave runctl with it.

    `__main__.py` holds one pulumi_aws statement per resource (real arguments,
    no runctl import), with the names, providers and options runctl used, so
    `pulumi preview` in the folder, against the same stack and backend, shows
    no changes. Beside it: Pulumi.yaml, the stack's Pulumi.<stack>.yaml (copied
    from runctl; secrets stay encrypted or in the environment, never written in
    plain text), requirements.txt pinned to runctl's pulumi and pulumi-aws, a
    README, and the training job's node script and definition. Needs no Pulumi
    CLI; the stack must have been applied with runctl from this project.

    Example:

        runctl eject examples/quickstart.yaml --stack dev --out ejected/quickstart
    """
    spec, backend = where.spec_path, where.backend
    loaded, graph, plan, warnings = load_compiled(spec, where.stack, where.stacks_dir, where.local)
    warn(warnings)

    def body() -> int:
        from runctl_iac.engine.eject_project import check_ejectable, eject_files, write_project
        from runctl_iac.launch.script import render_script

        check_ejectable(graph)  # E0726 before any stack or passphrase question
        source = _source(spec, graph, backend, local=loaded.target == "local")
        script = None
        if plan.nodes:
            script = render_script(plan, None, project=graph.project, stack=graph.stack, region=graph.region)
        files = eject_files(graph, plan, source, script)
        write_project(out, files)
        _warn_if_changed(spec, graph, backend, local=loaded.target == "local")
        for rel in sorted(files):
            sys.stdout.write(f"{out / rel}\n")
        say(
            f"ejected {graph.project}/{graph.stack}: {len(graph.resources)} resources; "
            f"see {out / 'README.md'}"
        )
        return EXIT_OK

    raise typer.Exit(guarded(body))


def _source(spec: Path, graph: Graph, backend: str | None, *, local: bool) -> StackSource:
    """Where runctl keeps the stack: config file, backend, how to give the passphrase."""
    from runctl_iac.diagnostics import DiagnosticError
    from runctl_iac.engine.eject_project import StackSource, read_stack_config
    from runctl_iac.stackref import backend_for, project_root, resolve_passphrase, work_dir

    root = project_root(spec)
    config_name = f"Pulumi.{graph.stack}.yaml"
    if local:
        from runctl_iac.engine.local import local_target
        from runctl_iac.stackref import LOCAL_PASSPHRASE, local_dir

        try:
            endpoint: str | None = local_target(spec, graph.project, graph.stack)[1]
        except DiagnosticError:
            endpoint = None  # the emulator is stopped: the compiled endpoints stand
        resolved = backend_for(spec, local=True)
        folder = local_dir(root) / "work" / graph.project / graph.stack
        note = f"export PULUMI_CONFIG_PASSPHRASE={LOCAL_PASSPHRASE}  # the local target's own (not a secret)"
        return StackSource(folder / config_name, resolved.url, note, endpoint)
    resolved = backend_for(spec, flag=backend)
    config_file = work_dir(root, graph.project, graph.stack) / config_name
    read_stack_config(StackSource(config_file, "", ""))  # E0720 before any passphrase question
    phrase = resolve_passphrase(resolved)
    if phrase is None:
        note = f"# secrets provider: {resolved.secrets_provider} (as in runctl.toml)"
    elif phrase.source.startswith(("RUNCTL_", "PULUMI_")):
        note = f'export PULUMI_CONFIG_PASSPHRASE="${phrase.source}"  # the passphrase runctl used'
    else:
        note = f"export PULUMI_CONFIG_PASSPHRASE_FILE={phrase.source}  # runctl's generated passphrase"
    url = "" if resolved.kind == "cloud" else resolved.url
    return StackSource(config_file, url, note)


def _warn_if_changed(spec: Path, graph: Graph, backend: str | None, *, local: bool) -> None:
    """W0722 when the applied snapshot holds another spec hash (then preview shows the difference)."""
    from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity
    from runctl_iac.engine.snapshot import read_applied
    from runctl_iac.render.diagnostics import render_text, use_colour
    from runctl_iac.stackref import backend_for

    try:
        applied = read_applied(graph.project, graph.stack, backend_for(spec, flag=backend, local=local))
    except DiagnosticError:
        return  # an unreadable snapshot: nothing to compare with
    if applied is None or applied.spec_hash == graph.spec_hash():
        return
    warning = Diagnostic(
        Severity.WARNING,
        "W0722",
        f"the spec differs from what was last applied to {graph.project}/{graph.stack}: "
        "`pulumi preview` in the ejected project will show the difference",
        str(spec),
        hint="run `runctl apply` first to eject a project that previews with no changes",
    )
    sys.stderr.write(render_text([warning], colour=use_colour(sys.stderr)))


def register(app: typer.Typer) -> None:
    app.command(name="eject")(eject)
