"""A TOML syntax error in runctl.toml is located at its line and column, never at 1:1 (issue 8 item 13)."""

from __future__ import annotations

import pytest

from runctl_iac.diagnostics import DiagnosticError
from runctl_iac.plan.config import parse_config


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("max_instances = 4\nfoo = = 3\n", (2, 7)),
        ('max_instances = 4\nallowed_regions = ["us-east-1"\n', (2, 31)),  # at end of document
        ("max_instances = 4\nmax_instances = 5\n", (2, 18)),
    ],
)
def test_toml_syntax_error_is_located(text: str, where: tuple[int, int]) -> None:
    with pytest.raises(DiagnosticError) as info:
        parse_config(text, "runctl.toml")
    [diag] = info.value.diagnostics
    assert (diag.code, diag.file, (diag.line, diag.column)) == ("E0510", "runctl.toml", where)
    assert diag.message.startswith("TOML syntax error")
