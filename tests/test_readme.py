"""The README's generated sections (diagnostic codes, spec reference) must match their sources.

Regenerate with `UPDATE_GOLDEN=1 pytest tests/test_readme.py`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from runctl_iac.diagnostics import CODES
from runctl_iac.spec.reference import markdown_reference

README = Path(__file__).resolve().parents[1] / "README.md"


def codes_table() -> str:
    rows = ["| code | meaning |", "|---|---|"]
    rows += [f"| `{code}` | {summary} |" for code, summary in CODES.items()]
    return "\n".join(rows)


def spec_reference() -> str:
    """docs/spec.md one heading level down, without its title (the README has its own)."""
    lines = markdown_reference().splitlines()
    body = [line for line in lines[1:] if not line.startswith("<!-- Generated")]
    return "\n".join("#" + line if line.startswith("##") else line for line in body).strip()


SECTIONS = {"codes": codes_table, "spec-reference": spec_reference}


def _section(text: str, name: str) -> re.Match[str]:
    match = re.search(rf"<!-- {name}:start -->\n(.*?)<!-- {name}:end -->", text, re.S)
    assert match, f"README.md lacks the <!-- {name}:start/end --> markers"
    return match


def test_generated_sections_are_current() -> None:
    text = README.read_text(encoding="utf-8")
    if os.environ.get("UPDATE_GOLDEN"):
        for name, make in SECTIONS.items():
            m = _section(text, name)
            text = text[: m.start(1)] + make() + "\n" + text[m.end(1) :]
        README.write_text(text, encoding="utf-8")
    for name, make in SECTIONS.items():
        assert _section(text, name).group(1) == make() + "\n", (
            f"README section {name!r} is stale: run UPDATE_GOLDEN=1 pytest tests/test_readme.py"
        )


def test_readme_opens_with_the_two_commands() -> None:
    first_block = README.read_text(encoding="utf-8").split("```")[1]
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()[1:] if line.strip()]
    assert commands == ["make demo", "make test"]


def test_every_code_is_documented_once_and_well_formed() -> None:
    text = README.read_text(encoding="utf-8")
    for code in CODES:
        assert re.fullmatch(r"[EW]0[1-9]\d\d", code), code
        assert text.count(f"| `{code}` |") == 1, code
