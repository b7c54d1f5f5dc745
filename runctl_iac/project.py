"""Where a project starts, and where its stack overlays live.

The project root of a spec is the nearest directory upward from the spec's folder that holds
`runctl.toml`, `pyproject.toml` or `.git`; a spec outside any project has its own folder as root.

A stack's overlay is looked up, in order:
1. `--stacks-dir DIR` when given: `DIR/<stack>.yaml`, and only there;
2. `stacks/<stack>.yaml` next to the spec;
3. `stacks/<stack>.yaml` at the project root.
The same order applies to every command, and to `--base REF`, which reads the overlay from that commit.
"""

from __future__ import annotations

from pathlib import Path

ROOT_MARKERS = ("runctl.toml", "pyproject.toml", ".git")


def project_root(spec_path: str | Path) -> Path:
    """The project root of the spec (or directory) at `spec_path`, as an absolute path."""
    start = Path(spec_path).absolute()
    if not start.is_dir():
        start = start.parent
    for directory in (start, *start.parents):
        if any((directory / marker).exists() for marker in ROOT_MARKERS):
            return directory
    return start


def overlay_candidates(spec_path: str | Path, stack: str, stacks_dir: str | Path | None = None) -> list[Path]:
    """The places a stack overlay may be, in lookup order (see the module docstring)."""
    name = f"{stack}.yaml"
    if stacks_dir is not None:
        return [Path(stacks_dir) / name]
    beside = Path(spec_path).parent / "stacks" / name
    at_root = project_root(spec_path) / "stacks" / name
    if at_root == beside.absolute():
        return [beside]
    return [beside, _as_given(at_root)]


def _as_given(path: Path) -> Path:
    """`path` relative to the working directory when below it: messages read like the user's paths."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path
