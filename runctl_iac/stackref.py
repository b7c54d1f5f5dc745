"""Where a stack lives, decided in one place for every command (apply, plan, status, destroy, gc,
resources, stacks, doctor, ...): project root, project configuration, state backend, secrets,
the local target's own backend, and the state folder.

- Project root: `runctl_iac.project.project_root` (the nearest folder upward holding runctl.toml,
  a pyproject.toml with `[tool.runctl]`, or `.git`; else the spec's own folder). `.runctl/` lives
  there; when runctl creates `.runctl/` it writes `.runctl/.gitignore` (`*`): the passphrase and
  the state must not be committed.
- Backend, first found: `--backend URL`, `PULUMI_BACKEND_URL`, `backend = "..."` in the project
  configuration (runctl.toml or `[tool.runctl]`), else the local file backend
  `<root>/.runctl/state/` (works with no account). A bare path is a file backend.
- The local target (`--local`, `target: local`) has its own backend `<root>/.runctl/local/state/`
  with a fixed passphrase (nothing real is stored there); `--backend` does not apply to it.
- Secrets: `secrets_provider = "awskms://..."` in the configuration, else the passphrase provider
  with `RUNCTL_PASSPHRASE`, else `PULUMI_CONFIG_PASSPHRASE`; for the default local backend only, a
  passphrase generated once into `<root>/.runctl/passphrase` (mode 0600). Never generated for a
  shared backend: a teammate could not decrypt the state.
- State folder: a command that writes state creates a missing file backend folder (mode 0700) on
  first use (`ensure_state`); a command that only reads treats a missing default or local folder
  as "no stacks yet" (`state_missing`).
- `known_backends`: every backend runctl knows for a project (the one above, the default, the
  local one, the configured one), for `runctl gc`, which must not call a stack an orphan because
  it lives in another of them.

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
from runctl_iac.plan.config import ProjectConfig, load_project_config
from runctl_iac.project import project_root

__all__ = ["project_root"]

RUNCTL_DIR = ".runctl"
STATE_DIR = "state"
LOCAL_DIR = "local"
PASSPHRASE_FILE = "passphrase"
GITIGNORE = ".gitignore"
PASSPHRASE_ENV = ("RUNCTL_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE")
CLOUD_URL = "https://api.pulumi.com"
LOCAL_PASSPHRASE = "runctl-local-emulator"  # not a secret: local stacks hold fake resources only
LOCAL_SOURCE = "local target"

BackendKind = Literal["file", "s3", "cloud"]


def runctl_dir(root: Path) -> Path:
    return Path(root) / RUNCTL_DIR


def ensure_runctl_dir(root: Path) -> Path:
    """`<root>/.runctl/`, created (mode 0700) with a `.gitignore` of `*` when missing."""
    folder = runctl_dir(root)
    if not folder.is_dir():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    ignore = folder / GITIGNORE
    if not ignore.exists():
        ignore.write_text("# written by runctl: state, passphrase and work dirs stay out of git\n*\n")
    return folder


def local_dir(root: Path) -> Path:
    """The local target's folder: its emulator's pidfile, state, snapshots and work dirs."""
    return runctl_dir(root) / LOCAL_DIR


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

    @property
    def local(self) -> bool:
        """The local target's backend (fixed passphrase, emulator endpoints)."""
        return self.source == LOCAL_SOURCE

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
    return default_backend(root, secrets_provider)


def default_backend(root: Path, secrets_provider: str | None = None) -> Backend:
    url = "file://" + str((runctl_dir(root) / STATE_DIR).resolve())
    return Backend(url, "file", root, True, secrets_provider, "default")


def local_backend(root: Path) -> Backend:
    """The local target's backend, apart from real stacks."""
    url = "file://" + str((local_dir(root) / STATE_DIR).resolve())
    return Backend(url, "file", root, False, None, LOCAL_SOURCE)


def _kind(raw: str, source: str) -> BackendKind:
    if raw.startswith("file://") or "://" not in raw:
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

    The local target's backend has its fixed passphrase. `create`: for the default local backend
    only, generate `.runctl/passphrase` when no passphrase is given (the first apply). Raises
    E0710 when none can be had."""
    if backend.local:
        return Passphrase(LOCAL_PASSPHRASE, "local target (fixed)")
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
    ensure_runctl_dir(backend.root)
    value = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value + "\n")
    return Passphrase(value, str(path), generated=True)


def _below(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def ensure_state(backend: Backend) -> None:
    """Create a file backend's folder (mode 0700) when it is missing: the first command that
    writes state makes it (under `.runctl/`, with its .gitignore)."""
    folder = backend.state_dir
    if folder is None or folder.is_dir():
        return
    if _below(folder, runctl_dir(backend.root)):
        ensure_runctl_dir(backend.root)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise _error(
            f"cannot create the state folder {folder}: {exc.strerror or exc}",
            "check the path and its permissions, or pass another --backend",
            "backend",
        ) from None


def state_missing(backend: Backend) -> bool:
    """A file backend whose folder does not exist yet: it holds no stacks."""
    folder = backend.state_dir
    return folder is not None and not folder.is_dir()


def no_stacks_yet(backend: Backend) -> str:
    """The one line read-only commands say when the backend has no state at all."""
    return f"no stacks yet (looked in {backend.url})"


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


@dataclass(frozen=True)
class Located:
    """A project as every command sees it: root, configuration, the backend of its stacks."""

    root: Path
    config: ProjectConfig
    backend: Backend


def locate(start: str | Path, flag: str | None = None, *, local: bool = False) -> Located:
    """The project holding `start` (a spec or a folder) and its backend, as apply resolves it:
    `--backend`, PULUMI_BACKEND_URL, runctl.toml / [tool.runctl], the default; `local`: the local
    target's own (where `--backend` is refused)."""
    root = project_root(start)
    config = load_project_config(root)
    if local:
        if flag:
            raise _error(
                "--backend does not apply to the local target: its state lives in .runctl/local/",
                "drop --backend, or drop --local",
                "--backend",
            )
        return Located(root, config, local_backend(root))
    backend = resolve_backend(
        root, flag=flag, configured=config.backend, secrets_provider=config.secrets_provider
    )
    if backend.url == local_backend(root).url:  # e.g. gc --backend file://.../.runctl/local/state
        backend = local_backend(root)
    return Located(root, config, backend)


def backend_for(start: str | Path, flag: str | None = None, *, local: bool = False) -> Backend:
    """The backend of the project holding `start` (see `locate`)."""
    return locate(start, flag, local=local).backend


def known_backends(start: str | Path, flag: str | None = None) -> list[Backend]:
    """Every backend runctl knows for the project at `start`, the one `locate` picks first: that
    one, the configured one, PULUMI_BACKEND_URL's, the default and the local target's."""
    located = locate(start, flag)
    root, provider = located.root, located.config.secrets_provider
    found = [located.backend]
    if located.config.backend:
        found.append(
            resolve_backend(root, environ={}, configured=located.config.backend, secrets_provider=provider)
        )
    found += [
        resolve_backend(root, secrets_provider=provider),
        default_backend(root, provider),
        local_backend(root),
    ]
    unique: dict[str, Backend] = {}
    for backend in found:
        unique.setdefault(backend.url, backend)
    return list(unique.values())
