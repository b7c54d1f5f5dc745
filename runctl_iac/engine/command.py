"""Finding the Pulumi CLI: PATH, the one `make engine-cli` builds, the one `doctor --install` installs.

Minimum supported version: 3.200.0 (runctl is tested with v3.274.1, the version `make engine-cli`
builds; the SDK itself accepts 3.1.0 and up, but from 3.206 on it streams engine events over gRPC,
and the CLIs runctl is tested with are all far past that).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity

if TYPE_CHECKING:
    from pulumi.automation import PulumiCommand

MIN_VERSION = (3, 200, 0)
MIN_VERSION_TEXT = "3.200.0"
INSTALL_HINT = "run `runctl doctor --install`, or `make engine-cli` in a runctl checkout"
_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)")


@dataclass(frozen=True)
class CliInfo:
    path: str
    version: str  # as printed, without the leading v


def candidates(home: Path | None = None) -> list[Path]:
    """Where a Pulumi CLI may be, in order: PATH, `make engine-cli`'s cache, the SDK install root."""
    home = home or Path.home()
    found: list[Path] = []
    on_path = shutil.which("pulumi")
    if on_path:
        found.append(Path(on_path))
    cache = home / ".cache" / "runctl"
    for d in sorted(cache.glob("pulumi-v*"), key=_dir_version, reverse=True):
        found.extend(p for p in (d / "pulumi", d / "bin" / "pulumi") if p.is_file())
    versions = home / ".pulumi" / "versions"
    for d in sorted(versions.glob("*"), key=_dir_version, reverse=True):
        if (d / "bin" / "pulumi").is_file():
            found.append(d / "bin" / "pulumi")
    if (home / ".pulumi" / "bin" / "pulumi").is_file():
        found.append(home / ".pulumi" / "bin" / "pulumi")
    return found


def _dir_version(d: Path) -> tuple[int, ...]:
    m = _VERSION.match(d.name.removeprefix("pulumi-"))
    return tuple(int(g) for g in m.groups()) if m else (0,)


def parse_version(text: str) -> tuple[int, int, int] | None:
    m = _VERSION.match(text.strip())
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def probe(path: Path) -> CliInfo | None:
    """Run `pulumi version`; None when it does not run."""
    env = {**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"}
    try:
        out = subprocess.run(
            [str(path), "version"], capture_output=True, text=True, timeout=30, check=False, env=env
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return CliInfo(str(path), out.stdout.strip().removeprefix("v"))


def find_cli(home: Path | None = None) -> CliInfo | None:
    for path in candidates(home):
        info = probe(path)
        if info is not None:
            return info
    return None


def missing_cli_error() -> DiagnosticError:
    return DiagnosticError(
        [
            Diagnostic(
                Severity.ERROR,
                "E0701",
                "the Pulumi CLI was not found (on PATH, in ~/.cache/runctl/pulumi-v*/ or ~/.pulumi/)",
                hint=INSTALL_HINT,
            )
        ]
    )


def too_old_error(info: CliInfo) -> DiagnosticError:
    return DiagnosticError(
        [
            Diagnostic(
                Severity.ERROR,
                "E0701",
                f"the Pulumi CLI at {info.path} is version {info.version}; runctl needs "
                f"{MIN_VERSION_TEXT} or later",
                hint=INSTALL_HINT,
            )
        ]
    )


def pulumi_command(home: Path | None = None) -> PulumiCommand:
    """A `PulumiCommand` for the CLI found by `find_cli`; E0701 when there is none or it is too old."""
    from pulumi.automation import PulumiCommand

    info = find_cli(home)
    if info is None:
        raise missing_cli_error()
    version = parse_version(info.version)
    if version is None or version < MIN_VERSION:
        raise too_old_error(info)
    path = Path(info.path)
    if path.parent.name == "bin":  # the SDK's layout: ROOT/bin/pulumi
        return PulumiCommand(root=str(path.parent.parent), skip_version_check=True)
    # `make engine-cli` puts the binary at DIR/pulumi: the SDK then runs `pulumi` from PATH
    os.environ["PATH"] = os.pathsep.join([str(path.parent), os.environ.get("PATH", "")])
    return PulumiCommand(skip_version_check=True)
