"""Docs a new user follows (issue 8 "Docs"): the quickstart's spec and `$schema` line work from any folder,
the README says validate does not apply the project guardrails and that `code: s3://` is a raw bucket,
and `make demo` reviews a spec against an edited copy of itself."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import yaml
from typer.testing import CliRunner

from runctl_iac.cli import app
from runctl_iac.spec import load_spec
from runctl_iac.spec.schema import load_schema

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
runner = CliRunner()


def _quickstart_block() -> str:
    return README.split("```yaml\n", 1)[1].split("```", 1)[0]


def test_quickstart_spec_and_schema_line_work_from_any_folder(tmp_path: Path) -> None:
    assert "Save it as `spec.yaml`" in README and "runctl schema > runctl.schema.json" in README
    block = "\n".join(
        line[3:] if line.startswith("   ") else line for line in _quickstart_block().splitlines()
    )
    folder = tmp_path / "anywhere" / "my-run"
    folder.mkdir(parents=True)
    (folder / "spec.yaml").write_text(block + "\n")
    schema = runner.invoke(app, ["schema"]).stdout
    (folder / "runctl.schema.json").write_text(schema)
    first = block.splitlines()[0]
    match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert match, first
    target = folder / match.group(1)  # the language server resolves it against the spec's folder
    jsonschema.validate(yaml.safe_load(block), json.loads(target.read_text()))
    assert load_spec(folder / "spec.yaml").ok
    assert "runctl validate spec.yaml" in README and "runctl plan spec.yaml" in README


def test_readme_says_validate_does_not_apply_the_project_guardrails() -> None:
    text = " ".join(README.split())
    assert "`runctl validate` checks the spec alone and does not read the project configuration" in text


def test_code_s3_is_documented_as_a_raw_bucket() -> None:
    code = load_schema()["$defs"]["training"]["properties"]["code"]["description"]
    assert "raw S3 bucket" in code and "not a key of `buckets`" in code
    assert "raw S3 bucket" in README  # the generated spec reference carries it


def test_make_demo_reviews_a_spec_against_an_edited_copy_of_itself() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    demo = makefile.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    [diff] = [line.split() for line in demo.splitlines() if " diff " in line]
    old, new = (REPO / diff[2], REPO / diff[3])
    base, changed = load_spec(old), load_spec(new)
    assert base.ok and changed.ok and base.spec and changed.spec
    assert base.spec.name == changed.spec.name and base.spec.region == changed.spec.region
    result = runner.invoke(app, ["diff", str(old), str(new), "--detailed-exitcode"])
    assert result.exit_code == 2, result.output  # a real change to review
    assert "provider.aws" not in result.output  # same project, same provider: not two unrelated specs
