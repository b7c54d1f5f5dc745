"""`runctl schema` and the generated spec reference (docs/spec.md must not go stale)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from runctl_iac.cli import app
from runctl_iac.spec.reference import markdown_reference
from runctl_iac.spec.schema import load_schema, resolve

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "spec.md"


def test_docs_spec_md_is_up_to_date() -> None:
    assert DOC.exists(), "docs/spec.md is missing: run `runctl schema --markdown > docs/spec.md`"
    assert DOC.read_text(encoding="utf-8") == markdown_reference(), (
        "docs/spec.md is stale: regenerate it with `runctl schema --markdown > docs/spec.md`"
    )


def test_reference_has_a_section_per_object_and_every_description() -> None:
    text = markdown_reference()
    for title in [
        "## Top level",
        "## `budget`",
        "## `network`",
        "## `buckets.<name>`",
        "## `buckets.<name>.lifecycle[]`",
        "## `volumes.<name>`",
        "## `instances.<name>`",
        "## `instances.<name>.spot`",
        "## `training`",
        "## `training.checkpoints`",
    ]:
        assert f"\n{title}\n" in text
    schema = load_schema()
    for node in [schema, *schema["$defs"].values()]:
        for name, prop in resolve(node).get("properties", {}).items():
            assert f"| `{name}` |" in text
            assert " ".join(prop["description"].split()).replace("|", "\\|") in text


def test_reference_shows_types_defaults_constraints_and_volume_limits() -> None:
    text = markdown_reference()
    assert "| `count` | integer | `1` |" in text
    assert "| `spot` | boolean or mapping | `false` |" in text
    assert "| `gp3` | 1–65536 | 3000–80000 | 125–2000 |" in text
    assert "| `gp2` | 1–16384 | not allowed | not allowed |" in text
    assert "| `io2` | 4–65536 | 100–256000 (required) | not allowed |" in text
    run_row = next(line for line in text.splitlines() if line.startswith("| `run` |"))
    assert run_row.endswith("| required; not empty |")


def test_runctl_schema_prints_the_schema_file() -> None:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == load_schema()
    assert result.stdout == (REPO / "schemas" / "runctl.schema.json").read_text(encoding="utf-8")


def test_runctl_schema_markdown_prints_the_reference() -> None:
    result = CliRunner().invoke(app, ["schema", "--markdown"])
    assert result.exit_code == 0
    assert result.stdout == markdown_reference()
