"""`runctl doctor`: is everything `apply` needs here? Each check is data: ok, detail, hint, required.

The CLI and the plugin are asked through subprocess (`pulumi version`, `pulumi plugin ls --json`),
credentials through STS GetCallerIdentity (boto3), the backend by writing and removing a probe file
(or object). `install` uses `PulumiCommand.install()` and `pulumi plugin install resource aws V`
with V the installed pulumi_aws package's version.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from runctl_iac.diagnostics import DiagnosticError
from runctl_iac.engine import command as clicmd
from runctl_iac.engine import local
from runctl_iac.stackref import Backend, ensure_state, resolve_passphrase


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    hint: str | None = None
    required: bool = True  # apply cannot work without it


def aws_plugin_version() -> str:
    """The aws plugin version matching the installed pulumi_aws package."""
    try:
        return importlib.metadata.version("pulumi_aws")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def check_cli(info: clicmd.CliInfo | None) -> Check:
    if info is None:
        return Check("Pulumi CLI", False, "not found", clicmd.INSTALL_HINT)
    version = clicmd.parse_version(info.version)
    if version is None or version < clicmd.MIN_VERSION:
        return Check(
            "Pulumi CLI",
            False,
            f"{info.version} at {info.path} (minimum {clicmd.MIN_VERSION_TEXT})",
            clicmd.INSTALL_HINT,
        )
    return Check("Pulumi CLI", True, f"v{info.version} at {info.path} (minimum {clicmd.MIN_VERSION_TEXT})")


def _run(argv: list[str]) -> subprocess.CompletedProcess[str] | None:
    env = {**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"}
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False, env=env)
    except (OSError, subprocess.SubprocessError):
        return None


def check_plugin(info: clicmd.CliInfo | None) -> Check:
    wanted = aws_plugin_version()
    hint = f"run `runctl doctor --install` (installs the aws plugin v{wanted})"
    if info is None:
        return Check("AWS plugin", False, "not checked: no Pulumi CLI", hint)
    out = _run([info.path, "plugin", "ls", "--json"])
    if out is None or out.returncode != 0:
        return Check("AWS plugin", False, "`pulumi plugin ls` failed", hint)
    try:
        plugins = json.loads(out.stdout or "[]") or []
    except json.JSONDecodeError:
        return Check("AWS plugin", False, "`pulumi plugin ls --json` did not answer JSON", hint)
    versions = sorted(
        str(p.get("version", "")) for p in plugins if p.get("name") == "aws" and p.get("kind") == "resource"
    )
    if wanted in versions:
        return Check("AWS plugin", True, f"aws v{wanted} (matches pulumi_aws {wanted})")
    on_path = shutil.which("pulumi-resource-aws")
    if on_path:  # the engine uses a plugin found on PATH (with a warning), e.g. a stand-in or a dev build
        return Check("AWS plugin", True, f"pulumi-resource-aws from PATH ({on_path})")
    if versions:
        return Check(
            "AWS plugin", False, f"aws {', '.join(versions)} installed; pulumi_aws needs v{wanted}", hint
        )
    return Check("AWS plugin", False, "not installed", hint)


DYNAMIC_PLUGIN = "pulumi-resource-pulumi-python"


def check_dynamic_plugin(info: clicmd.CliInfo | None) -> Check:
    """The plugin that hosts runctl's RunPod dynamic provider: the official Pulumi CLI ships it beside
    `pulumi`; the engine also takes one from PATH. Needed only for specs with `provider: runpod`."""
    name = "RunPod (dynamic provider plugin)"
    hint = (
        f"install the official Pulumi CLI (it ships {DYNAMIC_PLUGIN} beside `pulumi`), or put a "
        "script that runs `python3 -u -m pulumi.dynamic` with runctl's Python on PATH under that name"
    )
    beside = Path(info.path).parent / DYNAMIC_PLUGIN if info is not None else None
    if beside is not None and beside.exists():
        return Check(name, True, f"{DYNAMIC_PLUGIN} beside the Pulumi CLI ({beside})", required=False)
    on_path = shutil.which(DYNAMIC_PLUGIN)
    if on_path:
        return Check(name, True, f"{DYNAMIC_PLUGIN} from PATH ({on_path})", required=False)
    return Check(name, False, f"{DYNAMIC_PLUGIN} not found", hint, required=False)


def check_credentials() -> tuple[Check, str | None]:
    """(check, region of the session)."""
    import boto3
    import botocore.exceptions

    session = boto3.Session()
    region = session.region_name
    try:
        ident = session.client("sts", region_name=region or "us-east-1").get_caller_identity()
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        name = type(exc).__name__
        return Check(
            "AWS credentials",
            False,
            f"none usable ({name})",
            "log in (`aws sso login`, or export AWS_PROFILE / AWS_ACCESS_KEY_ID)",
        ), region
    return Check("AWS credentials", True, f"account {ident['Account']}, {ident['Arn']}"), region


def check_region(region: str | None) -> Check:
    if region:
        return Check(
            "AWS region", True, f"{region} (default of the session; specs set their own)", required=False
        )
    return Check(
        "AWS region",
        False,
        "no default region (specs set their own `region`)",
        "export AWS_REGION to use the AWS CLI and boto3 the same way",
        required=False,
    )


def check_backend(backend: Backend) -> Check:
    label = f"{backend.url} ({backend.source})"
    hint = "check the URL and that you may write there"
    try:
        if backend.kind == "file" and backend.state_dir is not None:
            ensure_state(backend)
            probe = backend.state_dir / f".runctl-doctor-{uuid.uuid4().hex}"
            probe.write_text("probe\n", encoding="utf-8")
            probe.unlink()
        elif backend.kind == "s3":
            import boto3

            bucket, _, prefix = backend.url.removeprefix("s3://").partition("/")
            key = f"{prefix.strip('/')}/.runctl-doctor-{uuid.uuid4().hex}".lstrip("/")
            client = boto3.client("s3")
            client.put_object(Bucket=bucket, Key=key, Body=b"probe\n")
            client.delete_object(Bucket=bucket, Key=key)
        else:
            return Check("State backend", True, f"{label}: Pulumi Cloud (log in with `pulumi login`)")
    except Exception as exc:
        return Check("State backend", False, f"{label}: not writable ({type(exc).__name__})", hint)
    return Check("State backend", True, f"{label}: writable")


def check_passphrase(backend: Backend) -> Check:
    try:
        phrase = resolve_passphrase(backend)
    except DiagnosticError as exc:
        diag = exc.diagnostics[0]
        if backend.default:
            return Check("Secrets", True, "passphrase: generated into .runctl/passphrase on the first apply")
        return Check("Secrets", False, diag.message, diag.hint)
    if phrase is None:
        return Check("Secrets", True, f"secrets provider {backend.secrets_provider}")
    return Check("Secrets", True, f"passphrase from {phrase.source}")


def check_local(root: Path) -> Check:
    if not local.moto_installed():
        return Check("Local emulator", False, "moto server not installed", local.INSTALL_HINT, required=False)
    server = local.status(root)
    if server is None:
        return Check(
            "Local emulator", True, "moto installed (not running: `runctl local start`)", required=False
        )
    return Check("Local emulator", True, f"running at {server.url} (pid {server.pid})", required=False)


def run_checks(backend: Backend, home: Path | None = None) -> list[Check]:
    info = clicmd.find_cli(home)
    credentials, region = check_credentials()
    return [
        check_cli(info),
        check_plugin(info),
        check_dynamic_plugin(info),
        credentials,
        check_region(region),
        check_backend(backend),
        check_passphrase(backend),
        check_local(backend.root),
    ]


def install(home: Path | None = None) -> list[str]:
    """Install the CLI (when missing) and the aws plugin; returns what was done. Raises E0701/E0705."""
    from runctl_iac.diagnostics import Diagnostic, Severity

    done: list[str] = []
    info = clicmd.find_cli(home)
    if info is None:
        from pulumi.automation import PulumiCommand

        try:
            cmd = PulumiCommand.install()
        except Exception as exc:
            raise DiagnosticError(
                [
                    Diagnostic(
                        Severity.ERROR,
                        "E0701",
                        f"the Pulumi CLI could not be installed ({type(exc).__name__})",
                        hint="without access to get.pulumi.com, build it from the Go module proxy: "
                        "`make engine-cli`",
                    )
                ]
            ) from None
        done.append(f"installed the Pulumi CLI at {cmd.command}")
        info = clicmd.probe(Path(cmd.command))
        if info is None:
            raise clicmd.missing_cli_error()
    wanted = aws_plugin_version()
    if not check_plugin(info).ok:
        out = _run([info.path, "plugin", "install", "resource", "aws", wanted])
        if out is None or out.returncode != 0:
            why = (out.stderr.strip().splitlines() or ["no output"])[-1] if out is not None else "did not run"
            raise DiagnosticError(
                [
                    Diagnostic(
                        Severity.ERROR,
                        "E0705",
                        f"the aws plugin v{wanted} could not be installed: {why[:300]}",
                        hint="it is downloaded from get.pulumi.com or GitHub: run where the network allows",
                    )
                ]
            )
        done.append(f"installed the aws plugin v{wanted}")
    return done
