"""Where a project starts, its configuration file, and where its stack overlays live.

The project root of a spec (or a folder) is the nearest directory, from the spec's folder upward,
that holds `runctl.toml`, a `pyproject.toml` with a `[tool.runctl]` table, or `.git`; a spec
outside any project has its own folder as root. It is the only rule: `.runctl/` (state,
passphrase, work dirs, audit log), the project configuration and the overlays at the root all
follow it, for every command. A `pyproject.toml` without `[tool.runctl]` (a Python package inside
a repository) does not make a root: its runctl state belongs with the repository's.

The project configuration is the marker file itself when it is `runctl.toml` or a `pyproject.toml`
with `[tool.runctl]` (runctl.toml wins within one directory); a root found by `.git` alone has none.

A stack's overlay is looked up, in order:
1. `--stacks-dir DIR` when given: `DIR/<stack>.yaml`, and only there;
2. `stacks/<stack>.yaml` next to the spec;
3. `stacks/<stack>.yaml` at the project root.
The same order applies to every command, and to `--base REF`, which reads the overlay from that commit.
"""

from __future__ import annotations

import re
from pathlib import Path

CONFIG_FILE = "runctl.toml"
PYPROJECT = "pyproject.toml"


def _start_dir(start: str | Path) -> Path:
    here = Path(start).resolve()
    return here if here.is_dir() else here.parent


def has_tool_runctl(path: Path) -> bool:
    """Whether the pyproject.toml at `path` has a `[tool.runctl]` table."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return re.search(r"^\s*\[\s*tool\.runctl\s*\]", text, re.MULTILINE) is not None


def _config_in(directory: Path) -> tuple[Path, bool] | None:
    candidate = directory / CONFIG_FILE
    if candidate.is_file():
        return candidate, False
    pyproject = directory / PYPROJECT
    if pyproject.is_file() and has_tool_runctl(pyproject):
        return pyproject, True
    return None


def _root_and_config(start: str | Path) -> tuple[Path, tuple[Path, bool] | None]:
    here = _start_dir(start)
    for directory in (here, *here.parents):
        found = _config_in(directory)
        if found is not None:
            return directory, found
        if (directory / ".git").exists():
            return directory, None
    return here, None


def project_root(start: str | Path) -> Path:
    """The project root of the spec (or directory) at `start`, as an absolute path (module doc)."""
    return _root_and_config(start)[0]


def config_file(start: str | Path) -> tuple[Path, bool] | None:
    """(path, is_pyproject) of the project configuration that applies at `start`, or None."""
    return _root_and_config(start)[1]


def overlay_candidates(spec_path: str | Path, stack: str, stacks_dir: str | Path | None = None) -> list[Path]:
    """The places a stack overlay may be, in lookup order (see the module docstring)."""
    name = f"{stack}.yaml"
    if stacks_dir is not None:
        return [Path(stacks_dir) / name]
    beside = Path(spec_path).parent / "stacks" / name
    at_root = project_root(spec_path) / "stacks" / name
    if at_root == beside.resolve():
        return [beside]
    return [beside, _as_given(at_root)]


def _as_given(path: Path) -> Path:
    """`path` relative to the working directory when below it: messages read like the user's paths."""
    try:
        return path.relative_to(Path.cwd().resolve())
    except ValueError:
        return path
