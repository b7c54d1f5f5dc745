"""Diagnostics as text (the compiler form editors can jump to) and as JSON. The compiler form itself
is formatted in the base module `runctl_iac.diagnostics` (every layer may report in it).

    examples/bad.yaml:12:7: error[E0301] volumes.data.iops: 90000 is above the gp3 maximum of 80000
      hint: use type io2 for more than 80000 IOPS

Text is plain unless `colour=True` (the CLI asks for colour only on a terminal without NO_COLOR),
so tests compare exact strings.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from runctl_iac.diagnostics import (
    Diagnostic,
    Severity,
    display_path,
    escape_invisible,
    format_diagnostic,
    render_text,
)

__all__ = ["display_path", "escape_invisible", "format_diagnostic", "render_json", "render_text", "summary"]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary(files: int, diagnostics: Sequence[Diagnostic]) -> str:
    """`2 files checked: 1 error, 0 warnings`."""
    errors = sum(1 for d in diagnostics if d.severity is Severity.ERROR)
    warnings = sum(1 for d in diagnostics if d.severity is Severity.WARNING)
    return f"{_plural(files, 'file')} checked: {_plural(errors, 'error')}, {_plural(warnings, 'warning')}"


def findings_json(diagnostics: Iterable[Diagnostic], *, cwd: Path | None = None) -> list[dict[str, Any]]:
    """Diagnostics as JSON objects (`Diagnostic.to_json()`), file paths shown as in the text form."""
    items = []
    for d in diagnostics:
        item = d.to_json()
        if d.file is not None:
            item["file"] = display_path(d.file, cwd)
        items.append(item)
    return items


def render_json(diagnostics: Iterable[Diagnostic], *, cwd: Path | None = None) -> str:
    """A JSON list of `Diagnostic.to_json()` objects, file paths as in the text form."""
    return json.dumps(findings_json(diagnostics, cwd=cwd), indent=2, sort_keys=True) + "\n"


def use_colour(stream: IO[str]) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
