"""Where a stack lives: project root, state backend, secrets provider, passphrase, work dir.

- Project root: the nearest directory, from the spec's folder upward, holding `runctl.toml`,
  `pyproject.toml` or `.git` (the spec's own folder when none does). `.runctl/` lives there.
- Backend, first found: `--backend URL`, `PULUMI_BACKEND_URL`, `backend = "..."` in runctl.toml,
  else the local file backend `<root>/.runctl/state/` (works with no account).
- Secrets: `secrets_provider = "awskms://..."` in runctl.toml, else the passphrase provider with
  `RUNCTL_PASSPHRASE`, else `PULUMI_CONFIG_PASSPHRASE`; for the default local backend only, a
  passphrase generated once into `<root>/.runctl/passphrase` (mode 0600). Never generated for a
  shared backend: a teammate could not decrypt the state.

No cloud SDK is imported here (the offline `plan` reads the snapshot location through it).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity

ROOT_MARKERS = ("runctl.toml", "pyproject.toml", ".git")
RUNCTL_DIR = ".runctl"
STATE_DIR = "state"
PASSPHRASE_FILE = "passphrase"
PASSPHRASE_ENV = ("RUNCTL_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE")
CLOUD_URL = "https://api.pulumi.com"

BackendKind = Literal["file", "s3", "cloud"]


def project_root(start: str | Path) -> Path:
    """The directory `.runctl/` belongs to (see the module doc)."""
    here = Path(start).resolve()
    if here.is_file() or not here.exists():
        here = here.parent
    for directory in (here, *here.parents):
        if any((directory / marker).exists() for marker in ROOT_MARKERS):
            return directory
    return here


def runctl_dir(root: Path) -> Path:
    return Path(root) / RUNCTL_DIR


def _error(message: str, hint: str, path: str = "") -> DiagnosticError:
    return DiagnosticError([Diagnostic(Severity.ERROR, "E0710", message, path=path, hint=hint)])


@dataclass(frozen=True)
class Backend:
    """A resolved state backend."""

    url: str
    kind: BackendKind
    root: Path  # the project root
    default: bool = False  # the embedded <root>/.runctl/state
    secrets_provider: str | None = None  # None: passphrase
    source: str = "default"  # where the URL came from, for doctor and hints

    @property
    def state_dir(self) -> Path | None:
        """The folder of a file backend."""
        if self.kind != "file":
            return None
        return Path(self.url.removeprefix("file://"))

    def describe(self) -> str:
        return f"{self.url} ({self.source})"


def _file_url(raw: str, root: Path) -> str:
    path = raw.removeprefix("file://")
    p = Path(os.path.expanduser(path))
    if not p.is_absolute():
        p = Path(root) / p
    return "file://" + str(p.resolve())


def resolve_backend(
    root: Path,
    *,
    flag: str | None = None,
    environ: Mapping[str, str] | None = None,
    configured: str | None = None,
    secrets_provider: str | None = None,
) -> Backend:
    env = os.environ if environ is None else environ
    for source, raw in (
        ("--backend", flag),
        ("PULUMI_BACKEND_URL", env.get("PULUMI_BACKEND_URL")),
        ("runctl.toml", configured),
    ):
        if raw:
            return Backend(
                _normalise(raw, root, source), _kind(raw, source), root, False, secrets_provider, source
            )
    url = "file://" + str((runctl_dir(root) / STATE_DIR).resolve())
    return Backend(url, "file", root, True, secrets_provider, "default")


def _kind(raw: str, source: str) -> BackendKind:
    if raw.startswith("file://"):
        return "file"
    if raw.startswith("s3://"):
        return "s3"
    if raw.startswith(("https://", "http://")):
        return "cloud"
    raise _error(
        f"{source}: backend {raw!r} is not supported",
        "use file://PATH, s3://BUCKET/PREFIX or https://api.pulumi.com",
        "backend",
    )


def _normalise(raw: str, root: Path, source: str) -> str:
    if _kind(raw, source) == "file":
        return _file_url(raw, root)
    if raw.startswith("s3://") and len(raw.removeprefix("s3://").split("/", 1)[0]) < 3:
        raise _error(f"{source}: {raw!r} names no bucket", "use s3://BUCKET/PREFIX", "backend")
    return raw.rstrip("/")


@dataclass(frozen=True)
class Passphrase:
    value: str = field(repr=False)
    source: str  # the variable or file it came from, never the value
    generated: bool = False  # written just now: the caller says so, once and loudly


def passphrase_path(root: Path) -> Path:
    return runctl_dir(root) / PASSPHRASE_FILE


def resolve_passphrase(
    backend: Backend, environ: Mapping[str, str] | None = None, *, create: bool = False
) -> Passphrase | None:
    """The passphrase for the stack's secrets; None when a KMS-style secrets provider is set.

    `create`: for the default local backend only, generate `.runctl/passphrase` when no passphrase
    is given (the first apply). Raises E0710 when none can be had."""
    env = os.environ if environ is None else environ
    for name in PASSPHRASE_ENV:
        if env.get(name):
            return Passphrase(env[name], name)
    if backend.secrets_provider:
        return None
    if not backend.default:
        raise _error(
            f"the backend {backend.url} is shared and no passphrase is set",
            "export RUNCTL_PASSPHRASE (the same value for every teammate and CI runner), or set "
            'secrets_provider = "awskms://alias/..." in runctl.toml',
        )
    path = passphrase_path(backend.root)
    if path.is_file():
        value = path.read_text(encoding="utf-8").strip()
        if value:
            return Passphrase(value, str(path))
    if not create:
        raise _error(
            f"no passphrase: RUNCTL_PASSPHRASE is not set and {path} does not exist",
            "export RUNCTL_PASSPHRASE, or run `runctl apply` once to generate one",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value + "\n")
    return Passphrase(value, str(path), generated=True)


def work_dir(root: Path, project: str, stack: str) -> Path:
    """The persistent workspace folder of one stack (Pulumi.yaml, Pulumi.<stack>.yaml)."""
    return runctl_dir(root) / "work" / project / stack


def engine_env(backend: Backend, passphrase: Passphrase | None) -> dict[str, str]:
    """The environment the Pulumi CLI runs with (added to the process environment)."""
    env = {
        "PULUMI_BACKEND_URL": backend.url,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DIY_BACKEND_NO_LEGACY_WARNING": "true",
    }
    if passphrase is not None:
        env["PULUMI_CONFIG_PASSPHRASE"] = passphrase.value
    return env


def backend_for(start: str | Path, flag: str | None = None, *, local: bool = False) -> Backend:
    """The backend of the project holding `start` (a spec or a folder), as apply resolves it:
    `--backend`, PULUMI_BACKEND_URL, runctl.toml, the default; `local`: the local target's own."""
    from runctl_iac.plan.config import load_project_config

    root = project_root(start)
    if local:
        state = runctl_dir(root) / "local" / "state"
        return Backend("file://" + str(state.resolve()), "file", root, False, None, "local target")
    config = load_project_config(root)
    return resolve_backend(
        root, flag=flag, configured=config.backend, secrets_provider=config.secrets_provider
    )
