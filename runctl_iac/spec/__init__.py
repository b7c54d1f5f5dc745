"""Loading a spec: YAML (+ stack overlay) -> checked, typed `Spec`, or diagnostics.

    result = load_spec("examples/quickstart.yaml", stack="ci")
    if result.spec is None: print the result.diagnostics

Tiers, cheapest first: read and parse YAML with positions (`yamlload`), merge the stack
overlay (`overlay`), then JSON Schema, semantic checks and the typed Spec (`check`). A tier
that reports an error stops the load; warnings are kept alongside a Spec.

This module stays import-light (no jsonschema until a file has parsed, no cloud SDKs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity, has_errors
from runctl_iac.spec.model import DEFAULT_STACK, SourceMap, Spec
from runctl_iac.spec.yamlload import YamlDoc, load_yaml, load_yaml_file

__all__ = [
    "DEFAULT_STACK",
    "STACK_NAME",
    "LoadResult",
    "load_spec",
    "load_spec_bytes",
    "load_spec_or_raise",
    "overlay_path",
]

STACK_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


@dataclass
class LoadResult:
    spec: Spec | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.spec is not None and not has_errors(self.diagnostics)


def overlay_path(spec_path: str | Path, stack: str, stacks_dir: str | Path | None = None) -> Path:
    """The overlay file for `stack`: the first that exists of `runctl_iac.project.overlay_candidates`
    (`--stacks-dir`, else `stacks/` next to the spec, else `stacks/` at the project root); when none
    exists, the first candidate (for messages)."""
    from runctl_iac.project import overlay_candidates

    candidates = overlay_candidates(spec_path, stack, stacks_dir)
    return next((path for path in candidates if path.is_file()), candidates[0])


def load_spec(path: str | Path, stack: str | None = None, stacks_dir: str | Path | None = None) -> LoadResult:
    """Load, merge and check the spec at `path` for `stack` (default "dev")."""
    name = stack if stack is not None else DEFAULT_STACK
    bad = _check_stack(name)
    if bad:
        return LoadResult(None, [bad])
    missing_dir = _check_stacks_dir(stacks_dir)
    if missing_dir:
        return LoadResult(None, [missing_dir])
    base = load_yaml_file(path)
    if has_errors(base.diagnostics):
        return LoadResult(None, base.diagnostics)
    extra: list[Diagnostic] = []
    overlay: YamlDoc | None = None
    over_file = overlay_path(path, name, stacks_dir)
    if over_file.exists():
        overlay = load_yaml_file(over_file, allow_empty=True)
    elif stack is not None:
        from runctl_iac.project import overlay_candidates

        extra.append(_no_overlay(name, overlay_candidates(path, name, stacks_dir)))
    return _finish(base, overlay, name, extra, spec_dir=Path(path).parent)


def load_spec_bytes(
    data: bytes, file: str, stack: str | None = None, overlay: tuple[bytes, str] | None = None
) -> LoadResult:
    """Load a spec from memory (e.g. read from a git ref); `overlay` is (bytes, file name) if any."""
    name = stack if stack is not None else DEFAULT_STACK
    bad = _check_stack(name)
    if bad:
        return LoadResult(None, [bad])
    base = load_yaml(data, file)
    if has_errors(base.diagnostics):
        return LoadResult(None, base.diagnostics)
    over = load_yaml(overlay[0], overlay[1], allow_empty=True) if overlay is not None else None
    return _finish(base, over, name, [])


def load_spec_or_raise(
    path: str | Path, stack: str | None = None, stacks_dir: str | Path | None = None
) -> Spec:
    """Like `load_spec`, but returns the Spec or raises `DiagnosticError` with every diagnostic."""
    result = load_spec(path, stack, stacks_dir)
    if result.spec is None or has_errors(result.diagnostics):
        raise DiagnosticError(result.diagnostics)
    return result.spec


def _finish(
    base: YamlDoc,
    overlay: YamlDoc | None,
    stack: str,
    extra: list[Diagnostic],
    spec_dir: Path | None = None,
) -> LoadResult:
    if overlay is not None:
        if has_errors(overlay.diagnostics):
            return LoadResult(None, [*extra, *overlay.diagnostics])
        from runctl_iac.spec.overlay import merge_overlay

        base = merge_overlay(base, overlay)
    assert base.data is not None
    from runctl_iac.spec.check import check  # jsonschema is imported only once YAML has parsed

    source = SourceMap(positions=base.positions, keys=base.keys, default_file=base.file)
    spec, diagnostics = check(base.data, source, stack, spec_dir=spec_dir)
    return LoadResult(
        spec if not has_errors(diagnostics) else None, [*extra, *base.diagnostics, *diagnostics]
    )


def _check_stack(name: str) -> Diagnostic | None:
    if STACK_NAME.match(name):
        return None
    return Diagnostic(
        Severity.ERROR,
        "E0401",
        f"invalid stack name {name!r}",
        hint="use 1-40 lowercase letters, digits and '-', starting with a letter or digit (e.g. dev, pr-123)",
    )


def _no_overlay(stack: str, looked_in: list[Path]) -> Diagnostic:
    places = " or ".join(str(p) for p in looked_in)
    hint = next((h for h in (_similar_stack(stack, p.parent) for p in looked_in) if h), None)
    return Diagnostic(
        Severity.WARNING,
        "W0402",
        f"no overlay {places} for stack {stack!r}; the spec is used as is",
        hint=hint or f"create {looked_in[-1]} to give this stack its own settings",
    )


def _similar_stack(stack: str, folder: Path) -> str | None:
    """`did you mean "prod"?` when `folder` holds an overlay whose name is close to `stack` (`prd`)."""
    import difflib

    try:
        names = sorted(p.stem for p in folder.glob("*.yaml") if p.is_file())
    except OSError:
        return None
    close = difflib.get_close_matches(stack, names, n=1, cutoff=0.6)
    return f"did you mean --stack {close[0]}? ({folder / (close[0] + '.yaml')} exists)" if close else None


def _check_stacks_dir(stacks_dir: str | Path | None) -> Diagnostic | None:
    """An explicit --stacks-dir must be a folder: a typo there would silently drop every overlay."""
    if stacks_dir is None or Path(stacks_dir).is_dir():
        return None
    what = "is not a directory" if Path(stacks_dir).exists() else "does not exist"
    return Diagnostic(
        Severity.ERROR,
        "E0405",
        f"--stacks-dir {stacks_dir} {what}",
        file=str(stacks_dir),
        hint="pass the folder that holds the STACK.yaml overlays, or leave --stacks-dir out for stacks/",
    )
