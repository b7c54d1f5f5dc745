"""Diagnostic rendering: exact text, JSON, summary wording, colour only when asked."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from runctl_iac.diagnostics import Diagnostic, Severity
from runctl_iac.render.diagnostics import (
    display_path,
    format_diagnostic,
    render_json,
    render_text,
    summary,
    use_colour,
)

E = Diagnostic(
    Severity.ERROR,
    "E0301",
    "90000 is above the gp3 maximum of 80000",
    "examples/bad.yaml",
    12,
    7,
    "volumes.data.iops",
    "use type io2 for more than 80000 IOPS",
)
W = Diagnostic(
    Severity.WARNING, "W0402", "no overlay stacks/pr-1.yaml for stack 'pr-1'; the spec is used as is"
)


def test_error_with_hint(tmp_path: Path) -> None:
    assert render_text([E], cwd=tmp_path) == (
        "examples/bad.yaml:12:7: error[E0301] volumes.data.iops: 90000 is above the gp3 maximum of 80000\n"
        "  hint: use type io2 for more than 80000 IOPS\n"
    )


def test_without_file_path_or_position(tmp_path: Path) -> None:
    assert format_diagnostic(W, cwd=tmp_path) == (
        "warning[W0402] no overlay stacks/pr-1.yaml for stack 'pr-1'; the spec is used as is"
    )
    no_line = Diagnostic(Severity.ERROR, "E0101", "file not found", "x.yaml", hint="check the path")
    assert (
        format_diagnostic(no_line, cwd=tmp_path)
        == "x.yaml: error[E0101] file not found\n  hint: check the path"
    )
    no_col = Diagnostic(Severity.ERROR, "E0105", "bad", "x.yaml", 3)
    assert format_diagnostic(no_col, cwd=tmp_path) == "x.yaml:3: error[E0105] bad"


def test_file_is_shown_relative_to_cwd_when_under_it(tmp_path: Path) -> None:
    inside = Diagnostic(Severity.ERROR, "E0104", "file is empty", str(tmp_path / "specs" / "a.yaml"), 1, 1)
    assert format_diagnostic(inside, cwd=tmp_path) == "specs/a.yaml:1:1: error[E0104] file is empty"
    assert display_path("/elsewhere/a.yaml", tmp_path) == "/elsewhere/a.yaml"
    assert display_path("HEAD:spec.yaml", tmp_path) == "HEAD:spec.yaml"


def test_empty_list_renders_nothing() -> None:
    assert render_text([]) == ""
    assert render_json([]) == "[]\n"


@pytest.mark.parametrize(
    ("files", "diagnostics", "text"),
    [
        (1, [E, E, W], "1 file checked: 2 errors, 1 warning"),
        (3, [], "3 files checked: 0 errors, 0 warnings"),
        (2, [W, W], "2 files checked: 0 errors, 2 warnings"),
        (1, [E], "1 file checked: 1 error, 0 warnings"),
    ],
)
def test_summary(files: int, diagnostics: list[Diagnostic], text: str) -> None:
    assert summary(files, diagnostics) == text


def test_json_is_a_list_of_diagnostic_objects(tmp_path: Path) -> None:
    data = json.loads(render_json([E, W], cwd=tmp_path))
    assert data == [E.to_json(), W.to_json()]
    assert data[0] == {
        "severity": "error",
        "code": "E0301",
        "message": "90000 is above the gp3 maximum of 80000",
        "file": "examples/bad.yaml",
        "line": 12,
        "column": 7,
        "path": "volumes.data.iops",
        "hint": "use type io2 for more than 80000 IOPS",
    }


def test_colour_wraps_only_the_label_and_hint() -> None:
    text = format_diagnostic(E, colour=True)
    assert "\x1b[1;31merror[E0301]\x1b[0m" in text
    assert text.replace("\x1b[1;31m", "").replace("\x1b[2m", "").replace("\x1b[0m", "") == format_diagnostic(
        E
    )


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_without_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_colour(_Tty()) is True
    assert use_colour(io.StringIO()) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert use_colour(_Tty()) is False
