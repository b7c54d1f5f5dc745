"""Diagnostics as text (the compiler form editors can jump to) and as JSON.

    examples/bad.yaml:12:7: error[E0301] volumes.data.iops: 90000 is above the gp3 maximum of 80000
      hint: use type io2 for more than 80000 IOPS

Text is plain unless `colour=True` (the CLI asks for colour only on a terminal without NO_COLOR),
so tests compare exact strings.
"""

from __future__ import annotations

import json
import os
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import IO

from runctl_iac.diagnostics import Diagnostic, Severity, without_html

_STYLE = {Severity.ERROR: "\x1b[1;31m", Severity.WARNING: "\x1b[1;33m", Severity.INFO: "\x1b[1;36m"}
_DIM = "\x1b[2m"
_RESET = "\x1b[0m"


def display_path(file: str, cwd: Path | None = None) -> str:
    """`file` relative to `cwd` (default: the current directory) when it lies under it, else as given."""
    # absolute, not resolved: a symlink is shown under its own name (and a symlink loop cannot raise)
    base = Path(os.path.abspath(cwd or Path.cwd()))
    try:
        return Path(os.path.abspath(file)).relative_to(base).as_posix()
    except (ValueError, OSError):
        return file


# control, format (zero-width space, bidi overrides), separator, private-use and unassigned characters
_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def escape_invisible(text: str) -> str:
    """`text` with every character a terminal would not show (or would show misleadingly) written as an
    escape: a name holding a zero-width space reads `train\u200ber`, not `trainer`."""
    if text.isascii() and text.isprintable():
        return text
    out = []
    for char in text:
        category = unicodedata.category(char)
        if category in _INVISIBLE or (category == "Zs" and char != " "):
            code = ord(char)
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(char)
    return "".join(out)


def format_diagnostic(d: Diagnostic, *, cwd: Path | None = None, colour: bool = False) -> str:
    """One diagnostic: `file:line:col: severity[CODE] path: message`, plus `  hint: ...` when there is one.
    Invisible characters in any part are escaped (see `escape_invisible`)."""
    d = replace(
        d,
        message=escape_invisible(without_html(d.message)),
        path=escape_invisible(d.path),
        hint=escape_invisible(d.hint) if d.hint else d.hint,
        file=escape_invisible(d.file) if d.file else d.file,
    )
    where = ""
    if d.file is not None:
        where = display_path(d.file, cwd)
        if d.line is not None:
            where += f":{d.line}"
            if d.column is not None:
                where += f":{d.column}"
        where += ": "
    label = f"{d.severity.value}[{d.code}]"
    if colour:
        label = f"{_STYLE[d.severity]}{label}{_RESET}"
    subject = f"{d.path}: " if d.path else ""
    text = f"{where}{label} {subject}{d.message}"
    if d.hint:
        text += f"\n  {_DIM}hint:{_RESET} {d.hint}" if colour else f"\n  hint: {d.hint}"
    return text


def render_text(diagnostics: Iterable[Diagnostic], *, cwd: Path | None = None, colour: bool = False) -> str:
    """Every diagnostic, one (or two, with a hint) lines each; ends with a newline unless empty."""
    lines = [format_diagnostic(d, cwd=cwd, colour=colour) for d in diagnostics]
    return "".join(line + "\n" for line in lines)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary(files: int, diagnostics: Sequence[Diagnostic]) -> str:
    """`2 files checked: 1 error, 0 warnings`."""
    errors = sum(1 for d in diagnostics if d.severity is Severity.ERROR)
    warnings = sum(1 for d in diagnostics if d.severity is Severity.WARNING)
    return f"{_plural(files, 'file')} checked: {_plural(errors, 'error')}, {_plural(warnings, 'warning')}"


def render_json(diagnostics: Iterable[Diagnostic], *, cwd: Path | None = None) -> str:
    """A JSON list of `Diagnostic.to_json()` objects, file paths as in the text form."""
    items = []
    for d in diagnostics:
        item = d.to_json()
        if d.file is not None:
            item["file"] = display_path(d.file, cwd)
        items.append(item)
    return json.dumps(items, indent=2, sort_keys=True) + "\n"


def use_colour(stream: IO[str]) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
