"""`runctl resources`: every runctl-managed AWS resource found by tags, with age, expiry and $/hour."""

from __future__ import annotations

import typer

from runctl_iac.cli.common import EXIT_OK, OutputFormat, check_output, fail, output_option, write_out
from runctl_iac.cli.stack_args import local_option, project_option

FORMATS = (OutputFormat.text, OutputFormat.json)


def region_option() -> list[str]:
    return typer.Option(
        [],
        "--region",
        "-r",
        help="Region to search (repeatable). Default: regions in runctl.toml, else the AWS profile's region.",
        show_default=False,
    )


def resources(
    project: str | None = project_option(),
    stack: str | None = typer.Option(None, "--stack", "-s", help="Only this stack.", show_default=False),
    region: list[str] = region_option(),
    output: OutputFormat = output_option(*FORMATS),
    local: bool = local_option(),
) -> None:
    """List every runctl-managed resource (tagged runctl:managed-by) across stacks and machines.

    Shows project, stack, type, id, region, age, expiry (EXPIRED when passed), whether it is
    retained, and $/hour from the price catalog; sorted by cost, with totals per stack. Needs
    AWS credentials with read access (EC2, IAM, SSM, S3, Resource Groups Tagging API); --local
    lists the local emulator's instead.

    Example:

        runctl resources --region us-east-1 --region us-west-2 --output json
    """
    check_output(output, *FORMATS)
    from runctl_iac.diagnostics import DiagnosticError
    from runctl_iac.teardown.service import list_resources

    try:
        listing = list_resources(region, project=project, stack=stack, local=local)
    except DiagnosticError as exc:
        raise fail(exc.diagnostics) from None
    if output is OutputFormat.json:
        from runctl_iac.render.teardown import render_resources_json

        write_out(render_resources_json(listing))
    else:
        from runctl_iac.render.teardown import render_resources_text

        write_out(render_resources_text(listing))
    raise typer.Exit(EXIT_OK)


def register(app: typer.Typer) -> None:
    app.command(name="resources")(resources)
