"""Issue 8 item 4: every runctl.toml / [tool.runctl] example in the docs loads as shown."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from runctl_iac.diagnostics import DiagnosticError
from runctl_iac.plan.config import parse_config

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def toml_blocks() -> list[tuple[str, int, str]]:
    """(file, line, text) of every ```toml block in the README and docs/."""
    out = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for m in re.finditer(r"^```toml\n(.*?)^```", text, re.S | re.M):
            out.append((doc.relative_to(ROOT).as_posix(), text[: m.start()].count("\n") + 1, m.group(1)))
    return out


def test_the_docs_have_config_examples() -> None:
    assert any(file == "README.md" for file, _, _ in toml_blocks())


@pytest.mark.parametrize(("file", "line", "text"), toml_blocks(), ids=lambda v: str(v)[:30])
def test_every_config_example_in_the_docs_loads(file: str, line: int, text: str) -> None:
    pyproject = "[tool.runctl]" in text
    try:
        parse_config(text, f"{file}:{line}", pyproject=pyproject)
    except DiagnosticError as exc:  # pragma: no cover - the failure message is the point
        pytest.fail(f"{file}:{line}: the config example does not load: {exc}")


def test_readme_spot_discount_is_the_number_it_shows() -> None:
    readme = next(text for file, _, text in toml_blocks() if file == "README.md")
    assert parse_config(readme, "runctl.toml").spot_discount == Decimal("0.60")


def test_quoted_spot_discount_says_to_drop_the_quotes() -> None:
    with pytest.raises(DiagnosticError) as caught:
        parse_config('spot_discount = "0.60"\n', "runctl.toml")
    (d,) = caught.value.diagnostics
    assert d.code == "E0510" and d.line == 1
    assert d.message == 'must be a number, not the string "0.60"'
    assert (d.hint or "").startswith("write it without quotes: spot_discount = 0.60")
